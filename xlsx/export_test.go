package xlsx

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/program"
)

// sampleRows are six applications with known counts (see the tests' hand counts).
func sampleRows(t testing.TB) []AppRow {
	t.Helper()
	gaps := program.Document{
		"equipment": map[string]any{"fermentation": []any{map[string]any{
			"category": "平行生物反应器", "brand": "进口", "volume_l": 5.0, "quantity": int64(8),
			"gap_level": "very_large", "domestic_suppliers": "暂无", "purchased_on": "2021-03", "price_10k_yuan": 180.0,
		}}},
		"software": []any{map[string]any{"name": "PAT 软件", "version": "2.1", "gap_level": "large"}},
	}
	return []AppRow{
		{ID: 1, Number: "GD2025-0001", CityCode: "440600", State: biopilot.StateSubmitted, Verdict: "eligible",
			Domains: []string{"enzymes", "food_additives"}, Document: exampleDoc(t),
			SubmittedAt: time.Date(2025, 7, 1, 2, 30, 0, 0, time.UTC), UpdatedAt: time.Date(2025, 7, 2, 16, 5, 0, 0, time.UTC)},
		{ID: 2, Number: "GD2025-0002", OrgName: "广州甲生物", USCC: "91440101MA00000001", CityCode: "440100",
			State: biopilot.StateDraft, Verdict: "incomplete", Domains: []string{"biopharma"},
			Document: program.Document{}, UpdatedAt: time.Date(2025, 6, 30, 1, 0, 0, 0, time.UTC)},
		{ID: 3, Number: "GD2025-0003", OrgName: "广州乙药业", CityCode: "440100", State: biopilot.StateCityRecommended,
			Verdict: "ineligible", Domains: []string{"biopharma", "cosmetics"}, Document: program.Document{}},
		{ID: 4, Number: "GD2025-0004", OrgName: "深圳丙科技", CityCode: "440300", State: biopilot.StateAtProvince,
			Verdict: "eligible", Domains: []string{"enzymes"}, Document: gaps},
		{ID: 5, Number: "GD2025-0005", OrgName: "广州丁", CityCode: "440100", State: biopilot.StateSubmitted,
			Document: program.Document{}},
		{ID: 6, Number: "GD2025-0006", OrgName: "未定", CityCode: "", State: biopilot.StateDraft,
			Verdict: "incomplete", Domains: []string{"chemicals"}, Document: program.Document{}},
	}
}

// export runs an export and opens the result.
func export(t *testing.T, fn func(io.Writer, *program.Program, []AppRow) error, rows []AppRow) (*excelize.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf, program.MustDefault(), rows); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, data
}

// sheetXML returns the XML of the n-th worksheet of a workbook.
func sheetXML(t *testing.T, data []byte, n int) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := z.Open("xl/worksheets/sheet" + string(rune('0'+n)) + ".xml")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}

func TestApplicationList(t *testing.T) {
	f, data := export(t, ApplicationList, sampleRows(t))
	s := ListSheet
	if got := f.GetSheetList(); len(got) != 1 || got[0] != s {
		t.Fatalf("sheets = %q", got)
	}
	head := []string{"申请编号", "申报单位", "统一社会信用代码", "所在地市", "申报类别",
		"用房面积（平方米）", "固定技术团队人数（人）", "硕士/中级以上占比", "近三年中试项目（项）", "产业化项目（项）",
		"营业收入（万元）", "孵化企业（家）", "估值（万元）", "最大单罐体积（L）",
		"自查结论", "状态", "提交时间", "更新时间"}
	if got := row(t, f, s, 1, len(head)+1); fmtRow(got) != fmtRow(append(head, "")) {
		t.Errorf("header:\n got %s\nwant %s", fmtRow(got), fmtRow(head))
	}
	want := []string{"GD2025-0001", "广东示例酶工程有限公司", "91440606MA5ABCDE1P", "佛山市", "酶制剂领域、食品及添加剂领域",
		"2600", "22", "72.7%", "12", "3", "4200", "1", "800", "5000",
		"可申报", "已提交，待地市审核", "2025-07-01 10:30", "2025-07-03 00:05"}
	if got := row(t, f, s, 2, len(want)); fmtRow(got) != fmtRow(want) {
		t.Errorf("row 2:\n got %s\nwant %s", fmtRow(got), fmtRow(want))
	}
	// Figures are numbers, not text.
	for _, ref := range []string{"F2", "G2", "H2", "K2", "N2", "Q2"} {
		typ, err := f.GetCellType(s, ref)
		if err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
			t.Errorf("%s type = %v, %v; want a number", ref, typ, err)
		}
	}
	if got := rawCell(t, f, s, "H2"); !strings.HasPrefix(got, "0.7272") {
		t.Errorf("H2 raw = %q, want 16/22", got)
	}
	// A draft without figures: empty cells, no submission time.
	want3 := []string{"GD2025-0002", "广州甲生物", "91440101MA00000001", "广州市", "生物制药领域",
		"", "", "", "", "", "", "", "", "", "未填完", "草稿", "", "2025-06-30 09:00"}
	if got := row(t, f, s, 3, len(want3)); fmtRow(got) != fmtRow(want3) {
		t.Errorf("row 3:\n got %s\nwant %s", fmtRow(got), fmtRow(want3))
	}
	if got := cell(t, f, s, "A8"); got != "" {
		t.Errorf("A8 = %q, want the list to end at row 7", got)
	}
	if got := cell(t, f, s, "O6"); got != "" {
		t.Errorf("verdict of an unchecked application = %q, want empty", got)
	}
	panes, err := f.GetPanes(s)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v", panes, err)
	}
	if x := strings.ReplaceAll(sheetXML(t, data, 1), "$", ""); !strings.Contains(x, `<autoFilter ref="A1:R7"`) {
		t.Errorf("no autofilter A1:R7 in the sheet")
	}
}

func TestSummary(t *testing.T) {
	p := program.MustDefault()
	f, _ := export(t, Summary, sampleRows(t))
	if got := f.GetSheetList(); fmtRow(got) != fmtRow([]string{SummaryCityState, SummaryCityDomain, SummaryDomainVerdict}) {
		t.Fatalf("sheets = %q", got)
	}

	// Sheet 1: city × state. Columns: 地市, 15 states, 合计 (Q).
	s := SummaryCityState
	head := row(t, f, s, 1, 17)
	if head[0] != "地市" || head[1] != "草稿" || head[2] != "已提交，待地市审核" || head[15] != "已除名" || head[16] != "合计" {
		t.Errorf("header = %s", fmtRow(head))
	}
	for i, c := range p.Cities {
		if got := cell(t, f, s, cellName(0, i+2)); got != c.Name {
			t.Errorf("row %d city = %q, want %q", i+2, got, c.Name)
		}
	}
	// 广州市 (row 2): one draft, one submitted, one recommended by the city.
	gz := row(t, f, s, 2, 17)
	if gz[1] != "1" || gz[2] != "1" || gz[6] != "1" || gz[16] != "3" {
		t.Errorf("广州市 = %s", fmtRow(gz))
	}
	if got := row(t, f, s, 23, 3); fmtRow(got) != fmtRow([]string{noCityLabel, "1", "0"}) {
		t.Errorf("row 23 = %s, want the application without a city", fmtRow(got))
	}
	total := row(t, f, s, 24, 17)
	wantTotal := []string{"合计", "2", "2", "0", "0", "0", "1", "1", "0", "0", "0", "0", "0", "0", "0", "0", "6"}
	if fmtRow(total) != fmtRow(wantTotal) {
		t.Errorf("total row:\n got %s\nwant %s", fmtRow(total), fmtRow(wantTotal))
	}

	// Sheet 2: city × domain; two domains count in both; the distinct count apart.
	s = SummaryCityDomain
	head = row(t, f, s, 1, 11)
	if head[1] != "食品及添加剂领域" || head[6] != "酶制剂领域" || head[10] != appsLabel {
		t.Errorf("header = %s", fmtRow(head))
	}
	if got := row(t, f, s, 2, 11); fmtRow(got) != fmtRow([]string{"广州市", "0", "2", "1", "0", "0", "0", "0", "0", "0", "3"}) {
		t.Errorf("广州市 = %s", fmtRow(got))
	}
	if got := row(t, f, s, 7, 11); fmtRow(got) != fmtRow([]string{"佛山市", "1", "0", "0", "0", "0", "1", "0", "0", "0", "1"}) {
		t.Errorf("佛山市 = %s", fmtRow(got))
	}
	if got := row(t, f, s, 24, 11); fmtRow(got) != fmtRow([]string{"合计", "1", "2", "1", "1", "0", "2", "0", "0", "0", "6"}) {
		t.Errorf("total = %s", fmtRow(got))
	}
	if got := cell(t, f, s, "A26"); got != MultiDomainNote {
		t.Errorf("note = %q", got)
	}

	// Sheet 3: domain × verdict, counted per domain, then distinct applications.
	s = SummaryDomainVerdict
	if got := row(t, f, s, 1, 6); fmtRow(got) != fmtRow([]string{"申报类别", "可申报", "不符合要求", "未填完", "未检查", "合计"}) {
		t.Errorf("header = %s", fmtRow(got))
	}
	for n, want := range map[int][]string{
		2:  {"食品及添加剂领域", "1", "0", "0", "0", "1"},
		3:  {"生物制药领域", "0", "1", "1", "0", "2"},
		7:  {"酶制剂领域", "2", "0", "0", "0", "2"},
		11: {noDomainLabel, "0", "0", "0", "1", "1"},
		12: {"合计（按领域计次）", "3", "2", "2", "1", "8"},
		13: {appsLabel, "2", "1", "2", "1", "6"},
	} {
		if got := row(t, f, s, n, 6); fmtRow(got) != fmtRow(want) {
			t.Errorf("row %d = %s, want %s", n, fmtRow(got), fmtRow(want))
		}
	}
	if got := cell(t, f, s, "A15"); got != MultiDomainNote {
		t.Errorf("note = %q", got)
	}
}

func TestSummaryEmpty(t *testing.T) {
	f, _ := export(t, Summary, nil)
	if got := cell(t, f, SummaryCityState, "Q23"); got != "0" {
		t.Errorf("grand total of nothing = %q, want 0", got)
	}
	if got := cell(t, f, SummaryCityState, "A23"); got != "合计" {
		t.Errorf("A23 = %q", got)
	}
}

func TestEquipmentGaps(t *testing.T) {
	f, data := export(t, EquipmentGaps, sampleRows(t))
	s := GapsSheet
	head := []string{"申请编号", "申报单位", "地市", "设备类别", "名称/类别", "品牌", "型号", "数量",
		"差距情况", "详细描述", "国内潜在供应商", "购置时间", "价格（万元）"}
	if got := row(t, f, s, 1, len(head)); fmtRow(got) != fmtRow(head) {
		t.Errorf("header = %s", fmtRow(got))
	}
	for n, want := range map[int][]string{
		2:  {"GD2025-0001", "广东示例酶工程有限公司", "佛山市", "发酵", "发酵罐", "示例装备", "", "2", "差距较小", "自控精度略低于进口同类产品", "国内多家发酵设备制造商", "2020-06", "460"},
		3:  {"GD2025-0001", "广东示例酶工程有限公司", "佛山市", "发酵", "平行生物反应器", "示例装备", "", "8", "差距较大", "在线传感器依赖进口", "国内平行反应器厂商", "2021-03", "180"},
		4:  {"GD2025-0001", "广东示例酶工程有限公司", "佛山市", "纯化", "板框过滤机", "示例", "BK-40", "", "无明显差距", "", "国内多家", "2019-11", "35"},
		26: {"GD2025-0001", "广东示例酶工程有限公司", "佛山市", "软件", "发酵过程数据管理系统", "示例软件", "3.2", "", "差距较小", "", "国内工业软件企业", "2022-01", "80"},
		27: {"GD2025-0004", "深圳丙科技", "深圳市", "发酵", "平行生物反应器", "进口", "", "8", "差距很大", "", "暂无", "2021-03", "180"},
		28: {"GD2025-0004", "深圳丙科技", "深圳市", "软件", "PAT 软件", "", "2.1", "", "差距较大", "", "", "", ""},
		29: {"", "", "", "", "", "", "", "", "", "", "", "", ""},
	} {
		if got := row(t, f, s, n, len(head)); fmtRow(got) != fmtRow(want) {
			t.Errorf("row %d:\n got %s\nwant %s", n, fmtRow(got), fmtRow(want))
		}
	}
	if typ, _ := f.GetCellType(s, "M2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("price is text")
	}
	// A large gap with a supplier is plain; without one, the whole row is marked.
	for ref, want := range map[string]string{"I3": "", "A27": highlightFill, "I27": highlightFill, "M27": highlightFill, "I28": highlightFill, "I2": ""} {
		if got := fillColor(t, f, s, ref); got != want {
			t.Errorf("%s fill = %q, want %q", ref, got, want)
		}
	}
	if x := strings.ReplaceAll(sheetXML(t, data, 1), "$", ""); !strings.Contains(x, `<autoFilter ref="A1:M28"`) {
		t.Errorf("no autofilter A1:M28")
	}
}

func TestNoSupplier(t *testing.T) {
	for s, want := range map[string]bool{"": true, " 暂无 ": true, "无": true, "国内多家": false, "暂无国产，拟联合研制": false} {
		if got := NoSupplier(s); got != want {
			t.Errorf("NoSupplier(%q) = %v", s, got)
		}
	}
}

// manyRows are n applications like the example, spread over the cities.
func manyRows(b testing.TB, n int) []AppRow {
	p := program.MustDefault()
	doc := exampleDoc(b)
	rows := make([]AppRow, n)
	at := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		rows[i] = AppRow{ID: int64(i + 1), Number: "GD2025-" + string(rune('A'+i%26)), OrgName: "示例单位",
			USCC: "91440606MA5ABCDE1P", CityCode: p.Cities[i%len(p.Cities)].Code, State: biopilot.States[i%len(biopilot.States)],
			Verdict: "eligible", Domains: []string{"enzymes"}, Document: doc, SubmittedAt: at, UpdatedAt: at}
	}
	return rows
}

func BenchmarkApplicationList10k(b *testing.B) {
	rows := manyRows(b, 10000)
	p := program.MustDefault()
	b.ReportAllocs()
	for b.Loop() {
		if err := ApplicationList(io.Discard, p, rows); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEquipmentGaps1k(b *testing.B) {
	rows := manyRows(b, 1000) // 25,000 equipment rows
	p := program.MustDefault()
	b.ReportAllocs()
	for b.Loop() {
		if err := EquipmentGaps(io.Discard, p, rows); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSummary10k(b *testing.B) {
	rows := manyRows(b, 10000)
	p := program.MustDefault()
	for b.Loop() {
		if err := Summary(io.Discard, p, rows); err != nil {
			b.Fatal(err)
		}
	}
}
