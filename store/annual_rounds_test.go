package store_test

import (
	"context"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestAnnualEvaluations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广州甲", "440100")
		u := newApplicant(t, db, org, "m1")
		due := time.Date(2027, 3, 31, 17, 0, 0, 0, biopilot.Beijing)

		for _, tc := range []struct {
			name  string
			e     store.AnnualEvaluation
			field string
		}{
			{"no program", store.AnnualEvaluation{Year: 2026, Title: "t", DueAt: due}, "program_id"},
			{"bad year", store.AnnualEvaluation{ProgramID: "gd-2025", Year: 26, Title: "t", DueAt: due}, "year"},
			{"no title", store.AnnualEvaluation{ProgramID: "gd-2025", Year: 2026, Title: "  ", DueAt: due}, "title"},
			{"no due", store.AnnualEvaluation{ProgramID: "gd-2025", Year: 2026, Title: "t"}, "due_at"},
		} {
			e := tc.e
			err := db.OpenAnnualEvaluation(ctx, &e)
			if got := wantCode(t, err, biopilot.EINVALID); got.Field != tc.field {
				t.Errorf("%s: field %q, want %q", tc.name, got.Field, tc.field)
			}
		}

		e26 := &store.AnnualEvaluation{ProgramID: "gd-2025", Year: 2026, Title: "2026年度评价", DueAt: due, OpenedBy: u.ID}
		must(t, db.OpenAnnualEvaluation(ctx, e26))
		if e26.ID == 0 || e26.OpenedAt.IsZero() {
			t.Fatalf("opened %+v", e26)
		}
		again := &store.AnnualEvaluation{ProgramID: "gd-2025", Year: 2026, Title: "again", DueAt: due}
		wantCode(t, db.OpenAnnualEvaluation(ctx, again), biopilot.ECONFLICT)
		e27 := &store.AnnualEvaluation{ProgramID: "gd-2025", Year: 2027, Title: "2027年度评价", DueAt: due.AddDate(1, 0, 0)}
		must(t, db.OpenAnnualEvaluation(ctx, e27))
		other := &store.AnnualEvaluation{ProgramID: "cn-2025", Year: 2026, Title: "其他项目", DueAt: due}
		must(t, db.OpenAnnualEvaluation(ctx, other))

		got, err := db.AnnualEvaluationFor(ctx, "gd-2025", 2026)
		must(t, err)
		if got.ID != e26.ID || got.Title != "2026年度评价" || !got.DueAt.Equal(due) || got.OpenedBy != u.ID {
			t.Fatalf("for 2026: %+v", got)
		}
		_, err = db.AnnualEvaluationFor(ctx, "gd-2025", 2030)
		wantCode(t, err, biopilot.ENOTFOUND)
		list, err := db.AnnualEvaluations(ctx, "gd-2025")
		must(t, err)
		if len(list) != 2 || list[0].Year != 2027 || list[1].Year != 2026 {
			t.Fatalf("list %+v", list)
		}
	})
}
