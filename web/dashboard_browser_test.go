package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDashboardBrowser opens the progress dashboard in Chromium as the ministry and
// as a province: every chart is drawn (an SVG with its title, a visible size), the
// stylesheet applies, and the province sees its own row only. Screenshots go to
// test-output/screenshots/dashboard/.
func TestDashboardBrowser(t *testing.T) {
	f := newDashFixture(t)
	srv := startHTTP(t, f.h)
	for _, tc := range []struct {
		who, shot string
		wantRows  []string // the province table's first column, in order
	}{
		{"ministry", "ministry", []string{"广东省", "江苏省", "合计"}},
		{"jsmiit", "province-jiangsu", []string{"江苏省"}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			ctx := newBrowser(t)
			browserLogin(t, ctx, srv.URL, tc.who, testPassword)
			do(t, ctx,
				chromedp.Navigate(srv.URL+"/dashboard"),
				chromedp.WaitVisible(chromedp.CSS(`#dash-progress svg`)),
			)
			// Three measures × (progress, by year, by domain).
			titles := get(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".dash svg")).map(s => {
				const r = s.getBoundingClientRect();
				const t = s.querySelector("title");
				return (r.width > 100 && r.height > 30 ? "" : "TOO SMALL ") + (t ? t.textContent : "NO TITLE");
			})`))
			if len(titles) != 9 {
				t.Fatalf("%d charts: %v", len(titles), titles)
			}
			for _, want := range []string{"入选平台数：", "服务企业数：", "孵化产品数：", "服务企业数（按年度、省份）",
				"孵化产品数（按年度、省份）", "入选平台数（按领域）", "孵化产品数（按领域）"} {
				found := false
				for _, got := range titles {
					found = found || strings.HasPrefix(got, want)
				}
				if !found {
					t.Errorf("no chart titled %q in %v", want, titles)
				}
			}
			for _, got := range titles {
				if strings.HasPrefix(got, "TOO SMALL") || strings.Contains(got, "NO TITLE") {
					t.Errorf("chart %q", got)
				}
			}
			if d := get(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#dash-progress")).display`)); d != "grid" {
				t.Errorf("dashboard.css not applied: display %q", d)
			}
			rows := get(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#dash-provinces tbody tr td:first-child")).map(td => td.textContent)`))
			if strings.Join(rows, ",") != strings.Join(tc.wantRows, ",") {
				t.Errorf("province rows = %v, want %v", rows, tc.wantRows)
			}
			if nav := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('nav a[href="/dashboard"]').textContent`)); nav != "进展看板" {
				t.Errorf("nav link %q", nav)
			}
			screenshot(t, ctx, "dashboard", tc.shot)
		})
	}
}
