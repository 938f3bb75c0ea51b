package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestAnnualReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广州甲", "440100")
		u := newApplicant(t, db, org, "a1")
		app := newApp(t, db, org, u, "平台一")

		_, err := db.OpenAnnualReport(ctx, "gd-2025", app.ID, 2026, json.RawMessage(`[1]`), u.ID)
		wantCode(t, err, biopilot.EINVALID)
		_, err = db.OpenAnnualReport(ctx, "gd-2025", 999, 2026, nil, u.ID)
		wantCode(t, err, biopilot.EINVALID)

		// Opened at once by two people: one report.
		var wg sync.WaitGroup
		got := make([]*store.AnnualReport, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := db.OpenAnnualReport(ctx, "gd-2025", app.ID, 2026, json.RawMessage(`{"services":{"count":12}}`), u.ID)
				if err != nil {
					t.Error(err)
				}
				got[i] = r
			}()
		}
		wg.Wait()
		r := got[0]
		if r == nil {
			t.FailNow()
		}
		for _, x := range got {
			if x == nil || x.ID != r.ID {
				t.Fatalf("opened twice: %+v vs %+v", x, r)
			}
		}
		if r.State != store.ReportDraft || r.Version != 1 || string(r.Document) != `{"services":{"count":12}}` || r.CreatedBy != u.ID {
			t.Fatalf("opened %+v", r)
		}
		// Opening again keeps what was saved (the prefill does not overwrite it).
		saved, err := db.SaveAnnualReport(ctx, r.ID, 1, json.RawMessage(`{"services":{"count":15}}`), u.ID)
		must(t, err)
		if saved.Version != 2 {
			t.Fatalf("saved %+v", saved)
		}
		again, err := db.OpenAnnualReport(ctx, "gd-2025", app.ID, 2026, json.RawMessage(`{}`), u.ID)
		must(t, err)
		if string(again.Document) != `{"services":{"count":15}}` {
			t.Fatalf("reopened %s", again.Document)
		}
		other, err := db.OpenAnnualReport(ctx, "gd-2025", app.ID, 2027, nil, u.ID)
		must(t, err)
		if other.ID == r.ID || string(other.Document) != `{}` {
			t.Fatalf("2027 report %+v", other)
		}

		// A stale save is refused with the current report.
		_, err = db.SaveAnnualReport(ctx, r.ID, 1, json.RawMessage(`{"lost":true}`), u.ID)
		e := wantCode(t, err, biopilot.ECONFLICT)
		if cur, ok := e.Detail.(*store.AnnualReport); !ok || cur.Version != 2 {
			t.Fatalf("detail %#v", e.Detail)
		}
		_, err = db.SaveAnnualReport(ctx, r.ID, 2, json.RawMessage(`nope`), u.ID)
		wantCode(t, err, biopilot.EINVALID)
		_, err = db.SaveAnnualReport(ctx, 999, 1, nil, u.ID)
		wantCode(t, err, biopilot.ENOTFOUND)

		// Submit: a stale version or no hash is refused; then frozen.
		_, err = db.SubmitAnnualReport(ctx, r.ID, 1, "hash", u.ID)
		wantCode(t, err, biopilot.ECONFLICT)
		_, err = db.SubmitAnnualReport(ctx, r.ID, 2, "", u.ID)
		wantCode(t, err, biopilot.EINVALID)
		sub, err := db.SubmitAnnualReport(ctx, r.ID, 2, "sm3hash", u.ID)
		must(t, err)
		if sub.State != store.ReportSubmitted || sub.SnapshotHash != "sm3hash" || sub.SubmittedAt.IsZero() || sub.SubmittedBy != u.ID {
			t.Fatalf("submitted %+v", sub)
		}
		_, err = db.SaveAnnualReport(ctx, r.ID, sub.Version, json.RawMessage(`{}`), u.ID)
		if e := wantCode(t, err, biopilot.ECONFLICT); e.Message != "年度报告已提交，不能修改" {
			t.Fatalf("message %q", e.Message)
		}
		_, err = db.SubmitAnnualReport(ctx, r.ID, sub.Version, "h2", u.ID)
		wantCode(t, err, biopilot.ECONFLICT)

		byYear, err := db.AnnualReportFor(ctx, app.ID, 2026)
		must(t, err)
		if byYear.ID != r.ID || byYear.State != store.ReportSubmitted {
			t.Fatalf("for %+v", byYear)
		}
		_, err = db.AnnualReportFor(ctx, app.ID, 2030)
		wantCode(t, err, biopilot.ENOTFOUND)
		_, err = db.AnnualReport(ctx, 999)
		wantCode(t, err, biopilot.ENOTFOUND)
		list, err := db.AnnualReports(ctx, "gd-2025", 2026)
		must(t, err)
		if len(list) != 1 || list[0].ID != r.ID {
			t.Fatalf("reports %+v", list)
		}
	})
}
