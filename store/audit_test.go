package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/store/storetest"
)

// auditRec is a record of user id acting on an application.
func auditRec(i int, id int64, action, result string) *seal.ChainRecord {
	return &seal.ChainRecord{
		Time:    t0.Add(time.Duration(i) * time.Minute),
		Actor:   fmt.Sprintf("user:%d 张三%d", id, id),
		Role:    string(biopilot.RoleCityMIIT),
		Address: "10.0.0.1",
		Object:  fmt.Sprintf("application:%d", i%3+1),
		Action:  action,
		Result:  result,
		Detail:  json.RawMessage(fmt.Sprintf(`{"n": %d, "意见": "同意"}`, i)),
	}
}

// appendN appends n records: user ids 1 and 12 alternate; every third is denied.
func appendN(t *testing.T, db *store.DB, n int) []*seal.ChainRecord {
	t.Helper()
	var recs []*seal.ChainRecord
	for i := 0; i < n; i++ {
		id, action, result := int64(1), "transition:submit", store.AuditOK
		if i%2 == 1 {
			id, action = 12, "login"
		}
		if i%3 == 2 {
			result, action = store.AuditDenied, "denied"
		}
		r := auditRec(i, id, action, result)
		must(t, db.AppendAudit(context.Background(), r))
		recs = append(recs, r)
	}
	return recs
}

func allAudit(t *testing.T, db *store.DB) []seal.ChainRecord {
	t.Helper()
	var all []seal.ChainRecord
	must(t, db.EachAudit(context.Background(), func(r *seal.ChainRecord) error {
		all = append(all, *r)
		return nil
	}))
	return all
}

func TestAuditAppendReadBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n, err := db.VerifyAudit(ctx)
		if err != nil || n != 0 {
			t.Fatalf("empty trail: %d, %v", n, err)
		}
		recs := appendN(t, db, 5)
		for i, r := range recs {
			if r.Seq != int64(i+1) || r.Hash == "" || (i > 0 && r.PrevHash != recs[i-1].Hash) {
				t.Fatalf("record %d not chained: %+v", i, r)
			}
			// t0 has sub-millisecond noise: the hashed time is the stored one.
			if want := t0.Add(time.Duration(i) * time.Minute).Truncate(time.Millisecond); !r.Time.Equal(want) {
				t.Errorf("record %d time %v, want %v", i, r.Time, want)
			}
		}
		got := allAudit(t, db)
		if len(got) != 5 {
			t.Fatalf("read back %d records", len(got))
		}
		for i := range got {
			w := recs[i]
			g := got[i]
			if g.Seq != w.Seq || !g.Time.Equal(w.Time) || g.Actor != w.Actor || g.Role != w.Role ||
				g.Address != w.Address || g.Object != w.Object || g.Action != w.Action ||
				g.Result != w.Result || string(g.Detail) != string(w.Detail) ||
				g.PrevHash != w.PrevHash || g.Hash != w.Hash {
				t.Errorf("record %d read back\n got %+v\nwant %+v", i, g, *w)
			}
		}
		if err := seal.VerifyChain(got); err != nil {
			t.Fatalf("records read back do not verify: %v", err)
		}
		if n, err := db.VerifyAudit(ctx); err != nil || n != 5 {
			t.Fatalf("VerifyAudit = %d, %v", n, err)
		}

		// A record without time or detail gets now, and reads back the same.
		db.SetClock(biopilot.NewFakeClock(t0.Add(time.Hour)))
		r := &seal.ChainRecord{Actor: "system", Action: "deadline_extend", Result: store.AuditOK,
			Object: "program:gd-2025-biomfg-pilot"}
		must(t, db.AppendAudit(ctx, r))
		if !r.Time.Equal(t0.Add(time.Hour).Truncate(time.Millisecond)) || r.Seq != 6 {
			t.Errorf("stamped record: %+v", r)
		}
		if n, err := db.VerifyAudit(ctx); err != nil || n != 6 {
			t.Fatalf("VerifyAudit = %d, %v", n, err)
		}
	})
}

func TestAuditAppendInvalid(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tests := []struct {
			name, field string
			rec         seal.ChainRecord
		}{
			{"no action", "action", seal.ChainRecord{Result: "ok"}},
			{"bad result", "result", seal.ChainRecord{Action: "login", Result: "maybe"}},
			{"empty result", "result", seal.ChainRecord{Action: "login"}},
			{"detail not JSON", "detail", seal.ChainRecord{Action: "login", Result: "ok", Detail: json.RawMessage(`{"a":`)}},
		}
		for _, tt := range tests {
			e := wantCode(t, db.AppendAudit(context.Background(), &tt.rec), biopilot.EINVALID)
			if e.Field != tt.field {
				t.Errorf("%s: field %q, want %q", tt.name, e.Field, tt.field)
			}
		}
		if n, err := db.VerifyAudit(context.Background()); n != 0 || err != nil {
			t.Fatalf("refused records were stored: %d, %v", n, err)
		}
	})
}

func TestAuditRecordsFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		appendN(t, db, 12)
		seqs := func(f store.AuditFilter) ([]int64, int) {
			t.Helper()
			recs, total, err := db.AuditRecords(ctx, f)
			must(t, err)
			var s []int64
			for _, r := range recs {
				s = append(s, r.Seq)
			}
			return s, total
		}
		tests := []struct {
			name  string
			f     store.AuditFilter
			want  string
			total int
		}{
			{"all, newest first", store.AuditFilter{}, "[12 11 10 9 8 7 6 5 4 3 2 1]", 12},
			{"page", store.AuditFilter{Limit: 3, Offset: 2}, "[10 9 8]", 12},
			// user:1 must not match user:12.
			{"one user", store.AuditFilter{Actor: "user:1"}, "[11 9 7 5 3 1]", 6},
			{"other user", store.AuditFilter{Actor: "user:12"}, "[12 10 8 6 4 2]", 6},
			{"actor text", store.AuditFilter{Actor: "张三12"}, "[12 10 8 6 4 2]", 6},
			{"action", store.AuditFilter{Action: "login"}, "[10 8 4 2]", 4},
			{"action family", store.AuditFilter{Action: "transition:"}, "[11 7 5 1]", 4},
			{"result", store.AuditFilter{Result: store.AuditDenied}, "[12 9 6 3]", 4},
			{"object", store.AuditFilter{Object: "application:2"}, "[11 8 5 2]", 4},
			{"time range", store.AuditFilter{From: t0.Add(2 * time.Minute), To: t0.Add(5 * time.Minute)}, "[5 4 3]", 3},
			{"combined", store.AuditFilter{Actor: "user:12", Result: store.AuditOK}, "[10 8 4 2]", 4},
			{"nothing", store.AuditFilter{Action: "user_disable"}, "[]", 0},
		}
		for _, tt := range tests {
			got, total := seqs(tt.f)
			if fmt.Sprint(got) != tt.want && !(got == nil && tt.want == "[]") || total != tt.total {
				t.Errorf("%s: %v (total %d), want %s (total %d)", tt.name, got, total, tt.want, tt.total)
			}
		}
	})
}

func TestAuditConcurrentAppends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const workers, each = 10, 5
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					r := auditRec(w*each+i, int64(w+1), "download", store.AuditOK)
					r.Time = time.Time{}
					if err := db.AppendAudit(context.Background(), r); err != nil {
						errs <- err
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all := allAudit(t, db)
		if len(all) != workers*each {
			t.Fatalf("%d records, want %d", len(all), workers*each)
		}
		for i, r := range all {
			if r.Seq != int64(i+1) {
				t.Fatalf("record %d has seq %d: the chain has a gap or is out of order", i, r.Seq)
			}
		}
		if n, err := db.VerifyAudit(context.Background()); err != nil || n != workers*each {
			t.Fatalf("VerifyAudit = %d, %v", n, err)
		}
	})
}

func TestAuditAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		appendN(t, db, 3)
		for _, stmt := range []string{
			`UPDATE audit_log SET action = 'nothing' WHERE seq = 2`,
			`DELETE FROM audit_log WHERE seq = 3`,
			`DELETE FROM audit_log`,
		} {
			_, err := db.SQL().Exec(stmt)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want the trigger's refusal", stmt, err)
			}
		}
		if db.Dialect() == store.DialectPostgres {
			if _, err := db.SQL().Exec(`TRUNCATE audit_log`); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("TRUNCATE: %v, want the trigger's refusal", err)
			}
		}
		if n, err := db.VerifyAudit(context.Background()); err != nil || n != 3 {
			t.Fatalf("VerifyAudit = %d, %v", n, err)
		}
	})
}

// disableAuditTriggers does what an attacker with access to the database would do
// before editing the trail.
func disableAuditTriggers(t *testing.T, db *store.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
	if db.Dialect() == store.DialectPostgres {
		stmts = []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`}
	}
	for _, s := range stmts {
		if _, err := db.SQL().Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditTamperDetected(t *testing.T) {
	tests := []struct {
		name  string
		stmts []string
		seq   int64
		kind  string
	}{
		{"edited action", []string{`UPDATE audit_log SET action = 'user_disable' WHERE seq = 4`}, 4, "edited"},
		{"edited time", []string{`UPDATE audit_log SET at = at + 1 WHERE seq = 2`}, 2, "edited"},
		{"edited detail", []string{`UPDATE audit_log SET detail = '{"n":5,"意见":"不同意"}' WHERE seq = 6`}, 6, "edited"},
		{"deleted", []string{`DELETE FROM audit_log WHERE seq = 3`}, 3, "missing"},
		{"deleted last but one", []string{`DELETE FROM audit_log WHERE seq = 7`}, 7, "missing"},
		{"swapped", []string{
			`UPDATE audit_log SET seq = -3 WHERE seq = 3`,
			`UPDATE audit_log SET seq = 3 WHERE seq = 4`,
			`UPDATE audit_log SET seq = 4 WHERE seq = -3`,
		}, 3, "reordered"},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		disableAuditTriggers(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// A fresh chain for each case.
				if _, err := db.SQL().Exec(`DELETE FROM audit_log`); err != nil {
					t.Fatal(err)
				}
				appendN(t, db, 8)
				if n, err := db.VerifyAudit(context.Background()); err != nil || n != 8 {
					t.Fatalf("before tampering: %d, %v", n, err)
				}
				for _, s := range tt.stmts {
					if _, err := db.SQL().Exec(s); err != nil {
						t.Fatalf("%s: %v", s, err)
					}
				}
				_, err := db.VerifyAudit(context.Background())
				e := wantCode(t, err, biopilot.EINVALID)
				br, ok := e.Detail.(seal.ChainBreak)
				if !ok || br.Seq != tt.seq || br.Kind != tt.kind {
					t.Fatalf("break %+v (%s), want seq %d %s", e.Detail, e.Message, tt.seq, tt.kind)
				}
				if !strings.Contains(e.Message, fmt.Sprintf("第 %d 条", tt.seq)) {
					t.Errorf("message %q does not name record %d", e.Message, tt.seq)
				}
			})
		}
	})
}
