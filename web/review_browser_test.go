package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"biopilot"
	"biopilot/seal"
)

// REVIEW: the browser test of the review workflow (issue 5 item 10). The
// applicant's part is set up through the server (SubmitAs, the submit page's code
// path); every reviewer's action goes through the pages in headless Chromium.

// rvWaitText polls until the element's text contains want.
func rvWaitText(t *testing.T, ctx context.Context, sel, want string) string {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.AtLeast(0)))
		if err == nil && strings.Contains(txt, want) {
			return txt
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			t.Fatalf("%s: text %q never contained %q (err %v); page: %.600s", sel, txt, want, err, body)
		}
		time.Sleep(80 * time.Millisecond)
	}
}

// rvLoginAs logs the browser out (when someone is logged in) and logs username in.
func rvLoginAs(t *testing.T, ctx context.Context, base, username string) {
	t.Helper()
	loc := get(t, ctx, chromedp.Location())
	if strings.HasPrefix(loc, base) {
		n := get(t, ctx, chromedp.Nodes(chromedp.CSS(`header form[action="/logout"] button`), chromedp.AtLeast(0)))
		if len(n) > 0 {
			do(t, ctx, chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
		}
	}
	browserLogin(t, ctx, base, username, testPassword)
}

// rvShot saves what the window shows (1366×768) as
// test-output/screenshots/review/<name>.png.
func rvShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t, "review"), name+".png"), buf, 0o644); err != nil {
		t.Error(err)
	}
}

// rvAct opens the application's review page, opens the action's form, lets fill
// complete it, submits it and waits for the confirmation. With shot, the filled
// form is photographed first.
func rvAct(t *testing.T, ctx context.Context, base string, id int64, action, shot string, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	form := "#act-" + action + " form"
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + idPath("/review/applications/%d", id)),
		chromedp.WaitVisible(chromedp.CSS("#act-" + action + " summary")),
		chromedp.Click(chromedp.CSS("#act-" + action + " summary")),
		chromedp.WaitVisible(chromedp.CSS(form + " button[type=submit]")),
	}
	steps = append(steps, fill...)
	do(t, ctx, steps...)
	if shot != "" {
		do(t, ctx, chromedp.ScrollIntoView(chromedp.CSS("#act-"+action)))
		rvShot(t, ctx, shot)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(form+" button[type=submit]")))
	rvWaitText(t, ctx, ".rv-done", "已办理")
}

// rvStatus fetches a URL from the page (with its cookies) and returns the status.
func rvStatus(t *testing.T, ctx context.Context, path string) int {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(r => r.status)`, path),
		chromedp.EvalAwaitPromise))
}

// TestBrowserReviewFullPass: submission → city return with a reason on a field →
// the applicant sees it beside the field → resubmission → city_miit proposes with
// the three checks and the opinion → city_drc co-signs → the letter ordered, both
// seals, sent → prov_miit proposes → prov_drc co-signs → recommended_to_ministry.
// And isolation: 广州's reviewer cannot reach 佛山's application by URL, through
// the workbench search or the API. Screenshots of every review page.
func TestBrowserReviewFullPass(t *testing.T) {
	f := newReviewFixture(t)
	ctx0 := context.Background()
	app := completeApp(t, f.fixture, f.orgA, "applicantA", "广州酶制剂浏览器中试平台")
	if _, err := f.srv.SubmitAs(ctx0, f.users["applicantA"], app.ID); err != nil {
		t.Fatal(err)
	}
	id := app.ID
	srv := startHTTP(t, f.h)
	ctx := newBrowser(t)
	base := srv.URL
	began := time.Now()

	// 广州's city_miit: the workbench lists 广州's applications only.
	rvLoginAs(t, ctx, base, "citygz")
	do(t, ctx, chromedp.Navigate(base+"/review"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	list := get(t, ctx, chromedp.Text(chromedp.CSS("table.list")))
	if !strings.Contains(list, "广州酶制剂浏览器中试平台") || strings.Contains(list, "佛山平台") {
		t.Errorf("广州's workbench: %q", list)
	}
	if no := f.srv.appNumber(app); !strings.Contains(list, no) {
		t.Errorf("workbench does not show the application number %s: %q", no, list)
	}
	screenshot(t, ctx, "review", "workbench")

	// Isolation: the workbench search, the URL and the API.
	do(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name=q]`), "佛山平台"),
		chromedp.Submit(chromedp.CSS(`input[name=q]`)))
	rvWaitText(t, ctx, "main", "没有符合条件的申请")
	do(t, ctx, chromedp.Navigate(base+idPath("/review/applications/%d", f.appFS.ID)), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "未找到") || strings.Contains(body, "佛山平台") {
		t.Errorf("广州 opened 佛山's application by URL: %q", body)
	}
	for _, p := range []string{"/api/v1/applications/%d", "/api/v1/applications/%d/review", "/applications/%d/form.pdf", "/api/v1/applications/%d/package.zip"} {
		if got := rvStatus(t, ctx, idPath(p, f.appFS.ID)); got != 404 {
			t.Errorf("广州 GET %s: %d, want 404", idPath(p, f.appFS.ID), got)
		}
	}
	if got := rvStatus(t, ctx, idPath("/api/v1/applications/%d/review", id)); got != 200 {
		t.Errorf("广州 GET its own review: %d", got)
	}

	// The review view: the frozen snapshot, the report, the evidence, the downloads.
	do(t, ctx, chromedp.Navigate(base+idPath("/review/applications/%d", id)), chromedp.WaitVisible(chromedp.CSS("#act-city_return summary")))
	view := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"快照", "资格条件审查", "佐证材料", "申请表 PDF", "材料包", f.srv.appNumber(app), "签章有效"} {
		if !strings.Contains(view, want) {
			t.Errorf("review view lacks %q", want)
		}
	}
	screenshot(t, ctx, "review", "review")

	// City return with a reason attached to the platform's name.
	rvAct(t, ctx, base, id, "city_return", "review-return",
		chromedp.SetValue(chromedp.CSS(`#act-city_return select[name=field]`), "platform.name"),
		chromedp.SendKeys(chromedp.CSS(`#act-city_return input[name=field_reason]`), "平台名称与备案名称不一致"),
		chromedp.SendKeys(chromedp.CSS(`#act-city_return textarea[name=reason]`), "请核对平台名称后重新提交"))
	rvWaitText(t, ctx, "#rv-state", biopilot.StateReturned.Label())

	// The applicant sees the reason beside the field, and the notification.
	rvLoginAs(t, ctx, base, "applicantA")
	sec := f.prog.Form.Field("platform.name").Section
	do(t, ctx, chromedp.Navigate(base+idPath("/applications/%d/edit?section=", id)+sec))
	rvWaitText(t, ctx, `#field-platform\.name .reason`, "平台名称与备案名称不一致")
	do(t, ctx, chromedp.ScrollIntoView(chromedp.CSS(`#field-platform\.name`)))
	rvShot(t, ctx, "applicant-returned")
	do(t, ctx, chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(chromedp.CSS(".rv-notes")))
	rvWaitText(t, ctx, ".rv-notes", "退回")
	screenshot(t, ctx, "review", "notifications")
	// Resubmission through the applicant's submit path.
	if _, err := f.srv.SubmitAs(ctx0, f.users["applicantA"], id); err != nil {
		t.Fatal(err)
	}

	// Joint city recommendation: city_miit proposes, city_drc co-signs.
	rvLoginAs(t, ctx, base, "citygz")
	rvAct(t, ctx, base, id, "city_propose", "review-propose",
		chromedp.Click(chromedp.CSS(`#act-city_propose input[name=authenticity]`)),
		chromedp.Click(chromedp.CSS(`#act-city_propose input[name=completeness]`)),
		chromedp.Click(chromedp.CSS(`#act-city_propose input[name=validity]`)),
		chromedp.SendKeys(chromedp.CSS(`#act-city_propose textarea[name=check_notes]`), "已核对营业执照、场地和设备清单原件"),
		chromedp.SendKeys(chromedp.CSS(`#act-city_propose textarea[name=opinion]`), "该平台设备齐全、服务能力强，同意推荐。"))
	rvWaitText(t, ctx, "#rv-state", biopilot.StateCityProposed.Label())
	rvLoginAs(t, ctx, base, "drcgz")
	rvAct(t, ctx, base, id, "city_cosign", "")
	rvWaitText(t, ctx, "#rv-state", biopilot.StateCityRecommended.Label())

	// The letter: city_miit orders and seals it, city_drc co-seals, city_miit sends.
	rvLoginAs(t, ctx, base, "citygz")
	do(t, ctx, chromedp.Navigate(base+"/recommendation"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`input[name="order_%d"]`, id))),
		chromedp.SetValue(chromedp.CSS(`input[name=number]`), "穗工信函〔2025〕88号"),
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`input[name="order_%d"]`, id)), "1"),
		chromedp.SetValue(chromedp.CSS(`form[action="/recommendation/save"] textarea[name=opinion]`), "经广州市工业和信息化局、广州市发展和改革局联合审核，同意推荐。"),
		chromedp.Click(chromedp.CSS(`form[action="/recommendation/save"] button[type=submit]`)))
	rvWaitText(t, ctx, ".rv-done", "已保存")
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/recommendation/propose"] button`)))
	rvWaitText(t, ctx, "#rv-letter-state", "待发展改革部门会签")
	screenshot(t, ctx, "review", "letter")
	rvLoginAs(t, ctx, base, "drcgz")
	do(t, ctx, chromedp.Navigate(base+"/recommendation"), chromedp.WaitVisible(chromedp.CSS(`form[action="/recommendation/cosign"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/recommendation/cosign"] button`)))
	rvWaitText(t, ctx, "#rv-letter-state", "已会签")
	rvLoginAs(t, ctx, base, "citygz")
	do(t, ctx, chromedp.Navigate(base+"/recommendation"), chromedp.WaitVisible(chromedp.CSS(`form[action="/recommendation/send"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/recommendation/send"] button`)))
	rvWaitText(t, ctx, ".rv-sent", "穗工信函〔2025〕88号")
	screenshot(t, ctx, "review", "letter-sent")
	if st := f.state(id); st != biopilot.StateAtProvince {
		t.Fatalf("after sending: %s", st)
	}

	// Province: prov_miit proposes with its opinion, prov_drc co-signs.
	rvLoginAs(t, ctx, base, "province")
	do(t, ctx, chromedp.Navigate(base+"/review"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if list := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(list, "汇总表") || !strings.Contains(list, "广州酶制剂浏览器中试平台") {
		t.Errorf("province workbench: %q", list)
	}
	screenshot(t, ctx, "review", "workbench-province")
	rvAct(t, ctx, base, id, "prov_propose", "",
		chromedp.Click(chromedp.CSS(`#act-prov_propose input[name=authenticity]`)),
		chromedp.Click(chromedp.CSS(`#act-prov_propose input[name=completeness]`)),
		chromedp.Click(chromedp.CSS(`#act-prov_propose input[name=validity]`)),
		chromedp.SendKeys(chromedp.CSS(`#act-prov_propose textarea[name=opinion]`), "经省工业和信息化厅、省发展改革委复核，同意推荐至工业和信息化部。"))
	rvLoginAs(t, ctx, base, "provdrc")
	rvAct(t, ctx, base, id, "prov_cosign", "")
	rvWaitText(t, ctx, "#rv-state", biopilot.StateRecommendedToMinistry.Label())
	screenshot(t, ctx, "review", "review-final")
	if st := f.state(id); st != biopilot.StateRecommendedToMinistry {
		t.Fatalf("final state %s", st)
	}
	// Every seal the UI reported verifies from the store too.
	ts, err := f.db.Transitions(ctx0, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range ts {
		p, sig, err := SignedPayload(tr.Data)
		if err != nil {
			t.Fatal(err)
		}
		if sig != nil {
			if err := seal.VerifyPayload(sig, p); err != nil {
				t.Errorf("transition %d (%s→%s): %v", tr.ID, tr.From, tr.To, err)
			}
		}
	}
	op, err := f.srv.ProvinceOpinion(ctx0, &biopilot.Application{ID: id})
	if err != nil || op == nil || !strings.Contains(op.Opinion, "同意推荐至工业和信息化部") || len(op.Signatures) != 2 {
		t.Errorf("province opinion %+v %v", op, err)
	}

	// The auditor reads the trail and verifies the chain.
	rvLoginAs(t, ctx, base, "auditor")
	do(t, ctx, chromedp.Navigate(base+"/audit"), chromedp.WaitVisible(chromedp.CSS("table.rv-audit")),
		chromedp.Click(chromedp.CSS(`form[action="/audit/verify"] button`)))
	rvWaitText(t, ctx, "#rv-verify", "审计日志完整")
	screenshot(t, ctx, "review", "audit")
	t.Logf("browser pass took %s", time.Since(began).Round(time.Millisecond))
}
