package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"biopilot/program"
)

// value formats a value as printed. In a table cell (cell true) a choice shows the
// chosen label and numbers carry no unit (the header has it); in the grid every
// option is printed with its check box.
func (b *builder) value(fl *program.Field, v any, where string, cell bool) string {
	switch fl.Type {
	case program.TypeText:
		s, _ := v.(string)
		return strings.TrimSpace(b.txt(s, where))
	case program.TypeInteger, program.TypeNumber:
		s := ""
		switch n := v.(type) {
		case int64:
			s = strconv.FormatInt(n, 10)
		case float64:
			s = strconv.FormatFloat(n, 'f', -1, 64)
		default:
			return ""
		}
		if fl.Unit != "" && !cell {
			s += " " + b.txt(fl.Unit, where+"（单位）")
		}
		return s
	case program.TypeDate, program.TypeMonth:
		s, _ := v.(string)
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return cnDate(t)
		}
		if t, err := time.Parse("2006-01", s); err == nil {
			return fmt.Sprintf("%d年%d月", t.Year(), t.Month())
		}
		return b.txt(s, where)
	case program.TypeBool:
		x, ok := v.(bool)
		tl, fls := fl.TrueLabel, fl.FalseLabel
		if tl == "" {
			tl = "是"
		}
		if fls == "" {
			fls = "否"
		}
		tl, fls = b.txt(tl, where+"（选项）"), b.txt(fls, where+"（选项）")
		if cell {
			switch {
			case !ok:
				return ""
			case x:
				return tl
			}
			return fls
		}
		return tl + box(ok && x) + "　" + fls + box(ok && !x)
	case program.TypeEnum, program.TypeSet:
		chosen := map[string]bool{}
		switch x := v.(type) {
		case string:
			chosen[x] = true
		case []any:
			for _, it := range x {
				if s, ok := it.(string); ok {
					chosen[s] = true
				}
			}
		}
		var parts []string
		for _, o := range b.options(fl) {
			l := b.txt(o.Label, where+"（选项）")
			if cell {
				if chosen[o.Key] {
					parts = append(parts, l)
				}
				continue
			}
			parts = append(parts, l+box(chosen[o.Key]))
		}
		if cell {
			return strings.Join(parts, "、")
		}
		return strings.Join(parts, "　")
	case program.TypeList:
		list, _ := v.([]any)
		var parts []string
		for i, it := range list {
			if s, ok := it.(string); ok && strings.TrimSpace(s) != "" {
				parts = append(parts, strings.TrimSpace(b.txt(s, fmt.Sprintf("%s[%d]", where, i))))
			}
		}
		return strings.Join(parts, "、")
	}
	return ""
}

func box(on bool) string {
	if on {
		return boxOn
	}
	return boxOff
}

// table builds a table field, or the evidence list as a table.
func (b *builder) table(fl *program.Field, label string) *table {
	t := &table{Title: label}
	v, _ := program.Lookup(b.doc, fl.Key)
	if fl.Type == program.TypeAttachments {
		t.Cols = []string{"类别", "附件数", "附件编号"}
		t.Center = []bool{false, true, false}
		m, _ := v.(map[string]any)
		for _, o := range fl.Options {
			ids, _ := m[o.Key].([]any)
			var names []string
			for i, id := range ids {
				if s, ok := id.(string); ok {
					names = append(names, b.txt(s, fmt.Sprintf("%s.%s[%d]", fl.Key, o.Key, i)))
				}
			}
			n := ""
			if len(names) > 0 {
				n = strconv.Itoa(len(names))
			}
			t.Rows = append(t.Rows, []string{b.txt(o.Label, fl.Key+"（选项）"), n, strings.Join(names, "、")})
		}
		return t
	}
	for _, c := range fl.Columns {
		h := b.txt(c.Label, fl.Key+"."+c.Key+"（标签）")
		if c.Unit != "" {
			h += "（" + b.txt(c.Unit, fl.Key+"."+c.Key+"（单位）") + "）"
		}
		t.Cols = append(t.Cols, h)
		switch c.Type {
		case program.TypeText, program.TypeList:
			t.Center = append(t.Center, false)
		default:
			t.Center = append(t.Center, true)
		}
	}
	list, _ := v.([]any)
	for i, it := range list {
		rowv, _ := it.(map[string]any)
		cells := make([]string, len(fl.Columns))
		for j, c := range fl.Columns {
			cv, ok := rowv[c.Key]
			if !ok && c.Default != nil {
				cv, ok = defaultValue(c), true
			}
			if ok {
				cells[j] = b.value(c, cv, fmt.Sprintf("%s[%d].%s", fl.Key, i, c.Key), true)
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}

// defaultValue is a column's default in the document's types (JSON gives float64).
func defaultValue(c *program.Field) any {
	if f, ok := c.Default.(float64); ok && c.Type == program.TypeInteger {
		return int64(f)
	}
	return c.Default
}
