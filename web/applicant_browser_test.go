package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"biopilot"
	"biopilot/program"
	"biopilot/store"
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
	viewShot(t, a, "applicant", "autosave", `#field-overview`)
	// B, still on the old version, types the same field: the conflict panel shows both.
	do(t, b, chromedp.SendKeys(chromedp.CSS(`textarea[name="overview"]`), "同事的概述"))
	waitText(t, b, "#conflict-panel", "平台 依托 公司")
	panel := get(t, b, chromedp.Text(chromedp.CSS("#conflict-panel")))
	if !strings.Contains(panel, "同事的概述") || !strings.Contains(panel, "保留我的") {
		t.Fatalf("conflict panel: %q", panel)
	}
	viewShot(t, b, "applicant", "conflict", "#conflict-panel")
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
	viewShot(t, a, "applicant", "evidence-disguised", `#field-evidence\.license`)
	good := filepath.Join(dir, "执照.png")
	os.WriteFile(good, tinyPNG(t), 0o644)
	do(t, a, chromedp.SetUploadFiles(chromedp.CSS(`form.upload[data-category="license"] input[type=file]`), []string{good}))
	waitText(t, a, `#field-evidence\.license .files`, "执照.png")
	viewShot(t, a, "applicant", "evidence-accepted", `#field-evidence\.license`)
}

// TestBrowserApplicantScenario is issue 4's main scenario, in headless Chromium and
// by clicking only: a new organisation registers (from the login page's link),
// creates an application, fills every section with the example's data through the
// editor's inputs, imports the 检验设备 table from an Excel file made from the
// template, uploads evidence for every required category (an oversized and a
// disguised file are refused), watches the self-check turn 「符合申报条件」 and
// submits. Screenshots of every page go to test-output/screenshots/applicant/.
func TestBrowserApplicantScenario(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUploadBytes = 64 << 10 // small, so that an oversized file is quick to make
	f := newFixtureWith(t, cfg)
	f.withFiles()
	srv := startHTTP(t, f.h)
	ctx := newBrowser(t)
	// The example application (demo.ExampleDocument; read from its file, as package
	// demo imports web).
	example, err := os.ReadFile(filepath.Join("..", "demo", "docs", "enzymes.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := f.prog.Form.DecodeDocument(example)
	if err != nil {
		t.Fatal(err)
	}
	str := func(key string) string { v, _ := program.Lookup(doc, key); return inputValue(v) }
	// Screenshots are of the window, as a person sees it at 1366×768 (or 390×844).
	shot := func(name string) { viewShot(t, ctx, "applicant", name, "") }
	shotAt := func(name, sel string) { viewShot(t, ctx, "applicant", name, sel) }

	// Registration, reached from the login page.
	do(t, ctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	shot("login")
	follow(t, ctx, `a[href="/register"]`, "#uscc")
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#uscc"), str("applicant.uscc")))
	waitText(t, ctx, "#uscc-status", "佛山")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name="organisation.name"]`), str("applicant.name")),
		chromedp.SetValue(chromedp.CSS(`select[name="organisation.kind"]`), str("applicant.kind")),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.username"]`), "chenlx"),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.display_name"]`), str("applicant.legal_rep.name")),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.phone"]`), str("applicant.legal_rep.mobile")),
		chromedp.SendKeys(chromedp.CSS(`input[name="user.password"]`), "Enzyme-Pw-2025"),
		chromedp.SendKeys(chromedp.CSS(`input[name="confirm_password"]`), "Enzyme-Pw-2025"))
	shot("register")
	do(t, ctx, chromedp.Submit(chromedp.CSS("#register-form")), chromedp.WaitVisible(chromedp.CSS("header .who")))
	shot("home-empty")

	// The organisation's administrator reaches the members page from the header.
	follow(t, ctx, `header a[href="/organisation/members"]`, "main h1")
	shot("members")
	follow(t, ctx, `header .brand a`, `main form[action="/applications"] button`)

	// A new application; its page links to the editor.
	follow(t, ctx, `main form[action="/applications"] button`, `nav.app-actions`)
	appURL := get(t, ctx, chromedp.Location())
	shot("application-new")
	follow(t, ctx, `nav.app-actions a[href$="/edit"]`, "#editor-form")

	// Every section, through the side navigation, filled from the example and saved.
	for _, sec := range []string{"basic", "content", "goals", "declaration"} {
		follow(t, ctx, `#edit-nav a[href$="section=`+sec+`"]`, `#editor-form input[name=section][value=`+sec+`]`)
		if sec == "basic" { // the platform's name is typed key by key: the autosave saves it
			do(t, ctx, chromedp.SendKeys(byName("platform.name"), str("platform.name")))
			waitText(t, ctx, "#save-status", "已保存")
		}
		if n := fillSection(t, ctx, f.prog, sec, doc, "equipment.testing", "platform.name"); n == 0 {
			t.Fatalf("section %s: nothing to fill", sec)
		}
		saveSection(t, ctx)
		if msgs := get(t, ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#editor-form .msg")).map(e => e.textContent).join("；")`)); msgs != "" {
			t.Fatalf("section %s: refused: %s", sec, msgs)
		}
		shot("edit-" + sec)
		if sec == "content" {
			shotAt("edit-content-equipment", `#field-equipment\.fermentation`)
			shotAt("edit-content-site", `#field-site\.area_m2`)
		}
	}

	// The 检验设备 table from Excel: the template filled as a person would.
	dir := t.TempDir()
	rows, _ := valueAt(doc, "equipment.testing").([]any)
	book := tableWorkbook(t, f.prog, "equipment.testing", rows, dir, "检验设备.xlsx")
	follow(t, ctx, `#edit-nav a[href$="section=content"]`, `#editor-form input[name=section][value=content]`)
	do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`input[type=file][form="import-equipment.testing"]`), []string{book}))
	follow(t, ctx, `button[form="import-equipment.testing"]`, string(byName(fmt.Sprintf("equipment.testing[%d].name", len(rows)-1))))
	if got := get(t, ctx, chromedp.Value(byName("equipment.testing[9].name"))); got != "流式细胞仪" {
		t.Errorf("imported row 10: %q", got)
	}
	shotAt("edit-content-imported", `#field-equipment\.testing`)

	// Evidence: the submit page first says what is missing.
	follow(t, ctx, `#edit-nav a[href$="/submit"]`, "main h1")
	if txt := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(txt, "不能提交") || !strings.Contains(txt, "佐证材料") {
		t.Errorf("submit page before evidence: %.300s", txt)
	}
	shot("submit-incomplete")
	follow(t, ctx, `main a[href*="section=evidence"]`, `form.upload[data-category="license"]`)
	upload := func(cat string, path string) {
		do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`form.upload[data-category=`+cssAttr(cat)+`] input[type=file]`), []string{path}))
	}
	big := filepath.Join(dir, "场地照片合集.pdf")
	os.WriteFile(big, append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("0"), 80<<10)...), 0o644)
	upload("site", big)
	waitText(t, ctx, `form.upload[data-category="site"] .upload-status`, "未接受")
	if st := get(t, ctx, chromedp.Text(chromedp.CSS(`form.upload[data-category="site"] .upload-status`))); !strings.Contains(st, "64 KB") && !strings.Contains(st, "超过") {
		t.Errorf("oversized file: %q", st)
	}
	disguised := filepath.Join(dir, "团队资质.pdf")
	os.WriteFile(disguised, []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), 0o644)
	upload("team", disguised)
	waitText(t, ctx, `form.upload[data-category="team"] .upload-status`, "团队资质.pdf")
	shot("evidence-refused")
	for _, cat := range []string{"license", "site", "utilities", "team", "ip", "contracts", "industrialization"} {
		p := filepath.Join(dir, cat+"-证明.png")
		os.WriteFile(p, tinyPNG(t), 0o644)
		upload(cat, p)
		waitText(t, ctx, `#field-evidence\.`+cat+` .files`, cat+"-证明.png")
	}
	// The verdict in the side panel and the navigation.
	waitText(t, ctx, "#check-verdict", "符合申报条件")
	if v := get(t, ctx, chromedp.Text(chromedp.CSS("#nav-verdict"))); !strings.Contains(v, "符合申报条件") || strings.Contains(v, "不符合") {
		t.Errorf("navigation verdict %q", v)
	}
	shot("edit-evidence")
	shotAt("edit-evidence-files", `#field-evidence\.ip`)

	// On a phone: the application page and the editor, for reading.
	do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(appURL), chromedp.WaitVisible(chromedp.CSS("main h1")))
	shot("phone-application")
	follow(t, ctx, `nav.app-actions a[href$="/edit"]`, "#editor-form")
	shot("phone-edit")
	follow(t, ctx, `#edit-nav a[href$="section=content"]`, `#editor-form input[name=section][value=content]`)
	shotAt("phone-edit-table", `#field-equipment\.fermentation`)
	do(t, ctx, chromedp.EmulateViewport(1366, 768))

	// Submit, and see the state change.
	follow(t, ctx, `#edit-nav a[href$="/submit"]`, `main form[action$="/submit"] button.primary`)
	shot("submit-eligible")
	follow(t, ctx, `main form[action$="/submit"] button.primary`, "p.ok")
	waitText(t, ctx, "main .state", "已提交")
	shot("submitted")
	apps, _, err := f.db.Applications(context.Background(), store.ApplicationFilter{OrgID: orgOf(t, f, "chenlx")})
	if err != nil || len(apps) != 1 || apps[0].State != biopilot.StateSubmitted || apps[0].SnapshotHash == "" {
		t.Fatalf("stored application: %v %+v", err, apps)
	}
	// The stored document is the example's (but for the evidence, uploaded for real).
	app, err := f.db.Application(context.Background(), apps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var stored, want map[string]any
	json.Unmarshal(app.Document, &stored)
	json.Unmarshal(example, &want)
	delete(stored, "evidence")
	delete(want, "evidence")
	if !reflect.DeepEqual(comparable(stored), comparable(want)) {
		got, _ := json.Marshal(stored)
		t.Errorf("stored document differs from the example:\n%s", got)
	}

	// The preview, the home page with the submitted application, and the phone.
	do(t, ctx, chromedp.Navigate(appURL))
	follow(t, ctx, `nav.app-actions a[href$="/preview"]`, `nav[aria-label="预览操作"]`)
	if txt := get(t, ctx, chromedp.Text(chromedp.CSS("body"))); !strings.Contains(txt, "生物制造中试能力建设平台申请表") || !strings.Contains(txt, "返回申请") {
		t.Errorf("preview: %.200s", txt)
	}
	shot("preview")
	do(t, ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table.app-list")))
	if txt := get(t, ctx, chromedp.Text(chromedp.CSS("table.app-list"))); !strings.Contains(txt, "已提交") || !strings.Contains(txt, str("platform.name")) {
		t.Errorf("home list: %q", txt)
	}
	shot("home")
}

// orgOf is the organisation of a user.
func orgOf(t *testing.T, f *fixture, username string) int64 {
	t.Helper()
	u, err := f.db.UserByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.OrgID
}

// comparable is a document value as the editor keeps it: empty texts are absent
// (an empty input saves nothing) and the order of a list of options is the form's,
// not the order they were clicked in, so lists of strings compare sorted.
func comparable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e == nil || e == "" {
				continue
			}
			out[k] = comparable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		strs := true
		for i, e := range x {
			out[i] = comparable(e)
			_, ok := e.(string)
			strs = strs && ok
		}
		if strs {
			sort.Slice(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
		}
		return out
	}
	return v
}
