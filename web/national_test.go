package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/national"
	"biopilot/store"
)

// TestNationalMinistryOnly: the ministry's pages and API refuse a province, a city,
// an applicant and an expert; the ministry gets them.
func TestNationalMinistryOnly(t *testing.T) {
	f := newNatFixture(t, 1)
	for _, path := range []string{"/ministry", "/ministry/experts", "/ministry/assignments", "/ministry/results",
		"/ministry/notice", "/api/v1/national/overview", "/api/v1/national/results", "/api/v1/national/notice"} {
		for _, who := range []string{"province", "provdrc", "citygz", "applicantA", "expert1"} {
			if w := f.as(who).do("GET", path, nil); w.Code != forbid {
				t.Errorf("%s as %s: %d, want 403", path, who, w.Code)
			}
		}
		if w := f.as("ministry").do("GET", path, nil); w.Code != ok {
			t.Errorf("%s as ministry: %d; %.300s", path, w.Code, w.Body.String())
		}
	}
	// A province cannot decide nor assign, even on its own province's application.
	w := f.as("province").do("POST", "/api/v1/national/decisions", map[string]any{"application_id": f.apps[0].ID, "outcome": "recommend", "reason": "好"})
	wantStatus(t, w, forbid)
	w = f.as("province").do("PUT", idPath("/api/v1/national/assignments/%d", f.apps[0].ID), map[string]any{"experts": []int64{f.experts[0].ID}})
	wantStatus(t, w, forbid)
	if n := len(f.live(f.apps[0].ID)); n != 0 {
		t.Fatalf("%d assignments after refusals", n)
	}
	// The overview counts by province and domain.
	w = f.as("ministry").do("GET", "/ministry", nil)
	for _, s := range []string{"广东省", "酶制剂", "国家评审概览（共 3 件）"} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("overview lacks %q", s)
		}
	}
}

// TestNationalShortfall: with too few experts nothing is assigned and the page
// says which applications lack experts and why, in Chinese.
func TestNationalShortfall(t *testing.T) {
	f := newNatFixture(t, 3) // 5 needed
	body := f.autoAssign()
	if !strings.Contains(body, "评审专家不足") || !strings.Contains(body, "需要 5 名评审专家") || !strings.Contains(body, "酶制剂") {
		t.Errorf("shortfall not shown:\n%.2000s", body)
	}
	if !strings.Contains(body, f.srv.number(f.apps[0])) {
		t.Error("shortfall does not name the application by its number")
	}
	for _, app := range f.apps {
		if st := f.stateOf(app.ID); st != biopilot.StateRecommendedToMinistry {
			t.Errorf("app %d: %s", app.ID, st)
		}
		if n := len(f.live(app.ID)); n != 0 {
			t.Errorf("app %d: %d assignments despite the shortfall", app.ID, n)
		}
	}
}

func (f *natFixture) stateOf(id int64) biopilot.State {
	f.t.Helper()
	a, err := f.db.Application(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return a.State
}

// TestNationalManualConflict: the ministry's override refuses an expert with a
// conflict of interest, with the reason, and keeps a chosen one out of balance.
func TestNationalManualConflict(t *testing.T) {
	f := newNatFixture(t, 2)
	ctx := context.Background()
	e := f.experts[0]
	e.CityCode = "440100" // 广州, as 甲
	if err := f.db.UpdateExpert(ctx, e); err != nil {
		t.Fatal(err)
	}
	m := f.as("ministry")
	w := m.do("PUT", idPath("/api/v1/national/assignments/%d", f.apps[0].ID), map[string]any{"experts": []int64{e.ID}})
	wantStatus(t, w, 422)
	if msg := fmt.Sprint(apiErr(t, w)["message"]); !strings.Contains(msg, "同一地市") || !strings.Contains(msg, e.Name) {
		t.Errorf("message %q", msg)
	}
	w = m.do("POST", idPath("/ministry/assignments/%d", f.apps[0].ID), url.Values{"expert": {fmt.Sprint(e.ID)}})
	wantStatus(t, w, 422)
	if !strings.Contains(w.Body.String(), "利益冲突") {
		t.Error("page does not give the conflict")
	}
	// The other expert is accepted, below N: the page warns.
	w = m.do("POST", idPath("/ministry/assignments/%d", f.apps[0].ID), url.Values{"expert": {fmt.Sprint(f.experts[1].ID)}})
	wantStatus(t, w, see)
	if got := f.live(f.apps[0].ID); len(got) != 1 || got[0].ExpertID != f.experts[1].ID || !got[0].Manual {
		t.Fatalf("manual assignment %+v", got)
	}
	if f.stateOf(f.apps[0].ID) != biopilot.StateExpertReview {
		t.Error("not moved to expert_review")
	}
	if loc := w.Header().Get("Location"); !strings.Contains(loc, "shortfall=") {
		t.Errorf("no warning of fewer than N experts: %s", loc)
	}
}

// TestNationalFlow takes three applications through assignment, a conflict
// declaration and its reassignment, sealed scores, the results with a tie, the
// decisions, the notice, an objection, and the publication.
func TestNationalFlow(t *testing.T) {
	f := newNatFixture(t, 7)
	ctx := context.Background()
	f.autoAssign()
	for _, app := range f.apps {
		if st := f.stateOf(app.ID); st != biopilot.StateExpertReview {
			t.Fatalf("app %d: %s", app.ID, st)
		}
		if n := len(f.live(app.ID)); n != 5 {
			t.Fatalf("app %d: %d experts", app.ID, n)
		}
	}
	// Every batch transition is audited, with the batch.
	if recs, _, _ := f.db.AuditRecords(ctx, store.AuditFilter{Action: "transition:assign", Limit: 10}); len(recs) != 3 {
		t.Errorf("%d assign transitions audited", len(recs))
	}

	// Each expert sees only its own assignments, by number and platform name.
	a0 := f.live(f.apps[0].ID)[0]
	owner := f.byUser[a0.ExpertID]
	w := f.as(owner).do("GET", "/api/v1/expert/assignments", nil)
	wantStatus(t, w, ok)
	for _, it := range decode(t, w)["items"].([]any) {
		id := int64(it.(map[string]any)["id"].(float64))
		a, _ := f.db.Assignment(ctx, id)
		if f.byUser[a.ExpertID] != owner {
			t.Errorf("%s sees assignment %d of %s", owner, id, f.byUser[a.ExpertID])
		}
	}
	var stranger string
	for _, e := range f.experts {
		if n := f.byUser[e.ID]; n != owner {
			stranger = n
			break
		}
	}
	for _, p := range []string{"/api/v1/expert/assignments/%d", "/expert/assignments/%d", "/expert/assignments/%d/evidence/1"} {
		if w := f.as(stranger).do("GET", idPath(p, a0.ID), nil); w.Code != notfnd {
			t.Errorf("%s opens another's assignment %s: %d", stranger, p, w.Code)
		}
	}
	// Before the declaration: no content.
	w = f.as(owner).do("GET", idPath("/api/v1/expert/assignments/%d", a0.ID), nil)
	wantStatus(t, w, ok)
	if m := decode(t, w); m["document"] != nil || m["number"] == "" || m["platform_name"] != "甲中试平台" {
		t.Errorf("before the declaration: %v", m)
	}
	w = f.as(owner).do("GET", idPath("/expert/assignments/%d", a0.ID), nil)
	if body := w.Body.String(); strings.Contains(body, "机密的基本情况") || !strings.Contains(body, "利益冲突声明") {
		t.Error("page before the declaration shows content or lacks the declaration")
	}
	wantStatus(t, f.as(owner).do("POST", idPath("/api/v1/expert/assignments/%d/score", a0.ID), map[string]any{"points": map[string]float64{}}), forbid)

	// A conflict needs a reason; with one it hides the assignment and reassigns.
	w = f.as(owner).do("POST", idPath("/expert/assignments/%d/declaration", a0.ID), url.Values{"conflict": {"yes"}})
	wantStatus(t, w, 422)
	if !strings.Contains(w.Body.String(), "声明存在利益冲突时请说明原因") {
		t.Error("no reason asked for")
	}
	w = f.as(owner).do("POST", idPath("/expert/assignments/%d/declaration", a0.ID), url.Values{"conflict": {"yes"}, "reason": {"近三年与该单位有合作项目"}})
	wantStatus(t, w, see)
	wantStatus(t, f.as(owner).do("GET", idPath("/expert/assignments/%d", a0.ID), nil), notfnd)
	wantStatus(t, f.as(owner).do("GET", idPath("/api/v1/expert/assignments/%d", a0.ID), nil), notfnd)
	if w := f.as(owner).do("GET", "/expert", nil); strings.Contains(w.Body.String(), f.srv.number(f.apps[0])) {
		t.Error("the conflicted application is still listed for its expert")
	}
	live := f.live(f.apps[0].ID)
	if len(live) != 5 {
		t.Fatalf("after the conflict %d experts, want 5 (replaced)", len(live))
	}
	for _, a := range live {
		if a.ExpertID == a0.ExpertID {
			t.Fatal("the conflicted expert is still assigned")
		}
	}
	if recs, _, _ := f.db.AuditRecords(ctx, store.AuditFilter{Action: "national:declare", Limit: 10}); len(recs) != 1 || !strings.Contains(string(recs[0].Detail), "replacement_expert_id") {
		t.Errorf("declaration audit %+v", recs)
	}

	// Scores: 甲 and 乙 the same (a tie), 丙 lower.
	shares := map[int64]float64{f.apps[0].ID: 0.8, f.apps[1].ID: 0.8, f.apps[2].ID: 0.6}
	var sealedID int64
	for _, app := range f.apps {
		for _, a := range f.live(app.ID) {
			m := f.score(a, shares[app.ID])
			if m["verified"] != true || len(fmt.Sprint(m["digest"])) != 64 {
				t.Fatalf("sealed score %v", m)
			}
			sealedID = a.ID
		}
	}
	// A score is final.
	sa, _ := f.db.Assignment(ctx, sealedID)
	w = f.as(f.byUser[sa.ExpertID]).do("POST", idPath("/api/v1/expert/assignments/%d/score", sealedID),
		map[string]any{"points": map[string]float64{"equipment": 1}, "comments": map[string]string{"equipment": "改"}})
	wantStatus(t, w, conflct)
	if msg := fmt.Sprint(apiErr(t, w)["message"]); !strings.Contains(msg, "不可修改") {
		t.Errorf("message %q", msg)
	}
	w = f.as(f.byUser[sa.ExpertID]).do("GET", idPath("/expert/assignments/%d", sealedID), nil)
	if body := w.Body.String(); !strings.Contains(body, sa.Digest) || !strings.Contains(body, "评分与摘要一致") || strings.Contains(body, "提交评分（提交后不可修改）") {
		t.Error("the scored page does not show the sealed score read-only with its digest")
	}

	// Applicants never see who reviewed them.
	for _, who := range []string{"applicantA", "colleagueA"} {
		for _, p := range []string{"/applications/%d", "/api/v1/applications/%d", "/api/v1/applications/%d/history",
			"/api/v1/applications/%d/review", "/review/applications/%d", "/api/v1/applications/%d/export"} {
			w := f.as(who).do("GET", idPath(p, f.apps[0].ID), nil)
			if w.Code != ok {
				t.Errorf("%s %s: %d", who, p, w.Code)
			}
			if n := containsAny(w.Body.String(), f.names()); n != "" {
				t.Errorf("%s %s reveals the expert %s", who, p, n)
			}
		}
	}
	// Nor does the province.
	if n := containsAny(f.as("province").do("GET", idPath("/review/applications/%d", f.apps[0].ID), nil).Body.String(), f.names()); n != "" {
		t.Errorf("the province sees the expert %s", n)
	}

	// Results: 甲 and 乙 tie at rank 1, 丙 is 3rd; the ministry sees the names.
	w = f.as("ministry").do("GET", "/api/v1/national/results", nil)
	wantStatus(t, w, ok)
	rk := decode(t, w)["rankings"].([]any)
	if len(rk) != 1 {
		t.Fatalf("rankings %v", rk)
	}
	rows := rk[0].(map[string]any)["rows"].([]any)
	want := []struct {
		rank float64
		tied bool
	}{{1, true}, {1, true}, {3, false}}
	for i, r := range rows {
		r := r.(map[string]any)
		if r["rank"] != want[i].rank || r["tied"] != want[i].tied {
			t.Errorf("row %d: rank %v tied %v", i, r["rank"], r["tied"])
		}
	}
	page := f.as("ministry").do("GET", "/ministry/results", nil).Body.String()
	if !strings.Contains(page, "并列") || containsAny(page, f.names()) == "" {
		t.Error("results page lacks the tie or the experts' names")
	}

	// Decisions, then the notice.
	m := f.as("ministry")
	wantStatus(t, m.do("POST", "/api/v1/national/decisions", map[string]any{"application_id": f.apps[0].ID, "outcome": "recommend"}), 422)
	for i, app := range f.apps {
		out := "recommend"
		if i == 2 {
			out = "not_recommend"
		}
		wantStatus(t, m.do("POST", idPath("/ministry/results/%d/decision", app.ID), url.Values{"outcome": {out}, "reason": {"评审委员会审议"}}), see)
	}
	w = m.do("POST", "/ministry/notice", url.Values{"title": {""}, "body": {""}})
	wantStatus(t, w, see)
	if f.stateOf(f.apps[0].ID) != biopilot.StatePublicized || f.stateOf(f.apps[2].ID) != biopilot.StateNotListed {
		t.Fatalf("after the notice: %s %s", f.stateOf(f.apps[0].ID), f.stateOf(f.apps[2].ID))
	}
	n, err := f.srv.natCurrentNotice(ctx)
	if err != nil || n == nil || len(n.ApplicationIDs) != 2 {
		t.Fatalf("notice %+v %v", n, err)
	}
	// 2025-06-20 is a Friday: 5 working days end on Thursday 26 June at 24:00.
	if end := n.EndsAt.In(biopilot.Beijing); !end.Equal(time.Date(2025, 6, 27, 0, 0, 0, 0, biopilot.Beijing)) {
		t.Errorf("notice ends %s", end)
	}

	// Publication: blocked by the notice period, then by an open objection.
	w = m.do("POST", "/api/v1/national/notice/publish", nil)
	wantStatus(t, w, conflct)
	if msg := fmt.Sprint(apiErr(t, w)["message"]); !strings.Contains(msg, "公示期") {
		t.Errorf("message %q", msg)
	}
	page = m.do("GET", "/ministry/notice", nil).Body.String()
	if !strings.Contains(page, "暂不能发布") || !strings.Contains(page, `id="nat-publish" disabled`) {
		t.Error("the publish button is not disabled with its reason")
	}
	obj := &store.Objection{NoticeID: n.ID, ApplicationID: f.apps[1].ID, Name: "某公民", Contact: "13900000000",
		Grounds: "设备清单与实际不符", ClientKey: "k"}
	if err := f.db.CreateObjection(ctx, obj); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(time.Date(2025, 6, 27, 9, 0, 0, 0, biopilot.Beijing))
	m = f.as("ministry") // the earlier session has timed out
	w = m.do("POST", "/api/v1/national/notice/publish", nil)
	wantStatus(t, w, conflct)
	if msg := fmt.Sprint(apiErr(t, w)["message"]); !strings.Contains(msg, "异议未处理") {
		t.Errorf("message %q", msg)
	}
	if _, err := f.db.ResolveObjection(ctx, store.ResolveRequest{ObjectionID: obj.ID, Outcome: national.ObjectionUpheld,
		Reason: "经核实异议成立", By: f.users["ministry"].ID, At: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	w = m.do("POST", "/ministry/notice/publish", url.Values{})
	wantStatus(t, w, see)
	if f.stateOf(f.apps[0].ID) != biopilot.StateListed || f.stateOf(f.apps[1].ID) != biopilot.StateNotListed {
		t.Fatalf("after publication: %s %s", f.stateOf(f.apps[0].ID), f.stateOf(f.apps[1].ID))
	}
	entries, total, err := f.db.Directory(ctx, store.DirectoryFilter{ProgramID: f.prog.ID, Equipment: "发酵罐"})
	if err != nil || total != 1 || entries[0].ApplicationID != f.apps[0].ID || entries[0].PlatformName != "甲中试平台" ||
		entries[0].ProvinceCode != "440000" || len(entries[0].Equipment) != 1 {
		t.Fatalf("directory %d %+v %v", total, entries, err)
	}
	if strings.Contains(string(entries[0].Public), "机密的基本情况") {
		t.Error("the directory holds a confidential field")
	}
	if recs, _, _ := f.db.AuditRecords(ctx, store.AuditFilter{Action: "national:publish", Limit: 10}); len(recs) != 1 {
		t.Errorf("publication audited %d times", len(recs))
	}

	// Once published, the batch is history: the results rank the next batch alone,
	// and show the published one only when asked.
	ranked := func(target string) map[float64]bool {
		t.Helper()
		w := m.do("GET", target, nil)
		wantStatus(t, w, ok)
		ids := map[float64]bool{}
		for _, dr := range decode(t, w)["rankings"].([]any) {
			for _, row := range dr.(map[string]any)["rows"].([]any) {
				ids[row.(map[string]any)["application_id"].(float64)] = true
			}
		}
		return ids
	}
	if ids := ranked("/api/v1/national/results"); ids[float64(f.apps[0].ID)] {
		t.Errorf("the published batch is ranked with the current one: %v", ids)
	}
	if ids := ranked("/api/v1/national/results?history=1"); !ids[float64(f.apps[0].ID)] {
		t.Errorf("history=1 does not show the published batch: %v", ids)
	}
}
