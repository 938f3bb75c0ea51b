package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// PUBLIC: the browser test of the public pages (issue 8 item 6), as a visitor
// without an account: the notice → the objection form, with an attachment →
// the receipt; after publication the directory searched by an equipment name →
// the platform's page. Screenshots in test-output/screenshots/public/.
func TestBrowserPublicPages(t *testing.T) {
	f := newPublicFixture(t)
	srv := startHTTP(t, f.h)
	ctx := newBrowser(t)
	base := srv.URL

	// The notice.
	do(t, ctx, chromedp.Navigate(base+"/public/notice"), chromedp.WaitVisible(chromedp.CSS("table.pub-list")))
	notice := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{f.notice.Title, "公示期：5 个工作日", "广州酶制剂公示中试平台", "佛山食品配料公示中试平台", "如何提出异议"} {
		if !strings.Contains(notice, want) {
			t.Errorf("notice page lacks %q", want)
		}
	}
	if nav := get(t, ctx, chromedp.Text(chromedp.CSS("header .pub-nav"))); !strings.Contains(nav, "公示") || !strings.Contains(nav, "平台名录") || !strings.Contains(nav, "登录") {
		t.Errorf("public navigation: %q", nav)
	}
	screenshot(t, ctx, "public", "notice")

	// The objection form, opened from 广州's row: the platform is chosen, the
	// honeypot is out of sight.
	id := strconv.FormatInt(f.appA.ID, 10)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#platform-`+id+` a.button`)), chromedp.WaitVisible(chromedp.CSS("#objection-form")))
	if v := get(t, ctx, chromedp.Value(chromedp.CSS(`select[name=application_id]`))); v != id {
		t.Errorf("chosen platform %q, want %s", v, id)
	}
	if visible := get(t, ctx, chromedp.Evaluate[bool](`(() => { const r = document.querySelector('input[name=website]').getBoundingClientRect();
		return r.right > 0 && r.bottom > 0 && r.width > 1; })()`)); visible {
		t.Error("the honeypot field is visible")
	}
	png := filepath.Join(t.TempDir(), "现场照片.png")
	if err := os.WriteFile(png, tinyPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(`input[name=name]`), "李四"),
		chromedp.SetValue(chromedp.CSS(`input[name=contact]`), "lisi@example.com"),
		chromedp.SetValue(chromedp.CSS(`textarea[name=grounds]`), "该平台申报的中试车间尚在装修，关键设备尚未到货，不具备对外服务条件，请予核实。"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=files]`), []string{png}),
	)
	screenshot(t, ctx, "public", "objection-form")
	// A person takes a while: the server's clock moves past the form's minimum age.
	f.clock.Add(10 * time.Second)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#objection-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#receipt")))
	receipt := get(t, ctx, chromedp.Text(chromedp.CSS("#receipt")))
	objs, err := f.db.Objections(context.Background(), f.notice.ID)
	if err != nil || len(objs) != 1 {
		t.Fatalf("objections: %v %v", objs, err)
	}
	if receipt != receiptNumber(objs[0]) || objs[0].Name != "李四" || len(objs[0].Files) != 1 || objs[0].Files[0].Filename != "现场照片.png" {
		t.Errorf("receipt %q, stored %+v", receipt, objs[0])
	}
	screenshot(t, ctx, "public", "objection-receipt")

	// The ministry handles it on its page.
	mctx := newBrowser(t)
	browserLogin(t, mctx, base, "ministry", testPassword)
	form := fmt.Sprintf(`#objection-%d form.resolve-form`, objs[0].ID)
	do(t, mctx, chromedp.Navigate(base+"/ministry/objections"), chromedp.WaitVisible(chromedp.CSS(form)))
	if txt := get(t, mctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(txt, receipt) || !strings.Contains(txt, "中试车间尚在装修") ||
		!strings.Contains(txt, "现场照片.png") || !strings.Contains(txt, "待处理 1 件") {
		t.Errorf("ministry's objections page: %q", txt)
	}
	do(t, mctx, chromedp.Click(chromedp.CSS(form+` input[value=rejected]`)),
		chromedp.SetValue(chromedp.CSS(form+` textarea[name=reason]`), "经现场核实，设备已到位，异议不成立"))
	screenshot(t, mctx, "public", "ministry-objections")
	do(t, mctx, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	rvWaitText(t, mctx, "#open-count", "0")
	if txt := get(t, mctx, chromedp.Text(chromedp.CSS(fmt.Sprintf("#objection-%d", objs[0].ID)))); !strings.Contains(txt, "处理结果：异议不成立") {
		t.Errorf("handled objection: %q", txt)
	}
	screenshot(t, mctx, "public", "ministry-objection-handled")

	// The notice ends; the list is published.
	f.publish()

	// The directory, searched by an equipment name.
	do(t, ctx, chromedp.Navigate(base+"/public/directory"), chromedp.WaitVisible(chromedp.CSS("table#directory")))
	screenshot(t, ctx, "public", "directory")
	do(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name=equipment]`), "超高效液相色谱仪"),
		chromedp.Submit(chromedp.CSS(`input[name=equipment]`)))
	rvWaitText(t, ctx, ".pub-total", "共 1 个平台")
	list := get(t, ctx, chromedp.Text(chromedp.CSS("table#directory")))
	if !strings.Contains(list, "广州酶制剂公示中试平台") || strings.Contains(list, "佛山食品配料公示中试平台") || !strings.Contains(list, "★★★★☆") {
		t.Errorf("search by equipment: %q", list)
	}
	screenshot(t, ctx, "public", "directory-search")

	// The platform's page.
	do(t, ctx, chromedp.Click(chromedp.CSS(`table#directory a.pub-name`)), chromedp.WaitVisible(chromedp.CSS("#contact")))
	page := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"广州酶制剂公示中试平台", "服务内容", "李晓燕", "超高效液相色谱仪", "2025 年度"} {
		if !strings.Contains(page, want) {
			t.Errorf("platform page lacks %q", want)
		}
	}
	assertNoConfidential(t, "platform page in the browser", page)
	screenshot(t, ctx, "public", "platform")
}
