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

func wantBody(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("page lacks %q", p)
		}
	}
}

func TestAnnualReportPrefillAndTargets(t *testing.T) {
	f := newAnnualFixture(t)
	c := f.as("applicantA")
	w := c.do("GET", reportPath(f.appA, 2026), nil)
	wantStatus(t, w, 200)
	// The first report: staff from the application (team.fixed_technical 22), the
	// application's 2026 targets beside empty actuals.
	wantBody(t, w.Body.String(), `name="staff.technical" value="22"`, "20 家", "1200 万元", "（未填写）")
	rep := f.report(f.appA, 2026)
	if rep.State != store.ReportDraft || !strings.Contains(string(rep.Document), `"targets"`) {
		t.Fatalf("opened %+v %s", rep, rep.Document)
	}

	// Saved with 24 enterprises: 120% of the target, met; the amount 1350.5 of 1200.
	wantStatus(t, c.do("POST", reportPath(f.appA, 2026), fullReport(rep.Version, "２４")), 303)
	w = c.do("GET", reportPath(f.appA, 2026), nil)
	wantBody(t, w.Body.String(), "24 家", "120%", "已达成", "1350.5 万元", `value="500L 发酵罐"`)
	// A shortfall reads 未达成.
	rep = f.report(f.appA, 2026)
	wantStatus(t, c.do("POST", reportPath(f.appA, 2026), fullReport(rep.Version, "10")), 303)
	w = c.do("GET", reportPath(f.appA, 2026), nil)
	wantBody(t, w.Body.String(), "10 家", "50%", "未达成")
	// The API shows the same comparison.
	js := decode(t, c.do("GET", fmt.Sprintf("/api/v1/annual/platforms/%d/reports/2026", f.appA.ID), nil))
	tg := js["targets"].([]any)[0].(map[string]any)
	if tg["key"] != "enterprises" || tg["target"] != 20.0 || tg["actual"] != 10.0 || tg["met"] != false {
		t.Fatalf("api targets %v", tg)
	}

	// Submitted, then the 2027 evaluation: stocks carried over from 2026 (staff 30,
	// the equipment), flows not (enterprises), the 2027 targets (25 家).
	rep = f.report(f.appA, 2026)
	wantStatus(t, c.do("POST", reportPath(f.appA, 2026)+"/submit", url.Values{"base_version": {fmt.Sprint(rep.Version)}}), 303)
	f.clock.Set(annualDue.AddDate(0, 10, 0))
	f.openYear(2027, annualDue.AddDate(1, 0, 0))
	c = f.as("applicantA") // a new session after ten months
	w = c.do("GET", reportPath(f.appA, 2027), nil)
	wantStatus(t, w, 200)
	body := w.Body.String()
	wantBody(t, body, `name="staff.technical" value="30"`, `value="500L 发酵罐"`, "25 家", "1500 万元")
	if strings.Contains(body, `name="services.enterprises" value="10"`) {
		t.Error("a yearly flow was carried over")
	}
}

func TestAnnualReportConflictAndValidation(t *testing.T) {
	f := newAnnualFixture(t)
	a, col := f.as("applicantA"), f.as("colleagueA")
	wantStatus(t, a.do("GET", reportPath(f.appA, 2026), nil), 200)
	base := f.report(f.appA, 2026).Version

	// Two people save on the same version: the second is refused, keeps its input
	// and is told what the colleague changed.
	wantStatus(t, col.do("POST", reportPath(f.appA, 2026), fullReport(base, "15")), 303)
	w := a.do("POST", reportPath(f.appA, 2026), fullReport(base, "33"))
	wantStatus(t, w, 409)
	wantBody(t, w.Body.String(), "已被他人修改", `name="services.enterprises" value="33"`, "服务企业数")
	if got := f.report(f.appA, 2026); !strings.Contains(string(got.Document), `"enterprises":15`) {
		t.Fatalf("the colleague's save was lost: %s", got.Document)
	}
	// The API's stale save carries the current report.
	w = a.do("PUT", fmt.Sprintf("/api/v1/annual/platforms/%d/reports/2026", f.appA.ID),
		map[string]any{"base_version": base, "document": map[string]any{}})
	wantStatus(t, w, 409)
	if cur := decode(t, w)["current"].(map[string]any); cur["version"] != float64(base+1) {
		t.Fatalf("current %v", cur)
	}

	// Invalid values are named, with nothing lost.
	cur := f.report(f.appA, 2026).Version
	bad := fullReport(cur, "很多")
	w = a.do("POST", reportPath(f.appA, 2026), bad)
	wantStatus(t, w, 422)
	wantBody(t, w.Body.String(), "服务企业数", `value="很多"`)

	// An incomplete report cannot be submitted: the missing fields are named.
	empty := url.Values{"base_version": {fmt.Sprint(cur)}, "services.enterprises": {""}, "services.summary": {""}}
	wantStatus(t, a.do("POST", reportPath(f.appA, 2026), empty), 303)
	cur = f.report(f.appA, 2026).Version
	w = a.do("POST", reportPath(f.appA, 2026)+"/submit", url.Values{"base_version": {fmt.Sprint(cur)}})
	wantStatus(t, w, 422)
	wantBody(t, w.Body.String(), "「服务企业数」(services.enterprises) 未填写", "中试服务情况概述")
	w = a.do("POST", fmt.Sprintf("/api/v1/annual/platforms/%d/reports/2026/submit", f.appA.ID), map[string]any{"base_version": cur})
	wantStatus(t, w, 422)
	if e := apiErr(t, w); e["field"] == "" {
		t.Fatalf("no field named: %v", e)
	}
	if f.report(f.appA, 2026).State != store.ReportDraft {
		t.Fatal("an incomplete report was submitted")
	}

	// Complete, submitted with a hash; then frozen.
	rep := f.fileReport("applicantA", f.appA, 2026, "21")
	if len(rep.SnapshotHash) != 64 {
		t.Fatalf("hash %q", rep.SnapshotHash)
	}
	w = a.do("POST", reportPath(f.appA, 2026), fullReport(rep.Version, "99"))
	wantStatus(t, w, 409)
}

func TestAnnualReportOwnOrganisationOnly(t *testing.T) {
	f := newAnnualFixture(t)
	api := fmt.Sprintf("/api/v1/annual/platforms/%d/reports/2026", f.appA.ID)
	for _, who := range []string{"applicantB", "citygz", "admin"} {
		c := f.as(who)
		if w := c.do("GET", reportPath(f.appA, 2026), nil); w.Code == 200 {
			t.Errorf("%s read orgA's report page", who)
		}
		if w := c.do("PUT", api, map[string]any{"base_version": 1, "document": map[string]any{}}); w.Code != 404 && w.Code != 403 {
			t.Errorf("%s saved orgA's report: %d", who, w.Code)
		}
	}
	if w := f.as("applicantB").do("GET", api, nil); w.Code != 404 {
		t.Errorf("applicantB: %d, want 404", w.Code)
	}
	if _, err := f.db.AnnualReportFor(context.Background(), f.appA.ID, 2026); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Fatalf("someone else opened orgA's report: %v", err)
	}
	// The ministry reads but does not file.
	wantStatus(t, f.as("applicantA").do("GET", reportPath(f.appA, 2026), nil), 200)
	w := f.as("ministry").do("GET", reportPath(f.appA, 2026), nil)
	wantStatus(t, w, 200)
	if strings.Contains(w.Body.String(), `id="report-form"`) {
		t.Error("the ministry got the form")
	}
	// A year without an evaluation is not found.
	wantStatus(t, f.as("applicantA").do("GET", reportPath(f.appA, 2030), nil), 404)
}

func TestAnnualEvidence(t *testing.T) {
	f := newAnnualFixture(t)
	c := f.as("applicantA")
	wantStatus(t, c.do("GET", reportPath(f.appA, 2026), nil), 200)
	ctx := context.Background()
	a, err := f.srv.AddAnnualEvidence(ctx, f.users["applicantA"], f.appA.ID, 2026, "contracts", "合同.png", strings.NewReader(string(tinyPNG(t))))
	if err != nil {
		t.Fatal(err)
	}
	if a.Category != "annual-2026:contracts" {
		t.Fatalf("category %q", a.Category)
	}
	_, err = f.srv.AddAnnualEvidence(ctx, f.users["applicantA"], f.appA.ID, 2026, "contracts", "x.html", strings.NewReader("<html><script>alert(1)</script></html>"))
	if biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Fatalf("html accepted: %v", err)
	}
	_, err = f.srv.AddAnnualEvidence(ctx, f.users["applicantB"], f.appA.ID, 2026, "contracts", "合同.png", strings.NewReader(string(tinyPNG(t))))
	if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Fatalf("another organisation uploaded: %v", err)
	}
	w := c.do("GET", reportPath(f.appA, 2026), nil)
	wantBody(t, w.Body.String(), "合同.png", fmt.Sprintf("/api/v1/attachments/%d", a.ID))
	dl := c.do("GET", fmt.Sprintf("/api/v1/attachments/%d", a.ID), nil)
	wantStatus(t, dl, 200)
	if cd := dl.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Fatalf("disposition %q", cd)
	}
	rep := f.fileReport("applicantA", f.appA, 2026, "20")
	if err := f.srv.RemoveAnnualEvidence(ctx, f.users["applicantA"], f.appA.ID, 2026, a.ID); biopilot.ErrorCode(err) != biopilot.ECONFLICT {
		t.Fatalf("evidence removed after submission: %v", err)
	}
	// The hash covers the evidence: the same document without it hashes otherwise.
	doc, _ := decodeReport(rep)
	without, _ := reportHash(doc, nil)
	if without == rep.SnapshotHash {
		t.Fatal("the snapshot hash ignores the evidence")
	}
}

func TestAnnualReportWhoReportsAndUntilWhen(t *testing.T) {
	f := newAnnualFixture(t)
	// Listed in 2025: nothing to report on 2024.
	f.openYear(2024, annualDue)
	w := f.as("applicantA").do("GET", reportPath(f.appA, 2024), nil)
	wantStatus(t, w, 409)
	wantBody(t, w.Body.String(), "2024 年结束后才入选")
	// The ministry cannot open a year twice, nor with a past due time; an applicant
	// cannot open one.
	wantStatus(t, f.as("ministry").do("POST", "/api/v1/annual/evaluations",
		map[string]any{"year": 2026, "title": "重复", "due_at": "2027-12-31T17:00:00+08:00"}), 409)
	w = f.as("ministry").do("POST", "/ministry/annual", url.Values{"year": {"2028"}, "title": {"过去"}, "due_at": {"2026-01-01T17:00"}})
	wantStatus(t, w, 422)
	wantBody(t, w.Body.String(), "填报截止时间")
	wantStatus(t, f.as("applicantA").do("POST", "/api/v1/annual/evaluations",
		map[string]any{"year": 2028, "title": "自开", "due_at": "2029-12-31T17:00:00+08:00"}), 403)

	// A draft saved before the due time cannot be changed or submitted after it; it
	// stays readable.
	c := f.as("applicantA")
	wantStatus(t, c.do("GET", reportPath(f.appA, 2026), nil), 200)
	rep := f.report(f.appA, 2026)
	wantStatus(t, c.do("POST", reportPath(f.appA, 2026), fullReport(rep.Version, "20")), 303)
	f.clock.Set(annualDue)
	c = f.as("applicantA")
	rep = f.report(f.appA, 2026)
	w = c.do("POST", reportPath(f.appA, 2026)+"/submit", url.Values{"base_version": {fmt.Sprint(rep.Version)}})
	if w.Code != 409 || !strings.Contains(w.Body.String(), "填报截止时间") {
		t.Fatalf("submitted after the due time: %d", w.Code)
	}
	w = c.do("GET", reportPath(f.appA, 2026), nil)
	wantStatus(t, w, 200)
	if strings.Contains(w.Body.String(), `id="report-form"`) {
		t.Error("the form is offered after the due time")
	}
	// A platform that never opened its report gets none after the due time.
	wantStatus(t, f.as("applicantB").do("GET", reportPath(f.appB, 2026), nil), 409)
}
