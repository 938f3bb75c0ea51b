package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"biopilot/program"
	"biopilot/rules"
)

// sectionView is one section of the read-only application view.
type sectionView struct {
	Title string
	Text  string
	Rows  []fieldView
}

// fieldView is one field as shown: its label and the value as text, or a table.
type fieldView struct {
	Key     string
	Label   string
	Group   string
	Value   string
	Missing bool
	Table   *tableView
}

// tableView is a table field: column labels and rows of cell texts.
type tableView struct {
	Head []string
	Rows [][]string
}

// sectionViews lays out a document by the form's sections, in the form's order.
func (s *Server) sectionViews(doc program.Document) []sectionView {
	form := s.prog.Form
	out := make([]sectionView, 0, len(form.Sections))
	for _, sec := range form.Sections {
		sv := sectionView{Title: sec.Title, Text: sec.Text}
		for _, fl := range form.SectionFields(sec.ID) {
			fv := fieldView{Key: fl.Key, Label: fl.Label, Group: fl.Group}
			v, ok := program.Lookup(doc, fl.Key)
			switch {
			case !ok:
				fv.Missing, fv.Value = true, "（未填写）"
			case fl.Type == program.TypeTable:
				fv.Table = tableOf(fl, v)
				if len(fv.Table.Rows) == 0 {
					fv.Table, fv.Missing, fv.Value = nil, true, "（无）"
				}
			default:
				fv.Value = formatValue(fl, v)
			}
			sv.Rows = append(sv.Rows, fv)
		}
		out = append(out, sv)
	}
	return out
}

func tableOf(fl *program.Field, v any) *tableView {
	t := &tableView{}
	for _, c := range fl.Columns {
		h := c.Label
		if c.Unit != "" && !strings.Contains(h, c.Unit) {
			h += "（" + c.Unit + "）"
		}
		t.Head = append(t.Head, h)
	}
	rows, _ := v.([]any)
	for _, r := range rows {
		row, _ := r.(map[string]any)
		cells := make([]string, len(fl.Columns))
		for i, c := range fl.Columns {
			if cv, ok := row[c.Key]; ok && cv != nil {
				cells[i] = formatValue(&program.Field{Type: c.Type, Options: c.Options,
					TrueLabel: c.TrueLabel, FalseLabel: c.FalseLabel}, cv)
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

// formatValue shows a value of a field as the printed form would.
func formatValue(fl *program.Field, v any) string {
	unit := ""
	if fl.Unit != "" && !strings.Contains(fl.Label, fl.Unit) {
		unit = " " + fl.Unit
	}
	switch fl.Type {
	case program.TypeBool:
		b, _ := v.(bool)
		switch {
		case b && fl.TrueLabel != "":
			return fl.TrueLabel
		case !b && fl.FalseLabel != "":
			return fl.FalseLabel
		case b:
			return "是"
		}
		return "否"
	case program.TypeInteger, program.TypeNumber:
		return formatNumber(v) + unit
	case program.TypeEnum:
		s, _ := v.(string)
		return fl.OptionLabel(s)
	case program.TypeSet, program.TypeList:
		list, _ := v.([]any)
		parts := make([]string, 0, len(list))
		for _, it := range list {
			s := fmt.Sprint(it)
			if fl.Type == program.TypeSet {
				s = fl.OptionLabel(s)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "、")
	case program.TypeAttachments:
		obj, _ := v.(map[string]any)
		var parts []string
		for _, o := range fl.Options {
			if ids, ok := obj[o.Key].([]any); ok && len(ids) > 0 {
				parts = append(parts, fmt.Sprintf("%s：%d 个附件", o.Label, len(ids)))
			}
		}
		if len(parts) == 0 {
			return "（无）"
		}
		return strings.Join(parts, "；")
	}
	return fmt.Sprint(v)
}

func formatNumber(v any) string {
	switch n := v.(type) {
	case int64:
		return strconv.FormatInt(n, 10)
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1e15 {
			return strconv.FormatInt(int64(n), 10)
		}
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// documentHTML writes the sections as the read-only application page shows them, in
// one pass: the markup application.html had in a range over the sections, with every
// text escaped as html/template escapes it (escapeText). PERF (issue 7): executed by
// html/template, that range called an escaper through reflection for each of some
// 400 values, half the page's CPU.
func documentHTML(sections []sectionView) template.HTML {
	var b strings.Builder
	b.Grow(16 << 10)
	for _, sec := range sections {
		b.WriteString("\n    <section class=\"card\">\n      <h2>")
		escapeText(&b, sec.Title)
		b.WriteString("</h2>\n      ")
		if sec.Text != "" {
			b.WriteString(`<p class="declaration">`)
			escapeText(&b, sec.Text)
			b.WriteString("</p>")
		}
		b.WriteString("\n      <dl class=\"fields\">\n      ")
		for _, row := range sec.Rows {
			b.WriteString("\n        <dt id=\"f-")
			escapeText(&b, row.Key)
			b.WriteString(`">`)
			escapeText(&b, row.Label)
			b.WriteString("</dt>\n        ")
			if row.Table != nil {
				b.WriteString("\n        <dd><table class=\"grid\"><thead><tr>")
				for _, h := range row.Table.Head {
					b.WriteString("<th>")
					escapeText(&b, h)
					b.WriteString("</th>")
				}
				b.WriteString("</tr></thead>\n          <tbody>")
				for _, r := range row.Table.Rows {
					b.WriteString("<tr>")
					for _, c := range r {
						b.WriteString("<td>")
						escapeText(&b, c)
						b.WriteString("</td>")
					}
					b.WriteString("</tr>")
				}
				b.WriteString("</tbody></table></dd>\n        ")
			} else {
				b.WriteString("\n        <dd class=\"")
				if row.Missing {
					b.WriteString("missing")
				}
				b.WriteString(` pre">`)
				escapeText(&b, row.Value)
				b.WriteString("</dd>\n        ")
			}
			b.WriteString("\n      ")
		}
		b.WriteString("\n      </dl>\n    </section>\n    ")
	}
	return template.HTML(b.String())
}

// escapeText writes s escaped as html/template escapes text and quoted attribute
// values: NUL, ", &, ', +, <, >.
func escapeText(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case 0:
			rep = "\uFFFD"
		case '"':
			rep = "&#34;"
		case '&':
			rep = "&amp;"
		case '\'':
			rep = "&#39;"
		case '+':
			rep = "&#43;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// rulesHTML writes a report's rules as the application page lists them, in one pass
// (as documentHTML does for the sections).
func rulesHTML(results []rules.Result) template.HTML {
	var b strings.Builder
	b.Grow(8 << 10)
	for _, x := range results {
		b.WriteString("\n      <li class=\"rule status-")
		escapeText(&b, x.Status)
		b.WriteString("\">\n        <span class=\"status\">")
		escapeText(&b, statusLabel(x.Status))
		b.WriteString("</span>\n        <strong>")
		escapeText(&b, x.Title)
		b.WriteString("</strong>")
		if x.Clause != "" {
			b.WriteString(` <span class="clause">`)
			escapeText(&b, x.Clause)
			b.WriteString("</span>")
		}
		b.WriteString("\n        ")
		if x.Message != "" {
			b.WriteString("<p>")
			escapeText(&b, x.Message)
			b.WriteString("</p>")
		}
		b.WriteString("\n      </li>\n    ")
	}
	if len(results) == 0 {
		b.WriteString("\n      <li class=\"empty\">暂无规则结果。</li>\n    ")
	}
	return template.HTML(b.String())
}
