package store_test

import (
	"context"
	"testing"
	"time"

	"biopilot"
	"biopilot/program"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestDeadlines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "单位", "440100")
		admin := newApplicant(t, db, org, "admin1")
		const pid = "gd-2025-biomfg-pilot"
		d, err := db.Deadlines(ctx, pid)
		if err != nil || d != nil {
			t.Fatalf("never overridden: %v, %v", d, err)
		}
		first := program.Deadlines{Applicant: "2025-07-31", City: "2025-08-07"}
		must(t, db.SetDeadlines(ctx, pid, first, admin.ID, "系统故障顺延", t0))
		second := program.Deadlines{Applicant: "2025-08-05T17:00:00+08:00", City: "2025-08-12"}
		must(t, db.SetDeadlines(ctx, pid, second, admin.ID, "应地市请求延长", t0.Add(-time.Hour)))
		must(t, db.SetDeadlines(ctx, "another", first, 0, "另一项目", time.Time{}))

		// The latest set wins, whatever its time says.
		d, err = db.Deadlines(ctx, pid)
		must(t, err)
		if d == nil || *d != second {
			t.Fatalf("Deadlines = %v, want %v", d, second)
		}
		cs, err := db.DeadlineChanges(ctx, pid)
		must(t, err)
		if len(cs) != 2 || cs[0].Deadlines != second || cs[1].Deadlines != first || cs[1].SetBy != admin.ID ||
			cs[1].Reason != "系统故障顺延" || !cs[1].SetAt.Equal(t0.Truncate(time.Millisecond)) {
			t.Fatalf("DeadlineChanges = %+v %+v", cs[0], cs[1])
		}

		for _, tt := range []struct {
			pid    string
			d      program.Deadlines
			by     int64
			reason string
			field  string
		}{
			{"", first, 0, "x", "program_id"},
			{pid, program.Deadlines{Applicant: "2025/07/31", City: "2025-08-07"}, 0, "x", "deadlines.applicant"},
			{pid, program.Deadlines{Applicant: "2025-07-31", City: ""}, 0, "x", "deadlines.city"},
			{pid, first, 0, "  ", "reason"},
			{pid, first, 9999, "x", "set_by"},
		} {
			e := wantCode(t, db.SetDeadlines(ctx, tt.pid, tt.d, tt.by, tt.reason, time.Time{}), biopilot.EINVALID)
			if e.Field != tt.field {
				t.Errorf("%+v: field %q, want %q (%s)", tt, e.Field, tt.field, e.Message)
			}
		}
		d, err = db.Deadlines(ctx, pid)
		must(t, err)
		if *d != second {
			t.Fatalf("a refused change was stored: %v", d)
		}
	})
}
