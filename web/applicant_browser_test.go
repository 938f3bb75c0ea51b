package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitText polls until the element's text contains want (or the browser context ends).
func waitText(t *testing.T, ctx context.Context, sel, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err == nil && strings.Contains(txt, want) {
			return txt
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: text %q never contained %q (err %v)", sel, txt, want, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserRegister registers an organisation through the page: the USCC is
// checked as it is typed and the city suggested from it.
func TestBrowserRegister(t *testing.T) {
	f := newFixture(t)
	srv := startHTTP(t, f.h)
	ctx := newBrowser(t)
	code := makeUSCC(t, "91440606MA5BCDEF1")
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/register"),
		chromedp.WaitVisible(chromedp.CSS("#uscc")),
		chromedp.SendKeys(chromedp.CSS("#uscc"), code[:17]+"0"),
	)
	if code[17] != '0' {
		waitText(t, ctx, "#uscc-status", "校验")
	}
	do(t, ctx, chromedp.Clear(chromedp.CSS("#uscc")), chromedp.SendKeys(chromedp.CSS("#uscc"), code))
	waitText(t, ctx, "#uscc-status", "佛山")
	city := get(t, ctx, chromedp.Value(chromedp.CSS("#city")))
	if city != "440600" {
		t.Errorf("suggested city %q, want 440600", city)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="organisation.name"]`), "佛山浏览器测试生物有限公司"),
		chromedp.SetValue(chromedp.CSS(`select[name="organisation.kind"]`), "private"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.username"]`), "browseradmin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.display_name"]`), "陈测试"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.phone"]`), "13812345678"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.password"]`), "Browser-Pw-2025"),
		chromedp.SendKeys(chromedp.CSS(`input[name="confirm_password"]`), "Browser-Pw-2025"),
	)
	screenshot(t, ctx, "applicant", "register")
	do(t, ctx, chromedp.Submit(chromedp.CSS("#register-form")), chromedp.WaitVisible(chromedp.CSS("header .who")))
	who := get(t, ctx, chromedp.Text(chromedp.CSS("header .who")))
	if !strings.Contains(who, "陈测试") || !strings.Contains(who, "佛山浏览器测试生物有限公司") {
		t.Errorf("after registration: %q", who)
	}
	// The same code again is refused, saying whom to contact.
	ctx2 := newBrowser(t)
	do(t, ctx2, chromedp.Navigate(srv.URL+"/register"), chromedp.WaitVisible(chromedp.CSS("#uscc")),
		chromedp.SendKeys(chromedp.CSS(`input[name="organisation.name"]`), "重复单位"),
		chromedp.SendKeys(chromedp.CSS("#uscc"), code),
		chromedp.SetValue(chromedp.CSS(`select[name="organisation.kind"]`), "private"),
		chromedp.SetValue(chromedp.CSS(`#city`), "440600"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.username"]`), "dupuser"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.display_name"]`), "李重复"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.phone"]`), "13812345679"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.password"]`), "Browser-Pw-2025"),
		chromedp.SendKeys(chromedp.CSS(`input[name="confirm_password"]`), "Browser-Pw-2025"),
		chromedp.Submit(chromedp.CSS("#register-form")), chromedp.WaitVisible(chromedp.CSS("p.error")))
	msg := get(t, ctx2, chromedp.Text(chromedp.CSS("p.error")))
	if !strings.Contains(msg, "已注册") || !strings.Contains(msg, "联系") {
		t.Errorf("duplicate USCC message %q", msg)
	}
}

// TestBrowserEditConflictAndEvidence: the editor autosaves and counts characters;
// two browsers editing one field see the conflict and lose nothing; a disguised
// file is refused with a clear message.
func TestBrowserEditConflictAndEvidence(t *testing.T) {
	f := newFixture(t)
	f.withFiles()
	srv := startHTTP(t, f.h)
	a, b := newBrowser(t), newBrowser(t)
	browserLogin(t, a, srv.URL, "applicantA", testPassword)
	browserLogin(t, b, srv.URL, "colleagueA", testPassword)
	edit := srv.URL + idPath("/applications/%d/edit?section=content", f.appDraft.ID)
	for _, ctx := range []context.Context{a, b} {
		do(t, ctx, chromedp.Navigate(edit), chromedp.WaitVisible(chromedp.CSS(`textarea[name="overview"]`)))
	}
	// A types the overview: counted without white space, saved by itself.
	do(t, a, chromedp.SendKeys(chromedp.CSS(`textarea[name="overview"]`), "平台 依托 公司"))
	waitText(t, a, `[data-counter-for="overview"]`, "6/800")
	waitText(t, a, "#save-status", "已保存")
	screenshot(t, a, "applicant", "editor-content")
	// B, still on the old version, types the same field: the conflict panel shows both.
	do(t, b, chromedp.SendKeys(chromedp.CSS(`textarea[name="overview"]`), "同事的概述"))
	waitText(t, b, "#conflict-panel", "平台 依托 公司")
	panel := get(t, b, chromedp.Text(chromedp.CSS("#conflict-panel")))
	if !strings.Contains(panel, "同事的概述") || !strings.Contains(panel, "保留我的") {
		t.Fatalf("conflict panel: %q", panel)
	}
	screenshot(t, b, "applicant", "conflict")
	do(t, b, chromedp.Click(chromedp.CSS("#conflict-merge")))
	waitText(t, b, "#save-status", "已保存")
	app, _ := f.db.Application(context.Background(), f.appDraft.ID)
	if !strings.Contains(string(app.Document), "同事的概述") {
		t.Errorf("B's choice was not saved: %s", app.Document)
	}
	// Evidence: a script disguised as a PDF is refused by content.
	dir := t.TempDir()
	fake := filepath.Join(dir, "营业执照.pdf")
	os.WriteFile(fake, []byte("<html><script>alert(1)</script></html>"), 0o644)
	do(t, a, chromedp.Navigate(srv.URL+idPath("/applications/%d/edit?section=evidence", f.appDraft.ID)),
		chromedp.WaitVisible(chromedp.CSS(`form.upload[data-category="license"]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`form.upload[data-category="license"] input[type=file]`), []string{fake}))
	waitText(t, a, `form.upload[data-category="license"] .upload-status`, "营业执照.pdf")
	screenshot(t, a, "applicant", "evidence-refused")
	good := filepath.Join(dir, "执照.png")
	os.WriteFile(good, tinyPNG(t), 0o644)
	do(t, a, chromedp.SetUploadFiles(chromedp.CSS(`form.upload[data-category="license"] input[type=file]`), []string{good}))
	waitText(t, a, `#field-evidence\.license .files`, "执照.png")
	screenshot(t, a, "applicant", "evidence")
}
