package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"biopilot/store"
)

// TestBrowserAnnualReport files a listed platform's 2026 report in headless
// Chromium by clicking only: from the nav's 年度报告 to the platform, the form
// pre-filled with the application's staff and targets, the figures typed, saved
// (the target table turns 已达成), a contract uploaded, submitted; then the ministry
// sees the submitted report and rates the platform. Screenshots go to
// test-output/screenshots/annual/.
func TestBrowserAnnualReport(t *testing.T) {
	f := newAnnualFixture(t)
	srv := startHTTP(t, f.h)
	ctx := newBrowser(t)
	browserLogin(t, ctx, srv.URL, "applicantA", testPassword)

	do(t, ctx, chromedp.Click(chromedp.CSS(`header nav a[href="/annual"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#annual-platforms`)))
	screenshot(t, ctx, "annual", "01-platforms")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#annual-platforms a`)),
		chromedp.WaitVisible(chromedp.CSS(`#years tr[data-year="2026"] a`)))
	screenshot(t, ctx, "annual", "02-platform")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#years tr[data-year="2026"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-form`)))
	if v := get(t, ctx, chromedp.Value(chromedp.CSS(`input[name="staff.technical"]`))); v != "22" {
		t.Errorf("staff not pre-filled from the application: %q", v)
	}
	waitText(t, ctx, `#target-table tr[data-key="enterprises"] .target`, "20 家")
	screenshot(t, ctx, "annual", "03-prefilled")

	for sel, v := range map[string]string{
		`input[name="services.enterprises"]`:              "24",
		`input[name="services.contracts"]`:                "31",
		`input[name="services.contract_amount_10k_yuan"]`: "1350.5",
		`input[name="services.products_incubated"]`:       "12",
		`input[name="services.projects_industrialized"]`:  "3",
		`textarea[name="services.summary"]`:               "全年为酶制剂企业提供发酵放大与纯化工艺开发服务。",
		`input[name="facilities.equipment[0].name"]`:      "500L 发酵罐",
		`input[name="facilities.equipment[0].quantity"]`:  "2",
	} {
		do(t, ctx, chromedp.SendKeys(chromedp.CSS(sel), v))
	}
	do(t, ctx, chromedp.SetValue(chromedp.CSS(`select[name="facilities.equipment[0].kind"]`), "equipment"),
		chromedp.Click(chromedp.CSS(`#report-save`)), chromedp.WaitVisible(chromedp.CSS(`.rv-done`)))
	waitText(t, ctx, `#target-table tr[data-key="enterprises"]`, "已达成")
	waitText(t, ctx, `#target-table tr[data-key="enterprises"]`, "120%")
	screenshot(t, ctx, "annual", "04-saved")

	png := filepath.Join(t.TempDir(), "服务合同.png")
	if err := os.WriteFile(png, tinyPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`#evidence-contracts input[type=file]`), []string{png}),
		chromedp.Click(chromedp.CSS(`#evidence-contracts button[type=submit]`)))
	waitText(t, ctx, `#evidence-contracts .files`, "服务合同.png")
	screenshot(t, ctx, "annual", "05-evidence")

	do(t, ctx, chromedp.Click(chromedp.CSS(`#report-submit`)))
	waitText(t, ctx, `#report-state`, "已提交")
	screenshot(t, ctx, "annual", "06-submitted")
	rep := f.report(f.appA, 2026)
	if rep.State != store.ReportSubmitted || !strings.Contains(string(rep.Document), `"enterprises":24`) {
		t.Fatalf("stored %+v %s", rep, rep.Document)
	}
	if n := len(get(t, ctx, chromedp.Nodes(`#report-form`, chromedp.AtLeast(0)))); n != 0 {
		t.Error("the submitted report is still editable")
	}

	// The ministry sees it and assigns experts; one of them reads the report and
	// scores it; then the ministry rates the platform.
	experts := f.annualExperts(4)
	m := newBrowser(t)
	browserLogin(t, m, srv.URL, "ministry", testPassword)
	do(t, m, chromedp.Click(chromedp.CSS(`header nav a[href="/ministry/annual"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#annual-reports`)))
	waitText(t, m, fmt.Sprintf(`#annual-reports tr[data-app="%d"]`, f.appA.ID), "已提交")
	do(t, m, chromedp.Click(chromedp.CSS(`#annual-assign`)), chromedp.WaitVisible(chromedp.CSS(`.rv-done`)))
	waitText(t, m, fmt.Sprintf(`#annual-reports tr[data-app="%d"]`, f.appA.ID), "待声明")
	screenshot(t, m, "annual", "07-ministry")

	live, err := f.db.Assignments(context.Background(), store.AssignmentFilter{ProgramID: f.prog.ID,
		Round: store.AnnualRound(2026), States: liveStates})
	if err != nil || len(live) == 0 {
		t.Fatalf("assignments %v %v", live, err)
	}
	expertUser := ""
	for i, e := range experts {
		if e.ID == live[0].ExpertID {
			expertUser = fmt.Sprintf("expert%d", i+1)
		}
	}
	x := newBrowser(t)
	browserLogin(t, x, srv.URL, expertUser, testPassword)
	do(t, x, chromedp.Navigate(srv.URL+fmt.Sprintf("/expert/assignments/%d", live[0].ID)),
		chromedp.WaitVisible(chromedp.CSS(`#ex-no-conflict`)),
		chromedp.Click(chromedp.CSS(`#ex-no-conflict`)),
		chromedp.Click(chromedp.CSS(`#ex-declare button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ex-score`)))
	waitText(t, x, `main`, "目标 20 家；实际完成 24 家；完成率 120%")
	waitText(t, x, `#ex-score`, "硬件设施与软件")
	screenshot(t, x, "annual", "08-expert")
	for k, p := range map[string]string{"facilities": "16", "service_volume": "22", "service_quality": "20", "incubation": "15", "compliance": "9"} {
		do(t, x, chromedp.SendKeys(chromedp.CSS(`input[name="points.`+k+`"]`), p),
			chromedp.SendKeys(chromedp.CSS(`textarea[name="comments.`+k+`"]`), "较好"))
	}
	do(t, x, chromedp.Click(chromedp.CSS(`#ex-submit`)), chromedp.WaitVisible(chromedp.CSS(`#ex-sealed`)))
	waitText(t, x, `#ex-total`, "82")
	do(t, m, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#annual-reports tr[data-app="%d"] a[href^="/ministry/platforms/"]`, f.appA.ID))),
		chromedp.WaitVisible(chromedp.CSS(`#stars-form`)),
		chromedp.Click(chromedp.CSS(`#stars-form input[name=stars][value="4"]`)),
		chromedp.SendKeys(chromedp.CSS(`#stars-form textarea[name=reason]`), "服务企业数超额完成"),
		chromedp.Click(chromedp.CSS(`#stars-form button[type=submit]`)))
	waitText(t, m, `#current-stars`, starText(4))
	screenshot(t, m, "annual", "09-rated")
	if e, err := f.db.DirectoryEntry(context.Background(), f.appA.ID); err != nil || e.Stars != 4 {
		t.Fatalf("directory %+v %v", e, err)
	}
}
