package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestBulkCreateApplications(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "批量单位", "440100")
		u := newApplicant(t, db, org, "bulk")
		draft := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, CityCode: "440100",
			State: biopilot.StateDraft, Document: json.RawMessage(`{"platform":{"name":"甲"}}`),
			PlatformName: "甲", Domains: []string{"enzymes", "enzymes", "cosmetics"}, CreatedBy: u.ID,
			UpdatedBy: u.ID, CreatedAt: t0, UpdatedAt: t0}
		sub := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, CityCode: "440100",
			State: biopilot.StateCityProposed, Version: 3, Document: json.RawMessage(`{"a":1}`),
			Snapshot: json.RawMessage(`{"a":1}`), SnapshotHash: "abc", CreatedBy: u.ID,
			UpdatedBy: u.ID, CreatedAt: t0, UpdatedAt: t0, SubmittedAt: t0}
		ts := []*biopilot.Transition{
			{From: biopilot.StateDraft, To: biopilot.StateSubmitted, ActorID: u.ID, ActorRole: biopilot.RoleApplicant, At: t0},
			{From: biopilot.StateSubmitted, To: biopilot.StateCityProposed, ActorRole: biopilot.RoleCityMIIT,
				Data: json.RawMessage(`{"action":"city_propose"}`), At: t0},
		}
		must(t, db.BulkCreateApplications(ctx, []store.BulkApplication{{App: draft}, {App: sub, Transitions: ts}}))
		if draft.ID == 0 || sub.ID == 0 || draft.ID == sub.ID {
			t.Fatalf("ids %d, %d", draft.ID, sub.ID)
		}
		got, err := db.Application(ctx, draft.ID)
		must(t, err)
		if got.State != biopilot.StateDraft || got.Version != 1 || got.OrgName != "批量单位" ||
			len(got.Domains) != 2 || got.Domains[0] != "enzymes" || got.Domains[1] != "cosmetics" {
			t.Errorf("draft read back as %+v", got)
		}
		got, err = db.Application(ctx, sub.ID)
		must(t, err)
		if got.State != biopilot.StateCityProposed || got.Version != 3 || string(got.Snapshot) != `{"a":1}` ||
			!got.SubmittedAt.Equal(t0.Truncate(1e6)) {
			t.Errorf("submitted read back as %+v", got)
		}
		hist, err := db.Transitions(ctx, sub.ID)
		must(t, err)
		if len(hist) != 2 || hist[1].To != biopilot.StateCityProposed || ts[1].ID != hist[1].ID {
			t.Errorf("history %+v", hist)
		}
		v, err := db.ApplicationVersionDocument(ctx, sub.ID, 3)
		must(t, err)
		if string(v.Document) != `{"a":1}` {
			t.Errorf("version 3 = %s", v.Document)
		}
		// The stored version is the base of the next save.
		if _, err := db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: draft.ID, BaseVersion: 1,
			Document: json.RawMessage(`{}`), UserID: u.ID}); err != nil {
			t.Errorf("save after bulk load: %v", err)
		}

		counts, err := db.TransitionCounts(ctx, "gd-2025")
		must(t, err)
		if counts[biopilot.StateSubmitted] != 1 || counts[biopilot.StateCityProposed] != 1 || len(counts) != 2 {
			t.Errorf("transition counts %v", counts)
		}
		if counts, err := db.TransitionCounts(ctx, "other"); err != nil || len(counts) != 0 {
			t.Errorf("other program: %v, %v", counts, err)
		}
		if counts, err := db.TransitionCounts(ctx, ""); err != nil || counts[biopilot.StateSubmitted] != 1 {
			t.Errorf("all programs: %v, %v", counts, err)
		}
	})
}

func TestBulkCreateApplicationsRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "批量单位", "440100")
		good := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, State: biopilot.StateDraft}
		bad := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, State: "nonsense"}
		err := db.BulkCreateApplications(ctx, []store.BulkApplication{{App: good}, {App: bad}})
		wantCode(t, err, biopilot.EINVALID)
		apps, n, err := db.Applications(ctx, store.ApplicationFilter{})
		must(t, err)
		if n != 0 || len(apps) != 0 {
			t.Errorf("%d applications after a failed batch", n)
		}
		missingOrg := &biopilot.Application{ProgramID: "gd-2025", OrgID: 999, State: biopilot.StateDraft}
		if err := db.BulkCreateApplications(ctx, []store.BulkApplication{{App: missingOrg}}); err == nil {
			t.Error("unknown organisation accepted")
		}
	})
}

func TestAnalyze(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		org := newOrg(t, db, 1, "统计单位", "440100")
		u := newApplicant(t, db, org, "stats")
		newApp(t, db, org, u, "平台")
		must(t, db.Analyze(context.Background()))
		if db.Dialect() == store.DialectSQLite {
			var n int
			must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'applications'`).Scan(&n))
			if n == 0 {
				t.Error("no statistics for applications after Analyze")
			}
			// No value samples: they would make prepared statements compile again on
			// every run (see Analyze).
			must(t, db.SQL().QueryRow(`SELECT COUNT(*) FROM sqlite_stat4`).Scan(&n))
			if n != 0 {
				t.Errorf("%d STAT4 samples after Analyze, want none", n)
			}
			// The connections still answer, and a second run works too.
			must(t, db.Analyze(context.Background()))
			if _, _, err := db.Applications(context.Background(), store.ApplicationFilter{CityCode: "440100"}); err != nil {
				t.Error(err)
			}
		}
	})
}
