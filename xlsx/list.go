package xlsx

import (
	"io"
	"strings"
	"time"

	"biopilot"
	"biopilot/program"
	"biopilot/rules"
)

// AppRow is one application as the exports need it. Document is the document the
// reader may see (the submitted snapshot for reviewers).
type AppRow struct {
	ID          int64
	Number      string
	OrgName     string
	USCC        string
	CityCode    string
	State       biopilot.State
	Verdict     string // rules.Eligible, rules.Ineligible, rules.Incomplete, or ""
	Domains     []string
	Document    program.Document
	SubmittedAt time.Time
	UpdatedAt   time.Time
}

// ListSheet is the name of ApplicationList's sheet.
const ListSheet = "申请列表"

// VerdictLabel is the Chinese name of a self-check verdict: 可申报, 不符合要求, 未填完,
// or "" when unknown.
func VerdictLabel(v string) string {
	switch v {
	case rules.Eligible:
		return "可申报"
	case rules.Ineligible:
		return "不符合要求"
	case rules.Incomplete:
		return "未填完"
	}
	return v
}

// figure is one key figure of the guide shown in the list: a field of the form, a
// derived value, or the largest value of a table column.
type figure struct {
	header string // short header, the unit is added from the form
	key    string // field or derived key, or the table key
	column string // for the largest value of a table column
}

// figures are the key figures of the guide, in the list's order. A figure whose key
// the program's form lacks is left out.
var figures = []figure{
	{header: "用房面积", key: "site.area_m2"},
	{header: "固定技术团队人数", key: "team.fixed_technical"},
	{header: "硕士/中级以上占比", key: "team.qualified_share"},
	{header: "近三年中试项目", key: "service_3y.projects"},
	{header: "产业化项目", key: "service_3y.industrialized"},
	{header: "营业收入", key: "service_3y.revenue_10k_yuan"},
	{header: "孵化企业", key: "service_3y.incubated_companies"},
	{header: "估值", key: "service_3y.incubated_valuation_10k_yuan"},
	{header: "最大单罐体积", key: "equipment.fermentation", column: "volume_l"},
}

// activeFigure is a figure resolved against a form.
type activeFigure struct {
	figure
	header  string
	derived bool
}

func activeFigures(form *program.Form) []activeFigure {
	var out []activeFigure
	for _, fg := range figures {
		a := activeFigure{figure: fg}
		var unit string
		if fl := form.Field(fg.key); fl != nil {
			if fg.column != "" {
				col := fl.Column(fg.column)
				if fl.Type != program.TypeTable || col == nil {
					continue
				}
				unit = col.Unit
			} else if fl.Type != program.TypeInteger && fl.Type != program.TypeNumber {
				continue
			} else {
				unit = fl.Unit
			}
		} else if hasDerived(form, fg.key) && fg.column == "" {
			a.derived = true
		} else {
			continue
		}
		a.header = fg.header
		if unit = strings.TrimSuffix(unit, "以上"); unit != "" {
			a.header += "（" + unit + "）"
		}
		out = append(out, a)
	}
	return out
}

func hasDerived(form *program.Form, key string) bool {
	for _, d := range form.Derived {
		if d.Key == key && d.Format == "percent" {
			return true
		}
	}
	return false
}

// value is the figure's value in a document, or nil when absent.
func (a activeFigure) value(form *program.Form, doc program.Document, st *styles) any {
	switch {
	case a.derived:
		for _, dv := range form.Derive(doc) {
			if dv.Key == a.key && dv.Value != nil {
				return cellStyled(st.percent, dv.Value)
			}
		}
		return nil
	case a.column != "":
		rows, _ := program.Lookup(doc, a.key)
		list, _ := rows.([]any)
		var best any
		var max float64
		for _, r := range list {
			m, _ := r.(map[string]any)
			if n, ok := num(m[a.column]); ok && (best == nil || n > max) {
				best, max = m[a.column], n
			}
		}
		return best
	}
	v, ok := program.Lookup(doc, a.key)
	if _, isNum := num(v); !ok || !isNum {
		return nil
	}
	return v
}

// ApplicationList writes the list of applications: one row per application with
// its organisation, city, domains, the guide's key figures (as numbers), the
// self-check verdict, state and times (Beijing time); a frozen, filtered header.
func ApplicationList(w io.Writer, p *program.Program, rows []AppRow) error {
	f, st, err := newBook(ListSheet)
	if err != nil {
		return err
	}
	defer f.Close()
	figs := activeFigures(p.Form)
	cols := []column{{"申请编号", 18}, {"申报单位", 36}, {"统一社会信用代码", 22}, {"所在地市", 10}, {"申报类别", 30}}
	for _, fg := range figs {
		cols = append(cols, column{fg.header, float64(displayWidth(fg.header))*0.9 + 2})
	}
	cols = append(cols, column{"自查结论", 12}, column{"状态", 20}, column{"提交时间", 17}, column{"更新时间", 17})
	s, err := newStream(f, ListSheet, cols, st)
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for i := range rows {
		r := &rows[i]
		clear(vals)
		vals[0] = r.Number
		vals[1] = orDoc(r.OrgName, r.Document, "applicant.name")
		vals[2] = orDoc(r.USCC, r.Document, "applicant.uscc")
		vals[3] = p.CityName(r.CityCode)
		vals[4] = domainLabels(p, domainsOf(r))
		j := 5
		for _, fg := range figs {
			vals[j] = fg.value(p.Form, r.Document, st)
			j++
		}
		vals[j] = VerdictLabel(r.Verdict)
		vals[j+1] = r.State.Label()
		vals[j+2] = timeCell(p, st, r.SubmittedAt)
		vals[j+3] = timeCell(p, st, r.UpdatedAt)
		if err := s.row(vals); err != nil {
			return err
		}
	}
	if err := s.close(); err != nil {
		return err
	}
	return write(f, w)
}

// domainsOf is the row's domains, or the document's when the row has none.
func domainsOf(r *AppRow) []string {
	if len(r.Domains) > 0 {
		return r.Domains
	}
	v, _ := program.Lookup(r.Document, "domains")
	list, _ := v.([]any)
	var out []string
	for _, d := range list {
		if s, ok := d.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func domainLabels(p *program.Program, keys []string) string {
	l := make([]string, len(keys))
	for i, k := range keys {
		l[i] = p.DomainLabel(k)
	}
	return strings.Join(l, "、")
}

// orDoc is s, or the text at key in the document when s is empty.
func orDoc(s string, doc program.Document, key string) string {
	if s != "" {
		return s
	}
	v, _ := program.Lookup(doc, key)
	t, _ := v.(string)
	return t
}

func num(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}
