package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"biopilot"
	"biopilot/program"
	"biopilot/store"
)

// annualExperts adds n experts (logins expert1 …) to the pool, away from the
// platforms' cities; the first works for the platforms' organisation (same USCC):
// a conflict of interest.
func (f *annFixture) annualExperts(n int) []*store.ExpertRecord {
	f.t.Helper()
	doc, err := f.srv.snapshotDoc(f.appA)
	if err != nil {
		f.t.Fatal(err)
	}
	uscc, _ := program.Lookup(doc, "applicant.uscc")
	var out []*store.ExpertRecord
	for i := 0; i < n; i++ {
		u := f.user(fmt.Sprintf("expert%d", i+1), biopilot.RoleExpert, 0, "", false)
		e := &store.ExpertRecord{ProgramID: f.prog.ID, UserID: u.ID, Name: expertNames[i%len(expertNames)],
			OrgName: fmt.Sprintf("某大学%d", i+1), CityCode: expertCities[i%len(expertCities)],
			Domains: []string{"enzymes"}, Active: true}
		if i == 0 {
			e.OrgName, e.OrgUSCC = "广州某生物科技有限公司", uscc.(string)
		}
		if err := f.db.CreateExpert(context.Background(), e); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestAnnualAssignmentExcludesConflicts(t *testing.T) {
	f := newAnnualFixture(t)
	experts := f.annualExperts(5)
	m := f.as("ministry")
	// Nothing submitted yet: nothing to assign.
	w := m.do("POST", "/api/v1/annual/evaluations/2026/assign", nil)
	wantStatus(t, w, 409)
	f.fileReport("applicantA", f.appA, 2026, "22")
	wantStatus(t, f.as("applicantB").do("GET", reportPath(f.appB, 2026), nil), 200) // a draft: not assigned

	wantStatus(t, m.do("POST", "/ministry/annual/2026/assign", url.Values{}), 303)
	live, err := f.db.Assignments(context.Background(), store.AssignmentFilter{ProgramID: f.prog.ID,
		Round: store.AnnualRound(2026), States: liveStates})
	if err != nil {
		t.Fatal(err)
	}
	n := f.prog.AnnualEval().ExpertsPerApplication
	if len(live) != n {
		t.Fatalf("%d assignments, want %d", len(live), n)
	}
	for _, a := range live {
		if a.ApplicationID != f.appA.ID {
			t.Errorf("assigned a draft report: %+v", a)
		}
		if a.ExpertID == experts[0].ID {
			t.Errorf("the conflicted expert %s was assigned", experts[0].Name)
		}
	}
	// A second run has nothing left to do; the round of the selection is untouched.
	wantStatus(t, m.do("POST", "/api/v1/annual/evaluations/2026/assign", nil), 409)
	sel, _ := f.db.Assignments(context.Background(), store.AssignmentFilter{ProgramID: f.prog.ID, Round: store.RoundSelection})
	if len(sel) != 0 {
		t.Fatalf("selection round assigned: %d", len(sel))
	}
	// The ministry's page lists both platforms, the report states and the experts.
	page := m.do("GET", "/ministry/annual?year=2026", nil)
	wantStatus(t, page, 200)
	body := page.Body.String()
	wantBody(t, body, "广州酶制剂公示中试平台", "佛山食品配料公示中试平台", "已提交", "草稿")
	shown := 0
	for _, e := range experts {
		if strings.Contains(body, e.Name+"（") {
			shown++
		}
	}
	if shown != n || strings.Contains(body, experts[0].Name+"（") {
		t.Errorf("%d experts shown, want %d without %s", shown, n, experts[0].Name)
	}
	// Applicants never see who reviews them.
	for _, who := range []string{"applicantA", "applicantB"} {
		if w := f.as(who).do("GET", "/ministry/annual", nil); w.Code != 403 {
			t.Errorf("%s: %d", who, w.Code)
		}
	}
}

func TestAnnualRatingHistory(t *testing.T) {
	f := newAnnualFixture(t)
	m := f.as("ministry")
	path := fmt.Sprintf("/ministry/platforms/%d", f.appA.ID)
	// Invalid: named fields, nothing recorded.
	w := m.do("POST", path+"/stars", url.Values{"year": {"2026"}, "stars": {"6"}, "reason": {"过高"}})
	wantStatus(t, w, 422)
	wantBody(t, w.Body.String(), "服务星级")
	w = m.do("POST", path+"/stars", url.Values{"year": {"2026"}, "stars": {"3"}, "reason": {" "}})
	wantStatus(t, w, 422)
	wantBody(t, w.Body.String(), "评定理由")
	wantStatus(t, m.do("POST", path+"/stars", url.Values{"year": {"2025"}, "stars": {"3"}, "reason": {"首年服务量达到要求"}}), 303)
	w = m.do("POST", fmt.Sprintf("/api/v1/annual/platforms/%d/stars", f.appA.ID),
		map[string]any{"year": 2026, "stars": 5, "reason": "服务企业数超额完成"})
	wantStatus(t, w, 200)
	if h := decode(t, w)["history"].([]any); len(h) != 2 {
		t.Fatalf("history %v", h)
	}
	rs, err := f.db.StarRatings(context.Background(), f.appA.ID)
	if err != nil || len(rs) != 2 || rs[0].Stars != 3 || rs[1].Stars != 5 {
		t.Fatalf("ratings %+v %v", rs, err)
	}
	e, _ := f.db.DirectoryEntry(context.Background(), f.appA.ID)
	if e.Stars != 5 {
		t.Fatalf("directory stars %d", e.Stars)
	}
	// The ministry's record, the organisation's and the public page show the latest
	// and keep the history.
	w = m.do("GET", path, nil)
	wantBody(t, w.Body.String(), starText(5), starText(3), "首年服务量达到要求", "服务企业数超额完成")
	w = f.as("applicantA").do("GET", fmt.Sprintf("/platform/%d/annual", f.appA.ID), nil)
	wantStatus(t, w, 200)
	wantBody(t, w.Body.String(), `id="current-stars">`+starText(5), "2025 年度")
	pub := f.anon().do("GET", fmt.Sprintf("/public/platforms/%d", f.appA.ID), nil)
	wantStatus(t, pub, 200)
	wantBody(t, pub.Body.String(), starText(5), starText(3))
	// Only the ministry rates.
	w = f.as("applicantA").do("POST", fmt.Sprintf("/api/v1/annual/platforms/%d/stars", f.appA.ID),
		map[string]any{"year": 2026, "stars": 5, "reason": "自评"})
	wantStatus(t, w, 403)
	if n := len(notificationsOf(t, f, "applicantA")); n != 2 {
		t.Fatalf("applicantA notified %d times, want 2", n)
	}
}

func notificationsOf(t *testing.T, f *annFixture, who string) []*store.Notification {
	t.Helper()
	list, err := f.db.Notifications(context.Background(), f.users[who].ID, false, 50)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestAnnualRemoval(t *testing.T) {
	f := newAnnualFixture(t)
	m := f.as("ministry")
	path := fmt.Sprintf("/ministry/platforms/%d", f.appB.ID)
	w := m.do("POST", path+"/remove", url.Values{"grounds": {"whim"}, "detail": {"x"}})
	wantStatus(t, w, 422)
	wantBody(t, w.Body.String(), "除名事由")
	w = m.do("POST", path+"/remove", url.Values{"grounds": {"violation"}, "detail": {""}})
	wantStatus(t, w, 422)
	wantBody(t, w.Body.String(), "除名情况说明")
	if w := f.as("applicantB").do("POST", fmt.Sprintf("/api/v1/annual/platforms/%d/removal", f.appB.ID),
		map[string]any{"grounds": "violation", "detail": "自行除名"}); w.Code != 403 {
		t.Fatalf("applicant removed: %d", w.Code)
	}
	detail := "2026年发生重大安全生产事故，受到行政处罚"
	wantStatus(t, m.do("POST", path+"/remove", url.Values{"grounds": {"violation"}, "detail": {detail}}), 303)

	// The state, the directory, the public page and API.
	if app := f.reload(f.appB.ID); app.State != biopilot.StateRemoved {
		t.Fatalf("state %s", app.State)
	}
	list, total, err := f.db.Directory(context.Background(), store.DirectoryFilter{ProgramID: f.prog.ID})
	if err != nil || total != 1 || list[0].ApplicationID != f.appA.ID {
		t.Fatalf("directory %d %v", total, err)
	}
	wantStatus(t, f.anon().do("GET", fmt.Sprintf("/public/platforms/%d", f.appB.ID), nil), 404)
	dir := f.anon().do("GET", "/public/directory", nil)
	if strings.Contains(dir.Body.String(), "佛山食品配料公示中试平台") {
		t.Fatal("the removed platform is still in the public directory")
	}
	// The record stays for the ministry; the organisation sees 已除名 and was told.
	w = m.do("GET", path, nil)
	wantStatus(t, w, 200)
	wantBody(t, w.Body.String(), "已除名", detail, "严重违法违规")
	w = f.as("applicantB").do("GET", fmt.Sprintf("/platform/%d/annual", f.appB.ID), nil)
	wantStatus(t, w, 200)
	wantBody(t, w.Body.String(), "已除名", detail)
	ns := notificationsOf(t, f, "applicantB")
	if len(ns) == 0 || !strings.Contains(ns[0].Title, "除名") || !strings.Contains(ns[0].Body, detail) {
		t.Fatalf("notifications %+v", ns)
	}
	if len(notificationsOf(t, f, "victim")) == 0 {
		t.Fatal("orgB's other user was not told")
	}
	if len(notificationsOf(t, f, "applicantA")) != 0 {
		t.Fatal("another organisation was told")
	}
	// A removed platform files nothing and cannot be rated or removed again.
	wantStatus(t, f.as("applicantB").do("PUT", fmt.Sprintf("/api/v1/annual/platforms/%d/reports/2026", f.appB.ID),
		map[string]any{"base_version": 1, "document": map[string]any{}}), 403)
	wantStatus(t, m.do("POST", fmt.Sprintf("/api/v1/annual/platforms/%d/stars", f.appB.ID),
		map[string]any{"year": 2026, "stars": 4, "reason": "好"}), 409)
	wantStatus(t, m.do("POST", fmt.Sprintf("/api/v1/annual/platforms/%d/removal", f.appB.ID),
		map[string]any{"grounds": "violation", "detail": "again"}), 409)
	// Audited: the removal and its transition.
	recs, _, err := f.db.AuditRecords(context.Background(), store.AuditFilter{Object: fmt.Sprintf("application:%d", f.appB.ID)})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action)
	}
	if !strings.Contains(strings.Join(actions, ","), "annual:remove") || !strings.Contains(strings.Join(actions, ","), "transition:remove") {
		t.Fatalf("audit %v", actions)
	}
}

func TestAnnualScoringAggregates(t *testing.T) {
	f := newAnnualFixture(t)
	f.annualExperts(6)
	f.fileReport("applicantA", f.appA, 2026, "22")
	ctx := context.Background()
	if _, err := f.srv.AssignAnnual(ctx, f.ministryU, 2026); err != nil {
		t.Fatal(err)
	}
	live := func() []*store.ReviewAssignment {
		t.Helper()
		l, err := f.db.Assignments(ctx, store.AssignmentFilter{ProgramID: f.prog.ID, Round: store.AnnualRound(2026), States: liveStates})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	userOf := func(expertID int64) *biopilot.User {
		t.Helper()
		e, err := f.db.Expert(ctx, expertID)
		if err != nil {
			t.Fatal(err)
		}
		u, err := f.db.User(ctx, e.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	first := live()[0]
	// Another expert cannot declare on it; its own declares a conflict: replaced.
	other := live()[1]
	if _, err := f.srv.DeclareAnnual(ctx, userOf(other.ExpertID), first.ID, false, ""); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Fatalf("another expert declared: %v", err)
	}
	if _, err := f.srv.DeclareAnnual(ctx, userOf(first.ExpertID), first.ID, true, "曾为该平台提供咨询"); err != nil {
		t.Fatal(err)
	}
	list := live()
	if len(list) != f.prog.AnnualEval().ExpertsPerApplication {
		t.Fatalf("after the conflict %d live assignments", len(list))
	}
	totals := []float64{}
	for i, a := range list {
		u := userOf(a.ExpertID)
		if a.ExpertID == first.ExpertID {
			t.Fatal("the conflicted expert is still assigned")
		}
		if _, err := f.srv.DeclareAnnual(ctx, u, a.ID, false, ""); err != nil {
			t.Fatal(err)
		}
		pts := map[string]float64{"facilities": 16, "service_volume": 20, "service_quality": 20, "incubation": 15, "compliance": 8}
		pts["service_volume"] -= float64(i * 2)
		cm := map[string]string{}
		for k := range pts {
			cm[k] = "符合要求"
		}
		out, err := f.srv.ScoreAnnual(ctx, u, a.ID, pts, cm)
		if err != nil {
			t.Fatal(err)
		}
		totals = append(totals, out.Total)
	}
	mean := (totals[0] + totals[1] + totals[2]) / 3
	page := f.as("ministry").do("GET", "/ministry/annual?year=2026", nil)
	wantStatus(t, page, 200)
	wantBody(t, page.Body.String(), fmt.Sprintf(`<strong class="annual-score">%.2f</strong>`, mean), "极差 4.0")
	// The expert page shows the report (not the application) and the annual sheet
	// — once the expert pages are hooked to annual rounds.
}

func TestAnnualEvaluationAPI(t *testing.T) {
	f := newAnnualFixture(t)
	f.fileReport("applicantA", f.appA, 2026, "22")
	m := f.as("ministry")
	js := decode(t, m.do("GET", "/api/v1/annual/evaluations/2026", nil))
	if js["round"] != "annual-2026" || js["submitted"] != 1.0 {
		t.Fatalf("evaluation %v", js)
	}
	items := js["items"].([]any)
	states := map[float64]string{}
	for _, it := range items {
		m := it.(map[string]any)
		states[m["application_id"].(float64)] = m["report_state"].(string)
	}
	if len(items) != 2 || states[float64(f.appA.ID)] != "submitted" || states[float64(f.appB.ID)] != "none" {
		t.Fatalf("items %v", items)
	}
	wantStatus(t, m.do("GET", "/api/v1/annual/evaluations/2031", nil), 404)
}

// TestAnnualManualAssignment: the ministry may choose a report's experts by hand,
// with the same exclusions as the national stage: a conflicted expert is refused
// with the reason and nothing changes; a valid choice replaces the automatic one
// (dropped assignments kept with their reason), marked manual, and a choice of
// fewer experts than the program's number is said. A draft report gets none.
func TestAnnualManualAssignment(t *testing.T) {
	f := newAnnualFixture(t)
	experts := f.annualExperts(5)
	m := f.as("ministry")
	path := fmt.Sprintf("/api/v1/annual/evaluations/2026/platforms/%d/experts", f.appA.ID)
	body := map[string]any{"experts": []int64{experts[1].ID, experts[2].ID}}

	w := m.do("PUT", path, body)
	wantStatus(t, w, 409) // nothing submitted yet
	f.fileReport("applicantA", f.appA, 2026, "22")
	wantStatus(t, m.do("POST", "/ministry/annual/2026/assign", url.Values{}), 303)
	live := func() map[int64]*store.ReviewAssignment {
		t.Helper()
		as, err := f.db.Assignments(context.Background(), store.AssignmentFilter{ProgramID: f.prog.ID,
			Round: store.AnnualRound(2026), ApplicationID: f.appA.ID, States: liveStates})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]*store.ReviewAssignment{}
		for _, a := range as {
			out[a.ExpertID] = a
		}
		return out
	}
	before := live()

	w = m.do("PUT", path, map[string]any{"experts": []int64{experts[0].ID, experts[1].ID}})
	wantStatus(t, w, 422)
	if msg := fmt.Sprint(apiErr(t, w)["message"]); !strings.Contains(msg, "同一单位") {
		t.Errorf("the refusal does not say why: %q", msg)
	}
	if got := live(); len(got) != len(before) {
		t.Fatalf("a refused choice changed the assignment: %d → %d", len(before), len(got))
	}

	// Keep one automatic expert and add the eligible one left out.
	var kept, added int64
	for _, e := range experts[1:] {
		if before[e.ID] != nil && kept == 0 {
			kept = e.ID
		} else if before[e.ID] == nil {
			added = e.ID
		}
	}
	if kept == 0 || added == 0 {
		t.Fatalf("fixture: before %v", before)
	}
	w = m.do("PUT", path, map[string]any{"experts": []int64{kept, added}})
	wantStatus(t, w, 200)
	got := live()
	if len(got) != 2 || got[kept] == nil || got[added] == nil {
		t.Fatalf("after the manual choice: %v", got)
	}
	if got[kept].ID != before[kept].ID {
		t.Error("a kept expert's assignment was replaced")
	}
	for id, a := range got {
		if before[id] == nil && !a.Manual {
			t.Errorf("expert %d added by hand is not marked manual", id)
		}
	}
	if sf, _ := decode(t, w)["shortfalls"].([]any); len(sf) != 1 || !strings.Contains(fmt.Sprint(sf[0]), "少于规定") {
		t.Errorf("shortfalls %v: a choice of 2 of %d is not said", sf, f.prog.AnnualEval().ExpertsPerApplication)
	}
	// The page's form ticks the chosen experts; a draft report has no form.
	page := m.do("GET", "/ministry/annual?year=2026", nil).Body.String()
	if n := strings.Count(page, `class="annual-manual"`); n != 1 {
		t.Errorf("%d manual forms, want 1 (the submitted report only)", n)
	}
	// The page's form does the same (here: the whole pool but the conflicted expert).
	form := url.Values{}
	for _, e := range experts[1:] {
		form.Add("expert", fmt.Sprint(e.ID))
	}
	wantStatus(t, m.do("POST", fmt.Sprintf("/ministry/annual/2026/platforms/%d/experts", f.appA.ID), form), 303)
	if got := live(); len(got) != 4 {
		t.Errorf("after the page's choice: %d experts, want 4", len(got))
	}
	// Only the ministry.
	wantStatus(t, f.as("applicantA").do("PUT", path, body), 403)
}
