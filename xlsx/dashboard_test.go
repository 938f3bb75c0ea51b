package xlsx

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"biopilot/annual"
	"biopilot/program"
)

// dashboardFixture: three platforms in two provinces, one with two domains and
// removed in 2027; reports of 2026 and 2027.
func dashboardFixture(t *testing.T) (*program.Program, *annual.Dashboard, []annual.Report) {
	t.Helper()
	p := program.MustNamed("cn-2025")
	platforms := []annual.Platform{
		{AppID: 1, Province: "440000", Domains: []string{"enzymes"}, ListedYear: 2025},
		{AppID: 2, Province: "440000", Domains: []string{"enzymes", "biopharma"}, ListedYear: 2025, RemovedYear: 2027},
		{AppID: 3, Province: "320000", Domains: []string{"biopharma"}, ListedYear: 2026},
	}
	fig := func(e, pr float64) map[string]float64 {
		return map[string]float64{"services.enterprises": e, "services.products_incubated": pr}
	}
	reports := []annual.Report{
		{AppID: 1, Year: 2026, Figures: fig(20, 30)},
		{AppID: 2, Year: 2026, Figures: fig(10, 5)},
		{AppID: 3, Year: 2026, Figures: fig(7, 0)},
		{AppID: 1, Year: 2027, Figures: fig(25, 40.5)},
		{AppID: 3, Year: 2027, Figures: fig(12, 9)},
	}
	d, err := annual.Build(p, platforms, reports, 2027)
	if err != nil {
		t.Fatal(err)
	}
	return p, d, reports
}

func cellNum(t *testing.T, f *excelize.File, sheet, ref string) float64 {
	t.Helper()
	s := rawCell(t, f, sheet, ref)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%s!%s = %q, not a number", sheet, ref, s)
	}
	return v
}

func TestDashboardWorkbook(t *testing.T) {
	p, d, reports := dashboardFixture(t)
	var buf bytes.Buffer
	if err := Dashboard(&buf, p, d); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); fmtRow(got) != fmtRow([]string{DashboardProgress, DashboardYears, DashboardProvinces, DashboardDomains}) {
		t.Fatalf("sheets = %q", got)
	}

	// Sheet 1: targets against the totals.
	if got := row(t, f, DashboardProgress, 1, 6); fmtRow(got) != fmtRow([]string{"指标", "单位", "目标（2027年）", "完成", "完成比例", "是否达到"}) {
		t.Errorf("progress header = %s", fmtRow(got))
	}
	for i, want := range [][]string{{"入选平台数", "个", "20", "2", "10.0%", "未达到"}, {"服务企业数", "家", "200", "74", "37.0%", "未达到"}, {"孵化产品数", "个", "400", "84.5", "21.1%", "未达到"}} {
		if got := row(t, f, DashboardProgress, i+2, 6); fmtRow(got) != fmtRow(want) {
			t.Errorf("progress row %d = %s, want %s", i+2, fmtRow(got), fmtRow(want))
		}
	}

	// Sheet 2: by year; the figures' total row is the sum of the years, and the sum
	// of the reports.
	if got := row(t, f, DashboardYears, 1, 4); fmtRow(got) != fmtRow([]string{"年度", "入选平台数（个）", "服务企业数（家）", "孵化产品数（个）"}) {
		t.Errorf("years header = %s", fmtRow(got))
	}
	for col, key := range map[string]string{"C": "services.enterprises", "D": "services.products_incubated"} {
		var years, fromReports float64
		for r := 2; r <= 4; r++ {
			years += cellNum(t, f, DashboardYears, col+strconv.Itoa(r))
		}
		for _, rep := range reports {
			fromReports += rep.Figures[key]
		}
		if total := cellNum(t, f, DashboardYears, col+"5"); total != years || total != fromReports {
			t.Errorf("%s: total %v, years add up to %v, reports to %v", key, total, years, fromReports)
		}
	}
	if got := row(t, f, DashboardYears, 5, 4); fmtRow(got) != fmtRow([]string{"合计", "2", "74", "84.5"}) {
		t.Errorf("years total = %s", fmtRow(got))
	}

	// Sheet 3: by province; every column of the provinces adds up to the total row.
	// Columns: 省份, then 3 measures × (3 years + 合计) = 13 columns.
	head := row(t, f, DashboardProvinces, 1, 13)
	if head[0] != "省份" || head[1] != "入选平台数（个） 2025年" || head[4] != "入选平台数（个） 合计" || head[12] != "孵化产品数（个） 合计" {
		t.Errorf("provinces header = %s", fmtRow(head))
	}
	if a, b := rawCell(t, f, DashboardProvinces, "A2"), rawCell(t, f, DashboardProvinces, "A3"); a != "广东省" || b != "江苏省" {
		t.Errorf("provinces = %s, %s", a, b)
	}
	for c := 1; c < 13; c++ {
		col, _ := excelize.ColumnNumberToName(c + 1)
		sum := cellNum(t, f, DashboardProvinces, col+"2") + cellNum(t, f, DashboardProvinces, col+"3")
		if total := cellNum(t, f, DashboardProvinces, col+"4"); total != sum {
			t.Errorf("province column %s (%s): provinces add up to %v, total %v", col, head[c], sum, total)
		}
	}

	// Sheet 4: by domain; the domain-counted total is the sum of the domains, B
	// counted twice; the distinct total equals the province sheet's.
	n := len(p.Domains)
	for c := 1; c < 13; c++ {
		col, _ := excelize.ColumnNumberToName(c + 1)
		var sum float64
		for r := 2; r <= n+1; r++ {
			sum += cellNum(t, f, DashboardDomains, col+strconv.Itoa(r))
		}
		if got := cellNum(t, f, DashboardDomains, col+strconv.Itoa(n+2)); got != sum {
			t.Errorf("domain column %s: domains add up to %v, 按领域计次 row %v", col, sum, got)
		}
		if a, b := rawCell(t, f, DashboardDomains, col+strconv.Itoa(n+3)), rawCell(t, f, DashboardProvinces, col+"4"); a != b {
			t.Errorf("column %s: distinct total %s, provinces' total %s", col, a, b)
		}
	}
	// 2026 listed: 3 platforms, 4 by domain (B twice).
	if a, b := rawCell(t, f, DashboardDomains, "C"+strconv.Itoa(n+2)), rawCell(t, f, DashboardDomains, "C"+strconv.Itoa(n+3)); a != "4" || b != "3" {
		t.Errorf("2026 listed by domain %s, distinct %s; want 4 and 3", a, b)
	}
	if got := rawCell(t, f, DashboardDomains, "A"+strconv.Itoa(n+5)); got != annual.MultiDomainNote+DashboardNote {
		t.Errorf("domain note = %q", got)
	}
}

func TestDashboardWorkbookEmpty(t *testing.T) {
	p := program.MustDefault()
	d, err := annual.Build(p, nil, nil, 2026)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Dashboard(&buf, p, d); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := row(t, f, DashboardYears, 2, 4); fmtRow(got) != fmtRow([]string{"2026年", "0", "0", "0"}) {
		t.Errorf("empty year row = %s", fmtRow(got))
	}
}
