package web

// Shared helpers for the browser tests (headless Chromium through chromedp). Any
// area's browser test uses them:
//
//	srv := startHTTP(t, f.h)               // the handler on a real loopback listener
//	ctx := newBrowser(t)                   // a fresh Chromium (own profile, own cookies)
//	browserLogin(t, ctx, srv.URL, "applicantA", testPassword)
//	do(t, ctx, chromedp.Navigate(srv.URL+"/"), …)   // actions with no value
//	text := get(t, ctx, chromedp.Text(chromedp.CSS("h1")))
//	screenshot(t, ctx, "applicant", "home")  // test-output/screenshots/applicant/home.png
//
// Without Chromium the tests skip, unless BIOPILOT_REQUIRE_BROWSER=1 (CI), in which
// case they fail.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds one browser test: a test stuck on a selector fails instead
// of hanging the suite.
const browserTimeout = 40 * time.Second

// needBrowser skips the test when Chromium is missing (or fails it under
// BIOPILOT_REQUIRE_BROWSER=1), and when -short is given.
func needBrowser(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		p, lerr := exec.LookPath("chromium")
		if lerr != nil {
			if os.Getenv("BIOPILOT_REQUIRE_BROWSER") == "1" {
				t.Fatalf("BIOPILOT_REQUIRE_BROWSER=1 but Chromium is not installed (%s): apt-get install chromium", chromiumPath)
			}
			t.Skipf("Chromium not installed (%s); set BIOPILOT_REQUIRE_BROWSER=1 to fail instead", chromiumPath)
		}
		path = p
	}
	if testing.Short() && os.Getenv("BIOPILOT_REQUIRE_BROWSER") != "1" {
		t.Skip("browser test skipped in -short mode")
	}
	return path
}

// startHTTP serves h on a real loopback listener (a browser needs one) until the
// test ends.
func startHTTP(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newBrowser starts a fresh headless Chromium with its own profile directory (so
// two browsers in one test have separate cookies) and returns its context, bounded
// by browserTimeout. The browser is closed when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := needBrowser(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	// Launch now, so that a failure here is about the browser, not a test step.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return bctx
}

// do runs chromedp actions that return nothing, in order, and fails the test on
// the first error.
func do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// get runs one chromedp action and returns its value, failing the test on error.
func get[T any](t *testing.T, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// browserLogin logs a user in through the login page and waits for the home page.
func browserLogin(t *testing.T, ctx context.Context, baseURL, username, password string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(baseURL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=username]`), username),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), password),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`header .who`)),
	)
}

// screenshotDir is where screenshots go: test-output/screenshots/<area>/ at the
// repository root (git-ignored), for a person to look at.
func screenshotDir(t *testing.T, area string) string {
	t.Helper()
	dir := filepath.Join("..", "test-output", "screenshots", area)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshot saves the whole page as test-output/screenshots/<area>/<name>.png.
func screenshot(t *testing.T, ctx context.Context, area, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	// FullScreenshot with quality 100 is PNG (lossless, and viewable everywhere).
	path := filepath.Join(screenshotDir(t, area), name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// TestBrowserHelper checks the helpers themselves: a page served over loopback
// loads in Chromium, a login works, a screenshot is written.
func TestBrowserHelper(t *testing.T) {
	f := newFixture(t)
	srv := startHTTP(t, f.h)
	ctx := newBrowser(t)
	browserLogin(t, ctx, srv.URL, "applicantA", testPassword)
	who := get(t, ctx, chromedp.Text(chromedp.CSS(`header .who .name`)))
	if who != "测试applicantA" {
		t.Errorf("logged-in name %q", who)
	}
	screenshot(t, ctx, "shared", "home")
	if _, err := os.Stat(filepath.Join(screenshotDir(t, "shared"), "home.png")); err != nil {
		t.Error(err)
	}
}
