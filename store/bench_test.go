package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

// benchEach runs a benchmark on SQLite and, when configured, PostgreSQL.
func benchEach(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.Postgres(b)) })
}

// BenchmarkSaveDocument saves a 2 KB document, one version per transaction
// (target: well above 1,000 saves/s on SQLite).
func BenchmarkSaveDocument(b *testing.B) {
	benchEach(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		org := &biopilot.Organisation{Name: "甲单位", USCC: "91440100MA50000001", CityCode: "440100"}
		if err := db.CreateOrganisation(ctx, org); err != nil {
			b.Fatal(err)
		}
		a := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID}
		if err := db.CreateApplication(ctx, a); err != nil {
			b.Fatal(err)
		}
		doc := json.RawMessage(`{"text":"` + strings.Repeat("中试", 340) + `"}`)
		b.SetBytes(int64(len(doc)))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: int64(i + 1),
				Document: doc, Domains: []string{"enzymes"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkApplications lists a page of 50 out of 1,000 applications with a
// free-text query.
func BenchmarkApplications(b *testing.B) {
	benchEach(b, func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		org := &biopilot.Organisation{Name: "甲单位", USCC: "91440100MA50000001", CityCode: "440100"}
		if err := db.CreateOrganisation(ctx, org); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 1000; i++ {
			a := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, PlatformName: "酶制剂中试平台",
				Domains: []string{"enzymes", "chemicals"}}
			if err := db.CreateApplication(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			apps, total, err := db.Applications(ctx, store.ApplicationFilter{CityCode: "440100", Query: "酶制剂"})
			if err != nil || len(apps) != 50 || total != 1000 {
				b.Fatal(len(apps), total, err)
			}
		}
	})
}
