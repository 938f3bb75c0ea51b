package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"

	"biopilot"
	"biopilot/store"
)

// BenchmarkSaveDocumentConcurrent saves an ~11 KB document (the size of the example
// application) from 16 goroutines per CPU, each on its own application, as the
// autosaves of many applicants arrive together. On SQLite the saves share
// transactions (savegroup.go). Reported: saves/s.
func BenchmarkSaveDocumentConcurrent(b *testing.B) {
	benchEach(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		org := &biopilot.Organisation{Name: "甲单位", USCC: "91440100MA50000001", CityCode: "440100"}
		if err := db.CreateOrganisation(ctx, org); err != nil {
			b.Fatal(err)
		}
		const apps = 64
		ids := make([]int64, apps)
		for i := range ids {
			a := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID}
			if err := db.CreateApplication(ctx, a); err != nil {
				b.Fatal(err)
			}
			ids[i] = a.ID
		}
		doc := json.RawMessage(`{"overview":"` + strings.Repeat("平台面向企业提供开放中试服务。", 250) + `"}`)
		var next atomic.Int64
		b.SetBytes(int64(len(doc)))
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			id := ids[(next.Add(1)-1)%apps]
			version := int64(1)
			for pb.Next() {
				a, err := db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: id, BaseVersion: version,
					Document: doc, Domains: []string{"enzymes"}})
				if err != nil {
					b.Error(err)
					return
				}
				version = a.Version
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
	})
}
