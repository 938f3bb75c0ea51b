package xlsx

import (
	"fmt"
	"io"
	"sort"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/program"
	"biopilot/rules"
)

// Sheets of Summary.
const (
	SummaryCityState     = "按地市和状态"
	SummaryCityDomain    = "按地市和领域"
	SummaryDomainVerdict = "按领域和自查结论"
)

// Labels of Summary's extra rows and columns.
const (
	totalLabel     = "合计"
	appsLabel      = "申请数（不重复）"
	noDomainLabel  = "未选领域"
	noCityLabel    = "（未定地市）"
	uncheckedLabel = "未检查"
)

// MultiDomainNote explains why domain counts may add up to more than the number of
// applications.
const MultiDomainNote = "注：一个申请选择多个领域时，在所选的每个领域中各计一次，因此各领域的数目之和可能大于申请数；「" + appsLabel + "」每个申请只计一次。"

// Summary writes the province's summary of applications: sheet 1 counts by city ×
// state (every city of the program in order, with a total row and column); sheet 2
// by city × domain; sheet 3 by domain × self-check verdict. An application with
// several domains counts once in each; the sheets say so.
func Summary(w io.Writer, p *program.Program, rows []AppRow) error {
	f, st, err := newBook(SummaryCityState)
	if err != nil {
		return err
	}
	defer f.Close()

	// Row and column keys, in the program's order, then any others found.
	cities := index{}
	for _, c := range p.Cities {
		cities.add(c.Code, c.Name)
	}
	states := index{}
	for _, s := range biopilot.States {
		states.add(string(s), s.Label())
	}
	domains := index{}
	for _, d := range p.Domains {
		domains.add(d.Key, d.Label)
	}
	verdicts := index{}
	for _, v := range []string{rules.Eligible, rules.Ineligible, rules.Incomplete} {
		verdicts.add(v, VerdictLabel(v))
	}
	verdicts.add("", uncheckedLabel)
	var extraCities, extraStates, extraDomains []string
	noDomain := false
	for i := range rows {
		r := &rows[i]
		if !cities.has(r.CityCode) {
			extraCities = append(extraCities, r.CityCode)
		}
		if !states.has(string(r.State)) {
			extraStates = append(extraStates, string(r.State))
		}
		ds := domainsOf(r)
		noDomain = noDomain || len(ds) == 0
		for _, d := range ds {
			if !domains.has(d) {
				extraDomains = append(extraDomains, d)
			}
		}
	}
	for _, c := range sorted(extraCities) {
		name := p.CityName(c)
		if c == "" {
			name = noCityLabel
		}
		cities.add(c, name)
	}
	for _, s := range sorted(extraStates) {
		states.add(s, biopilot.State(s).Label())
	}
	for _, d := range sorted(extraDomains) {
		domains.add(d, p.DomainLabel(d))
	}
	domainRows := domains
	if noDomain {
		domainRows = domains.with("", noDomainLabel)
	}

	cityState := newGrid(cities, states)
	cityDomain := newGrid(cities, domains)
	domainVerdict := newGrid(domainRows, verdicts)
	verdictApps := make([]int, len(verdicts.keys))
	for i := range rows {
		r := &rows[i]
		verdict := r.Verdict
		if !verdicts.has(verdict) {
			verdict = ""
		}
		cityState.inc(r.CityCode, string(r.State))
		verdictApps[verdicts.pos[verdict]]++
		ds := domainsOf(r)
		if len(ds) == 0 {
			domainVerdict.inc("", verdict)
		}
		for _, d := range uniq(ds) {
			cityDomain.inc(r.CityCode, d)
			domainVerdict.inc(d, verdict)
		}
	}

	// Sheet 1: city × state.
	t1 := cityState.table("地市", totalLabel)
	if err := writeTable(f, st, SummaryCityState, t1, 1, ""); err != nil {
		return err
	}

	// Sheet 2: city × domain, with the distinct number of applications per city.
	t2 := cityDomain.table("地市", "")
	t2[0] = append(t2[0], appsLabel)
	for i := range cities.keys {
		t2[i+1] = append(t2[i+1], cityState.rowSum(i))
	}
	t2[len(t2)-1] = append(t2[len(t2)-1], len(rows))
	if _, err := f.NewSheet(SummaryCityDomain); err != nil {
		return err
	}
	if err := writeTable(f, st, SummaryCityDomain, t2, 1, MultiDomainNote); err != nil {
		return err
	}

	// Sheet 3: domain × verdict, then the distinct number of applications per verdict.
	t3 := domainVerdict.table("申报类别", totalLabel)
	t3[len(t3)-1][0] = totalLabel + "（按领域计次）"
	apps := []any{appsLabel}
	for _, n := range verdictApps {
		apps = append(apps, n)
	}
	apps = append(apps, len(rows))
	t3 = append(t3, apps)
	if _, err := f.NewSheet(SummaryDomainVerdict); err != nil {
		return err
	}
	if err := writeTable(f, st, SummaryDomainVerdict, t3, 2, MultiDomainNote); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return write(f, w)
}

// index is an ordered set of keys with labels.
type index struct {
	keys   []string
	labels []string
	pos    map[string]int
}

func (x *index) add(key, label string) {
	if x.pos == nil {
		x.pos = make(map[string]int)
	}
	if _, ok := x.pos[key]; ok {
		return
	}
	x.pos[key] = len(x.keys)
	x.keys = append(x.keys, key)
	x.labels = append(x.labels, label)
}

func (x *index) has(key string) bool { _, ok := x.pos[key]; return ok }

// with returns a copy with one more key.
func (x index) with(key, label string) index {
	var y index
	for i, k := range x.keys {
		y.add(k, x.labels[i])
	}
	y.add(key, label)
	return y
}

// grid counts applications by a row key and a column key.
type grid struct {
	rows, cols index
	n          [][]int
}

func newGrid(rows, cols index) *grid {
	g := &grid{rows: rows, cols: cols, n: make([][]int, len(rows.keys))}
	for i := range g.n {
		g.n[i] = make([]int, len(cols.keys))
	}
	return g
}

func (g *grid) inc(row, col string) {
	i, ok1 := g.rows.pos[row]
	j, ok2 := g.cols.pos[col]
	if ok1 && ok2 {
		g.n[i][j]++
	}
}

func (g *grid) rowSum(i int) int {
	s := 0
	for _, v := range g.n[i] {
		s += v
	}
	return s
}

// table lays the grid out with a header row and a total row; a total column is
// added when totalCol names it.
func (g *grid) table(corner, totalCol string) [][]any {
	head := []any{corner}
	for _, l := range g.cols.labels {
		head = append(head, l)
	}
	if totalCol != "" {
		head = append(head, totalCol)
	}
	out := [][]any{head}
	sums := make([]int, len(g.cols.keys)+1)
	for i, l := range g.rows.labels {
		row := []any{l}
		for j, v := range g.n[i] {
			row = append(row, v)
			sums[j] += v
		}
		if totalCol != "" {
			row = append(row, g.rowSum(i))
			sums[len(sums)-1] += g.rowSum(i)
		}
		out = append(out, row)
	}
	total := []any{totalLabel}
	for j := range g.cols.keys {
		total = append(total, sums[j])
	}
	if totalCol != "" {
		total = append(total, sums[len(sums)-1])
	}
	return append(out, total)
}

// writeTable writes a small table in normal mode: a styled, frozen header row, the
// last totalRows rows styled as totals, and a note two rows below.
func writeTable(f *excelize.File, st *styles, sheet string, t [][]any, totalRows int, note string) error {
	width := 0
	for i, row := range t {
		if len(row) > width {
			width = len(row)
		}
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+1), &row); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(width)
	if err := f.SetCellStyle(sheet, "A1", last+"1", st.header); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, 1, 45); err != nil {
		return err
	}
	first := len(t) - totalRows + 1
	if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", first), fmt.Sprintf("%s%d", last, len(t)), st.total); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "A", "A", 22); err != nil {
		return err
	}
	if width > 1 {
		second, _ := excelize.ColumnNumberToName(2)
		if err := f.SetColWidth(sheet, second, last, 12); err != nil {
			return err
		}
	}
	if note != "" {
		cell := fmt.Sprintf("A%d", len(t)+2)
		if err := f.SetCellValue(sheet, cell, note); err != nil {
			return err
		}
		end := fmt.Sprintf("%s%d", last, len(t)+2)
		if err := f.MergeCell(sheet, cell, end); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, end, st.note); err != nil {
			return err
		}
		if err := f.SetRowHeight(sheet, len(t)+2, 36); err != nil {
			return err
		}
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight",
		Selection: []excelize.Selection{{SQRef: "B2", ActiveCell: "B2", Pane: "bottomRight"}}})
}

func sorted(s []string) []string {
	s = uniq(s)
	sort.Strings(s)
	return s
}

func uniq(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
