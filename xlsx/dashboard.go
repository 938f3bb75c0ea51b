package xlsx

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"biopilot/annual"
	"biopilot/program"
)

// Sheets of Dashboard.
const (
	DashboardProgress  = "目标完成情况"
	DashboardYears     = "按年度"
	DashboardProvinces = "按省份"
	DashboardDomains   = "按领域"
)

// DashboardNote explains how the dashboard counts (on every sheet but the first).
const DashboardNote = "注：入选平台数为各年末在册（已入选且未除名）的平台数，「合计」列为最后一年年末的数目；服务企业数、孵化产品数为各平台已提交年度报告数字之和，「合计」列为各年之和。"

// Dashboard writes the progress dashboard as a workbook: sheet 1 the program's
// targets against what was achieved; sheet 2 each measure by year; sheets 3 and 4
// by province and by domain, a column per measure and year and a total per
// measure. A platform with several domains counts in each (the domain sheet says
// so, with the domain-counted total and the total counting each platform once).
func Dashboard(w io.Writer, p *program.Program, d *annual.Dashboard) error {
	f, st, err := newBook(DashboardProgress)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := dashboardProgress(f, st, d); err != nil {
		return err
	}

	years := [][]any{{"年度"}}
	for _, m := range d.Measures {
		years[0] = append(years[0], measureHeader(m))
	}
	for yi, y := range d.Years {
		row := []any{strconv.Itoa(y) + "年"}
		for mi := range d.Measures {
			row = append(row, d.Total.Years[yi][mi])
		}
		years = append(years, row)
	}
	years = append(years, totalRow(annual.TotalLabel, d.Total, d, false))
	if err := newSheet(f, DashboardYears); err != nil {
		return err
	}
	if err := writeTable(f, st, DashboardYears, years, 1, DashboardNote); err != nil {
		return err
	}

	head := []any{"省份"}
	head = append(head, breakdownHeader(d)...)
	prov := [][]any{head}
	for _, r := range d.Provinces {
		prov = append(prov, totalRow(r.Label, r, d, true))
	}
	prov = append(prov, totalRow(annual.TotalLabel, d.Total, d, true))
	if err := newSheet(f, DashboardProvinces); err != nil {
		return err
	}
	if err := writeTable(f, st, DashboardProvinces, prov, 1, DashboardNote); err != nil {
		return err
	}

	head = []any{"领域"}
	head = append(head, breakdownHeader(d)...)
	dom := [][]any{head}
	for _, r := range d.Domains {
		dom = append(dom, totalRow(r.Label, r, d, true))
	}
	dom = append(dom, totalRow(annual.DomainTotalLabel, d.DomainTotal, d, true), totalRow("合计（平台不重复）", d.Total, d, true))
	if err := newSheet(f, DashboardDomains); err != nil {
		return err
	}
	if err := writeTable(f, st, DashboardDomains, dom, 2, annual.MultiDomainNote+DashboardNote); err != nil {
		return err
	}
	return write(f, w)
}

// dashboardProgress writes the first sheet: each target, what was achieved, the
// ratio and whether it is met.
func dashboardProgress(f *excelize.File, st *styles, d *annual.Dashboard) error {
	sheet := DashboardProgress
	rows := [][]any{{"指标", "单位", fmt.Sprintf("目标（%d年）", d.TargetYear), "完成", "完成比例", "是否达到"}}
	for _, pr := range d.Progress {
		met := "未达到"
		if pr.Met {
			met = "已达到"
		}
		rows = append(rows, []any{pr.Label, pr.Unit, pr.Target, pr.Actual, pr.Ratio, met})
	}
	note := ""
	if len(d.Years) > 0 {
		note = fmt.Sprintf("截至 %d 年。", d.Years[len(d.Years)-1]) + DashboardNote
	}
	for i, row := range rows {
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+1), &row); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, "A1", "F1", st.header); err != nil {
		return err
	}
	if len(rows) > 1 {
		if err := f.SetCellStyle(sheet, "E2", fmt.Sprintf("E%d", len(rows)), st.percent); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(sheet, "A", "A", 22); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "B", "F", 14); err != nil {
		return err
	}
	if note == "" {
		return nil
	}
	cell, end := fmt.Sprintf("A%d", len(rows)+2), fmt.Sprintf("F%d", len(rows)+2)
	if err := f.SetCellValue(sheet, cell, note); err != nil {
		return err
	}
	if err := f.MergeCell(sheet, cell, end); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, len(rows)+2, 48); err != nil {
		return err
	}
	return f.SetCellStyle(sheet, cell, end, st.note)
}

// measureHeader is a measure's column header with its unit.
func measureHeader(m annual.Measure) string {
	if m.Unit == "" {
		return m.Label
	}
	return m.Label + "（" + m.Unit + "）"
}

// breakdownHeader is the header of the province and domain sheets: for each
// measure, a column per year and its total.
func breakdownHeader(d *annual.Dashboard) []any {
	var out []any
	for _, m := range d.Measures {
		for _, y := range d.Years {
			out = append(out, fmt.Sprintf("%s %d年", measureHeader(m), y))
		}
		out = append(out, measureHeader(m)+" 合计")
	}
	return out
}

// totalRow is one row of a breakdown sheet (label, then per measure each year and
// the total); without years, only the totals.
func totalRow(label string, r annual.Row, d *annual.Dashboard, years bool) []any {
	out := []any{label}
	for mi := range d.Measures {
		if years {
			for yi := range d.Years {
				out = append(out, r.Years[yi][mi])
			}
		}
		out = append(out, r.Total[mi])
	}
	return out
}

// newSheet adds a sheet.
func newSheet(f *excelize.File, name string) error {
	_, err := f.NewSheet(name)
	return err
}
