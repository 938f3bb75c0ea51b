package demo

import (
	"context"
	"testing"
	"time"

	"biopilot"
	"biopilot/annual"
	"biopilot/auth"
	"biopilot/files"
	"biopilot/national"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/store/storetest"
	"biopilot/web"
)

// listedDemo is the national demo seeded in the demo command's order: Seed, the
// national accounts and experts, the first batch (on a clock in 2025), the review
// walk-through, the second batch and the annual evaluation.
type listedDemo struct {
	db    *store.DB
	prog  *program.Program
	srv   *web.Server // on the demo's clock
	clock *biopilot.OffsetClock
	deps  ReviewDeps
	now   time.Time
	year  int // of the annual evaluation
}

func seedListedDemo(t *testing.T, db *store.DB) *listedDemo {
	t.Helper()
	ctx := context.Background()
	clock := biopilot.NewOffsetClock(biopilot.SystemClock{})
	now := clock.Now()
	base := program.MustNamed("cn-2025")
	prog, err := base.WithDeadlines(Deadlines(now, base.Location()))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := rules.Compile(prog)
	if err != nil {
		t.Fatal(err)
	}
	hash := func(pw string) (string, error) { return auth.HashPassword(pw, cheap) }
	if _, err := Seed(ctx, db, prog, eng, now, hash); err != nil {
		t.Fatal(err)
	}
	fs, err := files.Open(ctx, files.DirURL(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	mk, err := seal.ParseMasterKey("00112233445566778899aabbccddeeff")
	if err != nil {
		t.Fatal(err)
	}
	server := func(c biopilot.Clock) *web.Server {
		return web.NewServer(web.DefaultConfig(), web.Deps{DB: db, Program: prog, Rules: eng, Files: fs, MasterKey: mk, Clock: c})
	}
	srv := server(clock)
	deps := ReviewDeps{DB: db, Program: prog, Rules: eng, Files: fs, Workflow: srv, Hash: hash}
	if _, err := SeedNationalAccounts(ctx, deps); err != nil {
		t.Fatal(err)
	}
	fake := biopilot.NewFakeClock(time.Date(FirstBatchYear, 9, 1, 9, 0, 0, 0, biopilot.Beijing))
	past := server(fake)
	pastDeps := deps
	pastDeps.Workflow = past
	if _, err := SeedListed(ctx, ListedDeps{ReviewDeps: pastDeps, National: past, Clock: fake, Restore: clock}); err != nil {
		t.Fatal(err)
	}
	if _, err := SeedReview(ctx, deps); err != nil {
		t.Fatal(err)
	}
	if _, err := SeedNationalApplications(ctx, deps); err != nil {
		t.Fatal(err)
	}
	year, err := SeedAnnual(ctx, AnnualDeps{DB: db, Annual: srv, Now: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return &listedDemo{db: db, prog: prog, srv: srv, clock: clock, deps: deps, now: now, year: year}
}

// TestSeedListed: the first batch is published — five platforms listed in
// December 2025 with their stars, one not listed — after a conflict declaration
// with reassignment, an outlier, and an objection found unfounded; the directory
// finds them by equipment; the second batch still waits at the ministry and the
// pool covers it; the audit chain verifies. On each database (SQLite, and
// PostgreSQL when BIOPILOT_TEST_POSTGRES is set, as in CI), so the national stage's
// code paths run on both.
func TestSeedListed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { testSeedListed(t, db) })
}

func testSeedListed(t *testing.T, db *store.DB) {
	s := seedListedDemo(t, db)
	ctx := context.Background()
	id := s.prog.ID

	entries, total, err := s.db.Directory(ctx, store.DirectoryFilter{ProgramID: id})
	if err != nil || total != 5 {
		t.Fatalf("directory: %d platforms, %v; want 5", total, err)
	}
	provinces := map[string]int{}
	for _, e := range entries {
		provinces[e.ProvinceCode]++
		if e.ListedAt.Year() != FirstBatchYear || e.ListedAt.In(biopilot.Beijing).Month() != time.December {
			t.Errorf("%s listed at %s, want December 2025", e.PlatformName, e.ListedAt)
		}
		stars, err := s.db.StarRatings(ctx, e.ApplicationID)
		if err != nil || len(stars) != 1 || stars[0].Year != FirstBatchYear || stars[0].Reason == "" || e.Stars != stars[0].Stars {
			t.Errorf("%s: star history %+v %v, directory stars %d", e.PlatformName, stars, err, e.Stars)
		}
	}
	if provinces["440000"] != 3 || provinces["320000"] != 2 {
		t.Errorf("listed by province: %v", provinces)
	}
	for _, tc := range []struct {
		f    store.DirectoryFilter
		want []string
	}{
		{store.DirectoryFilter{Equipment: "连续流反应器"}, []string{"示例连续流生物催化中试平台"}},
		{store.DirectoryFilter{Equipment: "50L发酵罐"}, []string{"示例重组蛋白与疫苗中试平台", "示例食品酶与功能配料中试平台"}},
		{store.DirectoryFilter{Query: "冻干机"}, []string{"示例重组蛋白与疫苗中试平台", "示例植物提取与功效原料中试平台"}},
		{store.DirectoryFilter{Equipment: "皮肤测试仪"}, nil}, // not listed
	} {
		tc.f.ProgramID = id
		got, _, err := s.db.Directory(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, e := range got {
			names[e.PlatformName] = true
		}
		if len(got) != len(tc.want) {
			t.Errorf("directory %+v: %d platforms %v, want %v", tc.f, len(got), names, tc.want)
		}
		for _, w := range tc.want {
			if !names[w] {
				t.Errorf("directory %+v does not find %s (found %v)", tc.f, w, names)
			}
		}
	}

	// Every application of the batch took the whole way; the decisions, the
	// conflict, the outlier and the objection are there.
	states := map[biopilot.State]int{}
	apps, _, err := s.db.Applications(ctx, store.ApplicationFilter{ProgramID: id, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		states[a.State]++
	}
	if states[biopilot.StateListed] != 5 || states[biopilot.StateNotListed] != 1 || states[biopilot.StateRecommendedToMinistry] != 6 {
		t.Errorf("states %v: want 5 listed, 1 not listed, 6 recommended to the ministry", states)
	}
	all, err := s.db.Assignments(ctx, store.AssignmentFilter{ProgramID: id, Round: store.RoundSelection})
	if err != nil {
		t.Fatal(err)
	}
	byState := map[string]int{}
	scores := map[int64][]national.Score{}
	for _, a := range all {
		byState[a.State]++
		if a.State == store.AssignScored {
			scores[a.ApplicationID] = append(scores[a.ApplicationID], a.Sealed().Score)
		}
	}
	if byState[store.AssignScored] != 30 || byState[store.AssignConflict] != 1 || byState[store.AssignAssigned] != 0 {
		t.Errorf("assignments by state %v: want 30 scored, 1 conflict", byState)
	}
	outliers := 0
	sheet := national.ScoreSheet(s.prog.Eval().ScoreSheet)
	for appID, sc := range scores {
		res, err := national.Aggregate(sheet, s.prog.Eval().Aggregation, sc)
		if err != nil {
			t.Fatal(err)
		}
		outliers += len(res.Outliers)
		if len(sc) != 5 {
			t.Errorf("application %d: %d scores", appID, len(sc))
		}
	}
	if outliers != 1 {
		t.Errorf("%d outliers, want 1", outliers)
	}
	notices, err := s.db.Notices(ctx, id)
	if err != nil || len(notices) != 1 || notices[0].State != store.NoticePublished || notices[0].PublishedAt.Year() != FirstBatchYear {
		t.Fatalf("notices %+v %v", notices, err)
	}
	objs, err := s.db.Objections(ctx, notices[0].ID)
	if err != nil || len(objs) != 1 || objs[0].Outcome != national.ObjectionRejected || objs[0].HandledAt.IsZero() {
		t.Errorf("objections %+v %v", objs, err)
	}

	// The second batch: the pool assigns five experts to each of the six.
	ministry, err := s.db.UserByUsername(ctx, "ministry")
	if err != nil {
		t.Fatal(err)
	}
	n, short, err := s.srv.AutoAssignAs(ctx, ministry)
	if err != nil || n != 6 || len(short) > 0 {
		t.Fatalf("assigning the second batch: %d applications, shortfalls %v, %v", n, short, err)
	}
	secondBatch(t, s)
	if n, err := s.db.VerifyAudit(ctx); err != nil || n < 100 {
		t.Errorf("audit chain: %d records, %v", n, err)
	}
}

// secondBatch takes the assigned second batch the rest of the way as the person
// does: declarations and scores, decisions, the notice with an objection, the
// clock fast-forwarded past the notice, the publication; the directory then finds
// the second batch's platforms by their equipment too.
func secondBatch(t *testing.T, s *listedDemo) {
	t.Helper()
	ctx := context.Background()
	ministry, err := s.db.UserByUsername(ctx, "ministry")
	if err != nil {
		t.Fatal(err)
	}
	open, err := s.db.Assignments(ctx, store.AssignmentFilter{ProgramID: s.prog.ID, Round: store.RoundSelection,
		States: []string{store.AssignAssigned}})
	if err != nil || len(open) != 30 {
		t.Fatalf("second batch: %d open assignments, %v; want 30", len(open), err)
	}
	decided := map[int64]bool{}
	for i, a := range open {
		e, err := s.db.Expert(ctx, a.ExpertID)
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.db.User(ctx, e.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.srv.DeclareAs(ctx, u, a.ID, false, ""); err != nil {
			t.Fatal(err)
		}
		points, notes := map[string]float64{}, map[string]string{}
		for _, c := range s.prog.Eval().ScoreSheet {
			points[c.Key], notes[c.Key] = c.MaxPoints*(0.7+0.01*float64(i%10)), "符合要求。"
		}
		if _, err := s.srv.ScoreAs(ctx, u, a.ID, points, notes); err != nil {
			t.Fatal(err)
		}
		decided[a.ApplicationID] = true
	}
	var target int64
	for id := range decided {
		if _, err := s.srv.DecideAs(ctx, ministry, id, national.DecisionRecommend, "综合评分达到入选线，同意拟入选。"); err != nil {
			t.Fatal(err)
		}
		target = id
	}
	n, err := s.srv.OpenNoticeAs(ctx, ministry, "", "")
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.srv.ObjectAs(ctx, "李女士", "13700001111", target, "该平台近三年中试服务合同金额与实际情况不符，请核查相关合同与发票。", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.srv.PublishAs(ctx, ministry); err == nil {
		t.Fatal("published during the notice with an open objection")
	}
	if _, err := s.srv.ResolveObjectionAs(ctx, ministry, o.ID, national.ObjectionRejected, "经核查合同与发票一致，异议不成立。"); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(n.EndsAt.Sub(s.clock.Now()) + time.Hour)
	if listed, _, err := s.srv.PublishAs(ctx, ministry); err != nil || listed != 6 {
		t.Fatalf("publishing the second batch: %d listed, %v", listed, err)
	}
	got, total, err := s.db.Directory(ctx, store.DirectoryFilter{ProgramID: s.prog.ID, Equipment: "切向流超滤系统"})
	if err != nil || len(got) != 1 || got[0].PlatformName != "示例抗体药物中试平台" {
		t.Errorf("directory by 切向流超滤系统: %d %v", total, err)
	}
}

// TestSeedAnnual: the annual evaluation of the current year is open with a
// pre-filled draft (the application's targets attached) and a submitted report
// with figures; from there the person's steps work: the draft is filed, the
// experts are assigned and score, the ministry changes the stars and removes
// another platform, which leaves the directory. On each database.
func TestSeedAnnual(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { testSeedAnnual(t, db) })
}

func testSeedAnnual(t *testing.T, db *store.DB) {
	s := seedListedDemo(t, db)
	ctx := context.Background()
	if s.year != s.now.In(biopilot.Beijing).Year() {
		t.Errorf("annual evaluation of %d, want the current year", s.year)
	}
	if ev, err := s.db.AnnualEvaluationFor(ctx, s.prog.ID, s.year); err != nil || !ev.DueAt.After(s.now) {
		t.Fatalf("annual evaluation: %+v %v", ev, err)
	}
	draft, err := platformOf(ctx, s.db, AnnualDraftUser)
	if err != nil {
		t.Fatal(err)
	}
	filed, err := platformOf(ctx, s.db, AnnualFiledUser)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.db.AnnualReportFor(ctx, draft.app.ID, s.year)
	if err != nil || rep.State != store.ReportDraft {
		t.Fatalf("draft report: %+v %v", rep, err)
	}
	doc, err := reportDoc(rep)
	if err != nil {
		t.Fatal(err)
	}
	if doc[annual.TargetsKey] == nil {
		t.Errorf("the draft is not pre-filled with the application's targets: %v", doc)
	}
	if v, ok := program.Lookup(doc, "staff.technical"); !ok || v == nil {
		t.Errorf("the draft's staff is not carried from the application: %v", doc)
	}
	sub, err := s.db.AnnualReportFor(ctx, filed.app.ID, s.year)
	if err != nil || sub.State != store.ReportSubmitted {
		t.Fatalf("filed report: %+v %v", sub, err)
	}
	subDoc, err := reportDoc(sub)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := program.Lookup(subDoc, "services.enterprises"); v != float64(26) {
		t.Errorf("filed report: %v enterprises, want 26", v)
	}

	// The person files the draft.
	program.Set(doc, "services", map[string]any{"enterprises": 12, "contracts": 14, "contract_amount_10k_yuan": 760,
		"products_incubated": 4, "projects_industrialized": 1, "summary": "本年度为 12 家创新药企业提供重组蛋白中试服务。"})
	if rep, err = s.srv.SaveAnnualReportAs(ctx, draft.user, draft.app.ID, s.year, rep.Version, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.srv.SubmitAnnualReportAs(ctx, draft.user, draft.app.ID, s.year, rep.Version); err != nil {
		t.Fatal(err)
	}
	// The ministry assigns experts to both reports; they declare and score.
	ministry, err := s.db.UserByUsername(ctx, "ministry")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.srv.AssignAnnual(ctx, ministry, s.year)
	if err != nil || res.Applications != 2 || len(res.Shortfalls) > 0 {
		t.Fatalf("annual assignment: %+v %v", res, err)
	}
	list, err := s.db.Assignments(ctx, store.AssignmentFilter{ProgramID: s.prog.ID, Round: store.AnnualRound(s.year)})
	if err != nil || len(list) == 0 {
		t.Fatalf("annual assignments: %d %v", len(list), err)
	}
	for _, a := range list {
		e, err := s.db.Expert(ctx, a.ExpertID)
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.db.User(ctx, e.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.srv.DeclareAnnual(ctx, u, a.ID, false, ""); err != nil {
			t.Fatal(err)
		}
		points, notes := map[string]float64{}, map[string]string{}
		for _, c := range s.prog.AnnualEval().ScoreSheet {
			points[c.Key], notes[c.Key] = c.MaxPoints*0.8, "完成情况良好。"
		}
		if _, err := s.srv.ScoreAnnual(ctx, u, a.ID, points, notes); err != nil {
			t.Fatal(err)
		}
	}
	// The stars change; another platform is removed and leaves the directory.
	if _, err := s.srv.SetStarsAs(ctx, ministry, filed.app.ID, s.year, 5, "服务企业数超过年度目标，孵化产品 7 个。"); err != nil {
		t.Fatal(err)
	}
	if h, err := s.db.StarRatings(ctx, filed.app.ID); err != nil || len(h) != 2 || h[1].Stars != 5 {
		t.Errorf("star history: %+v %v", h, err)
	}
	biomass, err := platformOf(ctx, s.db, "fs-biomass")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.srv.RemovePlatform(ctx, ministry, web.RemovalInput{ApplicationID: biomass.app.ID, Grounds: annual.GroundsViolation,
		Detail: "年度检查发现平台发生一般安全生产事故且未按期整改，予以除名。"}); err != nil {
		t.Fatal(err)
	}
	if _, total, err := s.db.Directory(ctx, store.DirectoryFilter{ProgramID: s.prog.ID}); err != nil || total != 4 {
		t.Errorf("directory after the removal: %d platforms, %v; want 4", total, err)
	}
	if n, err := s.db.VerifyAudit(ctx); err != nil {
		t.Errorf("audit chain after %d records: %v", n, err)
	}
}
