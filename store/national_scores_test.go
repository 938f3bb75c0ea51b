package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/national"
	"biopilot/program"
	"biopilot/store"
	"biopilot/store/storetest"
)

// atMinistry creates an application of org and moves it to recommended_to_ministry
// (Transition does not check the state machine: the test jumps there).
func atMinistry(t *testing.T, db *store.DB, org *biopilot.Organisation, by *biopilot.User, name string, domains ...string) *biopilot.Application {
	t.Helper()
	a := newApp(t, db, org, by, name, domains...)
	a, err := db.Transition(context.Background(), store.TransitionRequest{ApplicationID: a.ID,
		From: biopilot.StateDraft, To: biopilot.StateRecommendedToMinistry})
	must(t, err)
	return a
}

// newExpert adds an active expert of program gd-2025.
func newExpert(t *testing.T, db *store.DB, name string, domains ...string) *store.ExpertRecord {
	t.Helper()
	e := &store.ExpertRecord{ProgramID: "gd-2025", Name: name, OrgName: name + "所在大学", Domains: domains, Active: true}
	must(t, db.CreateExpert(context.Background(), e))
	return e
}

// toReview is the transition of an assignment batch.
func toReview(id int64) store.TransitionRequest {
	return store.TransitionRequest{ApplicationID: id, From: biopilot.StateRecommendedToMinistry,
		To: biopilot.StateExpertReview, Transition: &biopilot.Transition{ActorRole: biopilot.RoleMinistry, Reason: "分配评审专家"}}
}

func assignment(app *biopilot.Application, e *store.ExpertRecord) *store.ReviewAssignment {
	return &store.ReviewAssignment{ProgramID: "gd-2025", Round: store.RoundSelection, ApplicationID: app.ID, ExpertID: e.ID}
}

func wantState(t *testing.T, db *store.DB, id int64, want biopilot.State) {
	t.Helper()
	a, err := db.Application(context.Background(), id)
	must(t, err)
	if a.State != want {
		t.Fatalf("application %d is %s, want %s", id, a.State, want)
	}
}

func TestExperts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广州甲", "440100")
		u := newApplicant(t, db, org, "login")
		e := &store.ExpertRecord{ProgramID: "gd-2025", UserID: u.ID, Name: " 王五 ", OrgName: "中山大学",
			OrgUSCC: "12440000455415238X", CityCode: "440100", Domains: []string{"enzyme"},
			Relations: []national.Relation{{OrgName: "广州甲", Kind: "近三年合作项目"}}, Active: true}
		must(t, db.CreateExpert(ctx, e))
		if e.ID == 0 || e.CreatedAt.IsZero() || e.Name != "王五" {
			t.Fatalf("created %+v", e)
		}
		b := newExpert(t, db, "李四")
		newExpert(t, db, "张三")
		dup := &store.ExpertRecord{ProgramID: "gd-2025", UserID: u.ID, Name: "另一人"}
		wantCode(t, db.CreateExpert(ctx, dup), biopilot.EINVALID)
		wantCode(t, db.CreateExpert(ctx, &store.ExpertRecord{ProgramID: "gd-2025"}), biopilot.EINVALID)

		got, err := db.ExpertByUser(ctx, u.ID)
		must(t, err)
		if got.ID != e.ID || len(got.Relations) != 1 || got.Relations[0].Kind != "近三年合作项目" ||
			len(got.Domains) != 1 || !got.Active || got.OrgUSCC != e.OrgUSCC {
			t.Fatalf("by user %+v", got)
		}
		_, err = db.ExpertByUser(ctx, 999)
		wantCode(t, err, biopilot.ENOTFOUND)
		_, err = db.Expert(ctx, 999)
		wantCode(t, err, biopilot.ENOTFOUND)

		b.Active, b.Domains = false, []string{"a", "b"}
		must(t, db.UpdateExpert(ctx, b))
		got, err = db.Expert(ctx, b.ID)
		must(t, err)
		if got.Active || len(got.Domains) != 2 || got.Relations == nil {
			t.Fatalf("updated %+v", got)
		}
		wantCode(t, db.UpdateExpert(ctx, &store.ExpertRecord{ID: 999, ProgramID: "gd-2025", Name: "x"}), biopilot.ENOTFOUND)

		list, err := db.Experts(ctx, "gd-2025")
		must(t, err)
		var names []string
		for _, x := range list {
			names = append(names, x.Name)
		}
		// By name (the databases' collation: code points of the UTF-8 text).
		if len(names) != 3 || !strings.Contains(strings.Join(names, ","), "王五") {
			t.Fatalf("experts %v", names)
		}
		if other, _ := db.Experts(ctx, "cn-2025"); len(other) != 0 {
			t.Fatalf("another program's pool has %d", len(other))
		}
		if ne := got.NationalExpert(); ne.ID != strconv.FormatInt(b.ID, 10) || ne.Name != "李四" {
			t.Fatalf("national expert %+v", ne)
		}
	})
}

func TestAssignBatchAtomic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广州甲", "440100")
		u := newApplicant(t, db, org, "a1")
		a1 := atMinistry(t, db, org, u, "平台一")
		a2 := atMinistry(t, db, org, u, "平台二")
		e1, e2 := newExpert(t, db, "专家一"), newExpert(t, db, "专家二")

		// A duplicate in the batch: nothing is kept, no application moves.
		bad := store.AssignRequest{
			Add:         []*store.ReviewAssignment{assignment(a1, e1), assignment(a2, e1), assignment(a1, e1)},
			Transitions: []store.TransitionRequest{toReview(a1.ID), toReview(a2.ID)},
		}
		err := db.Assign(ctx, bad)
		if e := wantCode(t, err, biopilot.ECONFLICT); !strings.Contains(e.Message, "该专家已分配评审此申报书") {
			t.Fatalf("message %q", e.Message)
		}
		if bad.Add[0].ID != 0 {
			t.Errorf("a rolled back assignment kept its id %d", bad.Add[0].ID)
		}
		all, err := db.Assignments(ctx, store.AssignmentFilter{ProgramID: "gd-2025", Round: store.RoundSelection})
		must(t, err)
		if len(all) != 0 {
			t.Fatalf("%d assignments kept after a failed batch", len(all))
		}
		wantState(t, db, a1.ID, biopilot.StateRecommendedToMinistry)
		if ts, _ := db.Transitions(ctx, a1.ID); len(ts) != 1 {
			t.Fatalf("%d transitions after a failed batch, want 1", len(ts))
		}

		// A transition that fails rolls the assignments back too.
		err = db.Assign(ctx, store.AssignRequest{Add: []*store.ReviewAssignment{assignment(a1, e1)},
			Transitions: []store.TransitionRequest{toReview(a1.ID), {ApplicationID: a2.ID,
				From: biopilot.StateExpertReview, To: biopilot.StatePublicized}}})
		wantCode(t, err, biopilot.ECONFLICT)
		if all, _ = db.Assignments(ctx, store.AssignmentFilter{Round: store.RoundSelection}); len(all) != 0 {
			t.Fatalf("%d assignments kept after a failed transition", len(all))
		}

		// The good batch.
		good := store.AssignRequest{
			Add:         []*store.ReviewAssignment{assignment(a1, e1), assignment(a1, e2), assignment(a2, e1)},
			Transitions: []store.TransitionRequest{toReview(a1.ID), toReview(a2.ID)},
		}
		good.Add[1].Manual = true
		must(t, db.Assign(ctx, good))
		for _, a := range good.Add {
			if a.ID == 0 || a.State != store.AssignAssigned || a.AssignedAt.IsZero() {
				t.Fatalf("assigned %+v", a)
			}
		}
		if tr := good.Transitions[0].Transition; tr.ID == 0 || tr.To != biopilot.StateExpertReview {
			t.Fatalf("transition record %+v", tr)
		}
		wantState(t, db, a2.ID, biopilot.StateExpertReview)
		mine, err := db.Assignments(ctx, store.AssignmentFilter{ExpertID: e1.ID, States: []string{store.AssignAssigned}})
		must(t, err)
		if len(mine) != 2 || mine[0].ApplicationID != a1.ID {
			t.Fatalf("expert 1's assignments %+v", mine)
		}
		got, err := db.Assignment(ctx, good.Add[1].ID)
		must(t, err)
		if !got.Manual || got.ExpertID != e2.ID {
			t.Fatalf("assignment %+v", got)
		}

		// Drop and reassign the same expert in one batch; a drop needs a reason.
		wantCode(t, db.Assign(ctx, store.AssignRequest{Drop: []store.AssignmentDrop{{AssignmentID: got.ID}}}), biopilot.EINVALID)
		must(t, db.Assign(ctx, store.AssignRequest{
			Drop: []store.AssignmentDrop{{AssignmentID: got.ID, Reason: "专家出差"}},
			Add:  []*store.ReviewAssignment{assignment(a1, e2)}}))
		dropped, _ := db.Assignment(ctx, got.ID)
		if dropped.State != store.AssignDropped || dropped.DropReason != "专家出差" {
			t.Fatalf("dropped %+v", dropped)
		}
		// Dropping it again is a conflict.
		wantCode(t, db.Assign(ctx, store.AssignRequest{Drop: []store.AssignmentDrop{{AssignmentID: got.ID, Reason: "x"}}}),
			biopilot.ECONFLICT)
	})
}

func TestDeclareAndScore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广州甲", "440100")
		u := newApplicant(t, db, org, "a1")
		app := atMinistry(t, db, org, u, "平台一")
		e1, e2, e3 := newExpert(t, db, "专家一"), newExpert(t, db, "专家二"), newExpert(t, db, "专家三")
		req := store.AssignRequest{Add: []*store.ReviewAssignment{assignment(app, e1), assignment(app, e2)},
			Transitions: []store.TransitionRequest{toReview(app.ID)}}
		must(t, db.Assign(ctx, req))
		x1, x2 := req.Add[0], req.Add[1]

		// A conflict needs a reason; with it, the replacement lands in the same step.
		_, err := db.Declare(ctx, store.DeclareRequest{AssignmentID: x2.ID, Conflict: true})
		wantCode(t, err, biopilot.EINVALID)
		// A replacement that duplicates a live assignment fails the whole declaration.
		_, err = db.Declare(ctx, store.DeclareRequest{AssignmentID: x2.ID, Conflict: true, Reason: "曾在该单位任职",
			Replacement: &store.ReviewAssignment{ExpertID: e1.ID}})
		wantCode(t, err, biopilot.ECONFLICT)
		if cur, _ := db.Assignment(ctx, x2.ID); cur.State != store.AssignAssigned {
			t.Fatalf("declaration kept although its replacement failed: %s", cur.State)
		}
		rep := &store.ReviewAssignment{ExpertID: e3.ID, AssignedBy: 0}
		got, err := db.Declare(ctx, store.DeclareRequest{AssignmentID: x2.ID, Conflict: true, Reason: "曾在该单位任职",
			At: t0, Replacement: rep})
		must(t, err)
		if got.State != store.AssignConflict || got.ConflictReason != "曾在该单位任职" || !got.DeclaredAt.Equal(t0.Truncate(time.Millisecond)) {
			t.Fatalf("declared %+v", got)
		}
		if rep.ID == 0 || rep.ApplicationID != app.ID || rep.Round != store.RoundSelection {
			t.Fatalf("replacement %+v", rep)
		}
		// A second declaration is a conflict.
		_, err = db.Declare(ctx, store.DeclareRequest{AssignmentID: x2.ID})
		wantCode(t, err, biopilot.ECONFLICT)
		// e2 may be assigned to it again later (the conflict row is not live).
		must(t, db.Assign(ctx, store.AssignRequest{Add: []*store.ReviewAssignment{assignment(app, e2)}}))

		sheet := national.ScoreSheet{{Key: "capacity", Label: "中试能力", MaxPoints: 60, Weight: 1},
			{Key: "service", Label: "服务", MaxPoints: 40, Weight: 1}}
		sc := national.Score{ExpertID: strconv.FormatInt(e1.ID, 10), AppID: strconv.FormatInt(app.ID, 10),
			Points:   map[string]float64{"capacity": 50, "service": 30.5},
			Comments: map[string]string{"capacity": "设备齐全", "service": "服务案例较多"}}
		plan := national.Assignment{Experts: map[string][]string{sc.AppID: {sc.ExpertID}}}
		sealed, err := national.Seal(sheet, plan, sc, t0) // sub-millisecond instant: kept exactly
		must(t, err)

		// Scoring before declaring is refused.
		_, err = db.SubmitScore(ctx, x1.ID, sealed)
		wantCode(t, err, biopilot.ECONFLICT)
		_, err = db.Declare(ctx, store.DeclareRequest{AssignmentID: x1.ID})
		must(t, err)
		// A score of another expert, or tampered with, is refused.
		wrong := sealed
		wrong.Total = 99
		_, err = db.SubmitScore(ctx, x1.ID, wrong)
		wantCode(t, err, biopilot.EINVALID)
		_, err = db.SubmitScore(ctx, rep.ID, sealed)
		wantCode(t, err, biopilot.EINVALID)

		scored, err := db.SubmitScore(ctx, x1.ID, sealed)
		must(t, err)
		if scored.State != store.AssignScored || scored.Total != 80.5 || scored.Points["service"] != 30.5 ||
			scored.Comments["capacity"] != "设备齐全" || scored.Digest != sealed.Digest {
			t.Fatalf("scored %+v", scored)
		}
		again, err := db.Assignment(ctx, x1.ID)
		must(t, err)
		if !again.Sealed().Verify() {
			t.Fatal("the stored score does not verify against its digest")
		}
		_, err = db.SubmitScore(ctx, x1.ID, sealed)
		if e := wantCode(t, err, biopilot.ECONFLICT); e.Message != "评分已提交，不可修改" {
			t.Fatalf("message %q", e.Message)
		}
		// Dropping a scored assignment is refused.
		wantCode(t, db.Assign(ctx, store.AssignRequest{Drop: []store.AssignmentDrop{{AssignmentID: x1.ID, Reason: "x"}}}),
			biopilot.ECONFLICT)

		// The database itself refuses to change or delete a sealed score.
		for _, stmt := range []string{
			`UPDATE review_assignments SET total = 100 WHERE id = ?`,
			`UPDATE review_assignments SET points = '{}' WHERE id = ?`,
			`UPDATE review_assignments SET state = 'accepted' WHERE id = ?`,
			`DELETE FROM review_assignments WHERE id = ?`,
		} {
			if _, err := db.SQL().ExecContext(ctx, db.Rebind(stmt), x1.ID); err == nil ||
				!strings.Contains(err.Error(), "a scored assignment is final") {
				t.Errorf("%s: %v, want the trigger's refusal", stmt, err)
			}
		}
		// Other rows stay writable.
		if _, err := db.SQL().ExecContext(ctx, db.Rebind(`UPDATE review_assignments SET drop_reason = 'x' WHERE id = ?`), rep.ID); err != nil {
			t.Errorf("updating an unscored assignment: %v", err)
		}
		final, _ := db.Assignment(ctx, x1.ID)
		if final.Total != 80.5 || final.State != store.AssignScored {
			t.Fatalf("after refused updates %+v", final)
		}
	})
}

func TestDecisionsLatestWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广州甲", "440100")
		u := newApplicant(t, db, org, "a1")
		a1, a2 := atMinistry(t, db, org, u, "平台一"), atMinistry(t, db, org, u, "平台二")
		decide := func(app int64, round, outcome, reason string) *store.CommitteeDecision {
			d := &store.CommitteeDecision{ProgramID: "gd-2025", Round: round, ApplicationID: app,
				Outcome: outcome, Reason: reason, Score: 81.5, Rank: 2}
			must(t, db.Decide(ctx, d))
			return d
		}
		wantCode(t, db.Decide(ctx, &store.CommitteeDecision{ProgramID: "gd-2025", Round: store.RoundSelection,
			ApplicationID: a1.ID, Outcome: "maybe", Reason: "x"}), biopilot.EINVALID)
		wantCode(t, db.Decide(ctx, &store.CommitteeDecision{ProgramID: "gd-2025", Round: store.RoundSelection,
			ApplicationID: a1.ID, Outcome: national.DecisionRecommend}), biopilot.EINVALID)
		decide(a1.ID, store.RoundSelection, national.DecisionRecommend, "综合评分靠前")
		last := decide(a1.ID, store.RoundSelection, national.DecisionNotRecommend, "复议后不予入选")
		decide(a2.ID, store.RoundSelection, national.DecisionRecommend, "领域第一")
		decide(a2.ID, store.AnnualRound(2026), national.DecisionNotRecommend, "另一轮")
		ds, err := db.Decisions(ctx, "gd-2025", store.RoundSelection)
		must(t, err)
		if len(ds) != 2 || ds[0].ID != last.ID || ds[0].Outcome != national.DecisionNotRecommend ||
			ds[1].ApplicationID != a2.ID || ds[1].Outcome != national.DecisionRecommend || ds[1].Rank != 2 || ds[1].Score != 81.5 {
			t.Fatalf("decisions %+v", ds)
		}
		if ds, _ := db.Decisions(ctx, "gd-2025", "annual-2026"); len(ds) != 1 {
			t.Fatalf("annual decisions %d", len(ds))
		}
	})
}

// The sheet type is program's criteria.
var _ national.ScoreSheet = []program.Criterion(nil)
