package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"biopilot"
	"biopilot/store"
)

// TestAnnualExpertPages: an expert of an annual round declares, reads the
// platform's submitted report (targets first, evidence) — not the application —
// and scores it on the annual score sheet through the expert pages.
func TestAnnualExpertPages(t *testing.T) {
	f := newAnnualFixture(t)
	f.annualExperts(4)
	ctx := context.Background()
	c := f.as("applicantA")
	wantStatus(t, c.do("GET", reportPath(f.appA, 2026), nil), 200)
	att, err := f.srv.AddAnnualEvidence(ctx, f.users["applicantA"], f.appA.ID, 2026, "contracts", "服务合同.png", strings.NewReader(string(tinyPNG(t))))
	if err != nil {
		t.Fatal(err)
	}
	f.fileReport("applicantA", f.appA, 2026, "24")
	if _, err := f.srv.AssignAnnual(ctx, f.ministryU, 2026); err != nil {
		t.Fatal(err)
	}
	list, err := f.db.Assignments(ctx, store.AssignmentFilter{ProgramID: f.prog.ID, Round: store.AnnualRound(2026), States: liveStates})
	if err != nil || len(list) == 0 {
		t.Fatalf("assignments %v %v", list, err)
	}
	a := list[0]
	var who string
	for name, u := range f.users {
		if e, err := f.db.ExpertByUser(ctx, u.ID); err == nil && e.ID == a.ExpertID {
			who = name
		}
	}
	x := f.as(who)
	page := fmt.Sprintf("/expert/assignments/%d", a.ID)
	w := x.do("GET", "/expert", nil)
	wantBody(t, w.Body.String(), "2026 年度评价")
	wantStatus(t, x.do("POST", page+"/declaration", url.Values{"conflict": {"no"}}), 303)
	w = x.do("GET", page, nil)
	wantStatus(t, w, 200)
	body := w.Body.String()
	wantBody(t, body, "2026 年度报告", "量化目标完成情况", "目标 20 家；实际完成 24 家；完成率 120%", "服务合同.png",
		"硬件设施与软件", "规范运行与安全")
	if strings.Contains(body, "资格条件审查") || strings.Contains(body, "987654") {
		t.Error("the expert of an annual round got the application")
	}
	ev := x.do("GET", fmt.Sprintf("%s/evidence/%d", page, att.ID), nil)
	wantStatus(t, ev, 200)
	js := decode(t, x.do("GET", fmt.Sprintf("/api/v1/expert/assignments/%d", a.ID), nil))
	if doc, _ := js["document"].(map[string]any); doc["services"] == nil || js["snapshot_hash"] != f.report(f.appA, 2026).SnapshotHash {
		t.Fatalf("api document %v", js)
	}
	form := url.Values{}
	for k, p := range map[string]string{"facilities": "16", "service_volume": "22", "service_quality": "20", "incubation": "15", "compliance": "9"} {
		form.Set("points."+k, p)
		form.Set("comments."+k, "较好")
	}
	wantStatus(t, x.do("POST", page+"/score", form), 303)
	got, err := f.db.Assignment(ctx, a.ID)
	if err != nil || got.State != store.AssignScored || got.Total != 82 || !got.Sealed().Verify() {
		t.Fatalf("scored %+v %v", got, err)
	}
	// Nobody else reads the report through the expert pages.
	for _, other := range []string{"applicantA", "ministry"} {
		if w := f.as(other).do("GET", page, nil); w.Code != 404 && w.Code != 403 {
			t.Errorf("%s read the expert page: %d", other, w.Code)
		}
	}
	if _, err := f.db.AnnualReportFor(ctx, f.appB.ID, 2026); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Fatal("appB's report was opened by someone")
	}
}
