package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/national"
	"biopilot/store"
	"biopilot/xlsx"
)

// ANNUAL: tests of the progress dashboard.

// dashPlatform is a platform of the dashboard's fixture.
type dashPlatform struct {
	name    string
	org     *biopilot.Organisation
	domains []string
	app     *biopilot.Application
	removed int // the year of its removal (除名), 0 while listed
}

// dashReport is an annual report of the fixture, as filed: its document's figures.
type dashReport struct {
	platform    int // index into dashFixture.platforms
	year        int
	enterprises float64
	products    float64
	submitted   bool
}

// dashFixture is the national program with four platforms listed in 2025 (two in
// 广州, two in 南京; the first in two domains), one of 南京's removed in 2026, and
// their annual reports on 2025 and 2026 (one a draft). The clock ends in December
// 2026: the dashboard counts 2025 and 2026.
type dashFixture struct {
	*fixture
	platforms []*dashPlatform
	reports   []dashReport
}

func newDashFixture(t *testing.T) *dashFixture {
	t.Helper()
	nf, _ := newNationalFixture(t)
	f := &dashFixture{fixture: nf}
	ctx := context.Background()
	f.platforms = []*dashPlatform{
		{name: "广州酶与药双领域中试平台", org: f.orgB, domains: []string{"enzymes", "biopharma"}},
		{name: "广州食品配料中试平台", org: f.orgB, domains: []string{"food_additives"}},
		{name: "南京抗体药物中试平台", org: f.orgA, domains: []string{"biopharma"}},
		{name: "南京被除名的中试平台", org: f.orgA, domains: []string{"enzymes"}, removed: 2026},
	}
	var apps []*biopilot.Application
	for _, p := range f.platforms {
		doms, _ := json.Marshal(p.domains)
		a := f.app(p.org, fmt.Sprintf(`{"platform":{"name":%q},"domains":%s}`, p.name, doms))
		a, err := f.db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID,
			From: biopilot.StateDraft, To: biopilot.StateSubmitted, Snapshot: a.Document, SnapshotHash: "test"})
		if err != nil {
			t.Fatal(err)
		}
		p.app = a
		apps = append(apps, a)
	}
	// The empty state comes before any publication: see TestDashboardEmpty.
	now := f.clock.Now()
	ministry := f.users["ministry"]
	notice := &store.PublicNotice{ProgramID: f.prog.ID, Round: store.RoundSelection, Title: "拟入选名单公示",
		Body: "如有异议请提出。", ApplicationIDs: ids(apps), StartsAt: now,
		EndsAt:    national.NoticeEnd(now, f.prog.Eval().NoticeWorkingDays, national.CalendarOf(f.prog)),
		CreatedBy: ministry.ID}
	if err := f.db.OpenNotice(ctx, store.OpenNoticeRequest{Notice: notice,
		Transitions: f.dashMoves(biopilot.StateSubmitted, biopilot.StatePublicized, apps...)}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(notice.EndsAt)
	var entries []*store.DirectoryEntry
	for _, p := range f.platforms {
		entries = append(entries, &store.DirectoryEntry{ApplicationID: p.app.ID, ProgramID: f.prog.ID,
			PlatformName: p.name, OrgName: p.org.Name, CityCode: p.app.CityCode,
			ProvinceCode: f.srv.provinceOf(p.app.CityCode), Domains: p.domains})
	}
	if err := f.db.Publish(ctx, store.PublishRequest{NoticeID: notice.ID, By: ministry.ID, At: notice.EndsAt,
		Entries: entries, Transitions: f.dashMoves(biopilot.StatePublicized, biopilot.StateListed, apps...)}); err != nil {
		t.Fatal(err)
	}

	f.reports = []dashReport{
		{0, 2025, 12, 20, true}, {1, 2025, 5, 3, true}, {2, 2025, 7, 9, true}, {3, 2025, 4, 6, true},
		{0, 2026, 30, 41, true}, {1, 2026, 8, 2, true}, {2, 2026, 15, 11, true},
		// A draft never counts: 南京被除名 opened its report on 2026 before its
		// removal and never submitted it.
		{3, 2026, 1000, 1000, false},
	}
	// The reports on 2025 are filed in February 2026, with the draft.
	f.clock.Set(time.Date(2026, 2, 10, 10, 0, 0, 0, biopilot.Beijing))
	for _, r := range f.reports {
		if r.year == 2025 || !r.submitted {
			f.fileReport(r)
		}
	}
	// 南京被除名 is removed on 2026-03-01.
	f.clock.Set(time.Date(2026, 3, 1, 9, 0, 0, 0, biopilot.Beijing))
	removed := f.platforms[3].app
	tr := f.dashMoves(biopilot.StateListed, biopilot.StateRemoved, removed)[0]
	if err := f.db.RemovePlatform(ctx, store.RemovalRequest{ApplicationID: removed.ID,
		Grounds: store.RemovalViolation, Detail: "发生重大安全事故", Transition: tr}); err != nil {
		t.Fatal(err)
	}
	// The reports on 2026 are submitted in December 2026, the dashboard's present.
	f.clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, biopilot.Beijing))
	for _, r := range f.reports {
		if r.year == 2026 && r.submitted {
			f.fileReport(r)
		}
	}
	return f
}

// fileReport opens the report in the store and, when r.submitted, submits it.
func (f *dashFixture) fileReport(r dashReport) {
	f.t.Helper()
	ctx := context.Background()
	p := f.platforms[r.platform]
	doc, _ := json.Marshal(map[string]any{"services": map[string]any{"enterprises": r.enterprises,
		"products_incubated": r.products}, "staff": map[string]any{"total": 12}})
	rep, err := f.db.OpenAnnualReport(ctx, f.prog.ID, p.app.ID, r.year, doc, f.users["ministry"].ID)
	if err != nil {
		f.t.Fatal(err)
	}
	if r.submitted {
		if _, err := f.db.SubmitAnnualReport(ctx, rep.ID, rep.Version, "sm3-test", f.users["ministry"].ID); err != nil {
			f.t.Fatal(err)
		}
	}
}

// dashMoves are the ministry's transitions of apps.
func (f *dashFixture) dashMoves(from, to biopilot.State, apps ...*biopilot.Application) []store.TransitionRequest {
	var out []store.TransitionRequest
	for _, a := range apps {
		out = append(out, store.TransitionRequest{ApplicationID: a.ID, From: from, To: to,
			Transition: &biopilot.Transition{ActorID: f.users["ministry"].ID, ActorRole: biopilot.RoleMinistry, ActorName: "ministry"}})
	}
	return out
}

func ids(apps []*biopilot.Application) []int64 {
	out := make([]int64, len(apps))
	for i, a := range apps {
		out[i] = a.ID
	}
	return out
}

// dashWant are the figures the dashboard must show, computed here from the
// fixture's platforms and report documents (not by the code under test).
type dashWant struct {
	listed      map[int]float64 // year → platforms listed at its end
	enterprises map[int]float64 // year → sum of the submitted reports
	products    map[int]float64
}

// want sums the fixture over the platforms whose city is in province ("" = all).
func (f *dashFixture) want(province string) dashWant {
	w := dashWant{listed: map[int]float64{}, enterprises: map[int]float64{}, products: map[int]float64{}}
	in := func(p *dashPlatform) bool {
		return province == "" || p.app.CityCode[:2] == province[:2]
	}
	for _, y := range []int{2025, 2026} {
		for _, p := range f.platforms {
			if in(p) && (p.removed == 0 || p.removed > y) {
				w.listed[y]++
			}
		}
	}
	for _, r := range f.reports {
		if r.submitted && in(f.platforms[r.platform]) {
			w.enterprises[r.year] += r.enterprises
			w.products[r.year] += r.products
		}
	}
	return w
}

func (w dashWant) total(m map[int]float64) float64 { return m[2025] + m[2026] }

// apiDashboard fetches the JSON dashboard as who.
func (f *dashFixture) apiDashboard(who string) map[string]any {
	f.t.Helper()
	w := f.as(who).do("GET", "/api/v1/dashboard", nil)
	wantStatus(f.t, w, 200)
	return decode(f.t, w)
}

// rowValue reads a row's value of a measure: in year y, or its total when y is 0.
func rowValue(t *testing.T, row any, measure string, y int) float64 {
	t.Helper()
	m := row.(map[string]any)
	if y == 0 {
		return m["total"].(map[string]any)[measure].(float64)
	}
	for _, by := range m["by_year"].([]any) {
		e := by.(map[string]any)
		if int(e["year"].(float64)) == y {
			return e["values"].(map[string]any)[measure].(float64)
		}
	}
	t.Fatalf("row %v has no year %d", m["key"], y)
	return 0
}

func TestDashboardSums(t *testing.T) {
	f := newDashFixture(t)
	for _, tc := range []struct {
		who, province, name string
	}{
		{"ministry", "", "全国"},
		{"gdmiit", "440000", "广东省"},
		{"jsdrc", "320000", "江苏省"},
	} {
		t.Run(tc.who, func(t *testing.T) {
			want := f.want(tc.province)
			m := f.apiDashboard(tc.who)
			if sc := m["scope"].(map[string]any); sc["province"] != tc.province || sc["name"] != tc.name {
				t.Errorf("scope = %v", sc)
			}
			if fmt.Sprint(m["years"]) != "[2025 2026]" {
				t.Fatalf("years = %v", m["years"])
			}
			total := m["total"]
			for _, c := range []struct {
				measure string
				byYear  map[int]float64
				total   float64
			}{
				{"listed_platforms", want.listed, want.listed[2026]},
				{"enterprises_served", want.enterprises, want.total(want.enterprises)},
				{"products_incubated", want.products, want.total(want.products)},
			} {
				for _, y := range []int{2025, 2026} {
					if got := rowValue(t, total, c.measure, y); got != c.byYear[y] {
						t.Errorf("%s %d = %v, want %v", c.measure, y, got, c.byYear[y])
					}
				}
				if got := rowValue(t, total, c.measure, 0); got != c.total {
					t.Errorf("%s total = %v, want %v", c.measure, got, c.total)
				}
				// The provinces add up to the total.
				var sum float64
				for _, p := range m["provinces"].([]any) {
					sum += rowValue(t, p, c.measure, 0)
				}
				if sum != c.total {
					t.Errorf("%s: provinces add up to %v, total %v", c.measure, sum, c.total)
				}
			}
			for _, p := range m["progress"].([]any) {
				pr := p.(map[string]any)
				if pr["key"] == "enterprises_served" && (pr["actual"] != want.total(want.enterprises) || pr["target"] != 200.0) {
					t.Errorf("progress = %v", pr)
				}
			}
			if tc.province != "" {
				provs := m["provinces"].([]any)
				if len(provs) != 1 || provs[0].(map[string]any)["key"] != tc.province {
					t.Errorf("a province sees other provinces' rows: %v", provs)
				}
			}

			// The page shows the same totals, and the workbook has them too.
			page := f.as(tc.who).do("GET", "/dashboard", nil)
			wantStatus(t, page, 200)
			body := page.Body.String()
			for _, s := range []string{
				fmt.Sprintf(`<td class="n">%v家</td>`, want.total(want.enterprises)),
				fmt.Sprintf(`<td class="n">%v个</td>`, want.total(want.products)),
				fmt.Sprintf(`<strong id="dash-listed">%v</strong>`, want.listed[2026]),
				`<title id="dash-enterprises_served-progress-title">服务企业数：`,
				`<title id="dash-products_incubated-years-title">孵化产品数（按年度、省份）</title>`, `<title id="dash-listed_platforms-domains-title">入选平台数（按领域）</title>`,
				`href="/dashboard.xlsx"`, "合计（按领域计次）", "各领域之和可能大于合计",
			} {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			if strings.Contains(body, `id="dash-empty"`) {
				t.Error("page shows the empty state")
			}
			if scoped := strings.Contains(body, `id="dash-scope"`); scoped != (tc.province != "") || scoped && !strings.Contains(body, "全国目标") {
				t.Errorf("province note shown = %v for %q", scoped, tc.province)
			}
			checkDashXLSX(t, f.as(tc.who), tc.name, []float64{want.listed[2026], want.total(want.enterprises), want.total(want.products)})
		})
	}
	// A province never sees another's platforms: 广东省's page names none of 南京's
	// figures' sources and its total excludes them.
	gd, js := f.want("440000"), f.want("320000")
	all := f.want("")
	if gd.total(gd.enterprises)+js.total(js.enterprises) != all.total(all.enterprises) || gd.total(gd.enterprises) == all.total(all.enterprises) {
		t.Fatalf("fixture: provinces %v + %v vs %v", gd.enterprises, js.enterprises, all.enterprises)
	}
}

// checkDashXLSX downloads the workbook and reads its first sheet back: the achieved
// column holds the totals.
func checkDashXLSX(t *testing.T, c *client, scope string, totals []float64) {
	t.Helper()
	w := c.do("GET", "/dashboard.xlsx", nil)
	wantStatus(t, w, 200)
	cd := w.Header().Get("Content-Disposition")
	if !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape("项目进展看板-"+scope)) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	book, err := excelize.OpenReader(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("workbook: %v", err)
	}
	defer book.Close()
	rows, err := book.GetRows(xlsx.DashboardProgress)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 1+len(totals) {
		t.Fatalf("progress sheet rows = %v", rows)
	}
	for i, want := range totals {
		if got := rows[1+i][3]; got != fmt.Sprint(want) {
			t.Errorf("workbook %s achieved = %s, want %v", rows[1+i][0], got, want)
		}
	}
}

// TestDashboardRemoval: a removed platform counts among the listed until the end of
// the year before its removal; its reports filed before stay counted.
func TestDashboardRemoval(t *testing.T) {
	f := newDashFixture(t)
	m := f.apiDashboard("jsmiit")
	total := m["total"]
	if got := rowValue(t, total, "listed_platforms", 2025); got != 2 {
		t.Errorf("江苏 listed 2025 = %v, want 2", got)
	}
	if got := rowValue(t, total, "listed_platforms", 2026); got != 1 {
		t.Errorf("江苏 listed 2026 = %v, want 1 (one removed in 2026)", got)
	}
	if got := rowValue(t, total, "enterprises_served", 2025); got != 7+4 {
		t.Errorf("江苏 enterprises 2025 = %v, want 11 (the removed platform's report counts)", got)
	}
	if got := rowValue(t, total, "enterprises_served", 2026); got != 15 {
		t.Errorf("江苏 enterprises 2026 = %v, want 15 (a draft never counts)", got)
	}
	if p := m["platforms"].(map[string]any); p["listed"] != 1.0 || p["removed"] != 1.0 {
		t.Errorf("platforms = %v", p)
	}
}

// TestDashboardDomains: a platform in two domains counts in each; the domain total
// counts it twice and says so.
func TestDashboardDomains(t *testing.T) {
	f := newDashFixture(t)
	m := f.apiDashboard("ministry")
	dom := map[string]any{}
	for _, d := range m["domains"].([]any) {
		dom[d.(map[string]any)["key"].(string)] = d
	}
	// enzymes: 广州双领域 (12+30) and 南京被除名 (4); biopharma: 广州双领域 and 南京抗体 (7+15).
	if got := rowValue(t, dom["enzymes"], "enterprises_served", 0); got != 46 {
		t.Errorf("enzymes = %v, want 46", got)
	}
	if got := rowValue(t, dom["biopharma"], "enterprises_served", 0); got != 64 {
		t.Errorf("biopharma = %v, want 64", got)
	}
	all := f.want("")
	if got := rowValue(t, m["domain_total"], "enterprises_served", 0); got != all.total(all.enterprises)+42 {
		t.Errorf("domain total = %v, want the total plus the two-domain platform's 42", got)
	}
	if !strings.Contains(m["note"].(string), "多个领域") {
		t.Errorf("note = %q", m["note"])
	}
}

// TestDashboardAccess: the ministry and the provinces only.
func TestDashboardAccess(t *testing.T) {
	f, _ := newNationalFixture(t)
	for _, tc := range []struct {
		who        string
		page, api  int
		navVisible bool
	}{
		{"ministry", 200, 200, true},
		{"gdmiit", 200, 200, true},
		{"jsdrc", 200, 200, true},
		{"njmiit", 403, 403, false},
		{"applicantA", 403, 403, false},
		{"admin", 403, 403, false},
	} {
		c := f.as(tc.who)
		page := c.do("GET", "/dashboard", nil)
		if page.Code != tc.page {
			t.Errorf("%s: page %d, want %d", tc.who, page.Code, tc.page)
		}
		if got := c.do("GET", "/api/v1/dashboard", nil).Code; got != tc.api {
			t.Errorf("%s: API %d, want %d", tc.who, got, tc.api)
		}
		if got := c.do("GET", "/dashboard.xlsx", nil).Code; got != tc.page {
			t.Errorf("%s: xlsx %d, want %d", tc.who, got, tc.page)
		}
		home := c.do("GET", "/password", nil).Body.String() // any page with the layout
		if got := strings.Contains(home, `href="/dashboard"`); got != tc.navVisible {
			t.Errorf("%s: nav link shown = %v", tc.who, got)
		}
	}
	if w := f.anon().do("GET", "/api/v1/dashboard", nil); w.Code != 401 {
		t.Errorf("anonymous API: %d", w.Code)
	}
	if w := f.anon().do("GET", "/dashboard", nil); w.Code != 303 {
		t.Errorf("anonymous page: %d", w.Code)
	}
}

// TestDashboardEmpty: before any platform is listed, the page says so and the API
// counts nothing.
func TestDashboardEmpty(t *testing.T) {
	f, _ := newNationalFixture(t)
	w := f.as("ministry").do("GET", "/dashboard", nil)
	wantStatus(t, w, 200)
	if body := w.Body.String(); !strings.Contains(body, `id="dash-empty"`) || strings.Contains(body, "<svg") {
		t.Errorf("empty state missing or charts drawn:\n%s", body)
	}
	m := (&dashFixture{fixture: f}).apiDashboard("ministry")
	if rowValue(t, m["total"], "listed_platforms", 0) != 0 || m["reports"] != 0.0 {
		t.Errorf("empty dashboard = %v", m["total"])
	}
}
