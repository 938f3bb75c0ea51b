package web

// The applicant's editor, driven by the form definition: how a section's fields are
// read from a posted HTML form into document values, and how they are laid out for
// the editing template. A next edition's form renders and saves with no change here.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"biopilot/program"
)

// Input names of the editor's form. A field's input is named by its dotted key; a
// table cell by key[row].column, exactly the paths of DecodeDocument's errors, so
// that an error lands beside its input. Control inputs start with "__".
const (
	formSection = "section"
	formBase    = "base_version"
	// formRows ("__rows.<table key>") is how many rows a table's form carries.
	formRows = "__rows."
	// formPresent ("__present") names a field the form carries even when no value
	// comes back (an unchecked set, a table without rows).
	formPresent = "__present"
	// formDelete ("<key>[i].__delete") marks a table row to remove.
	formDelete = ".__delete"
	// formResolve and formChoose ("__choose.<key>" = mine|theirs) resolve a conflict.
	formResolve = "__resolve"
	formChoose  = "__choose."
	// formMove ("__move" = "<table key>|<row>|up|down") is a row's 上移/下移 button:
	// without script, reordering is a plain post of the section's form.
	formMove = "__move"
)

// editableFields are the fields of a section the editor's form carries (evidence has
// its own upload forms).
func (s *Server) editableFields(section string) []*program.Field {
	var out []*program.Field
	for _, fl := range s.prog.Form.SectionFields(section) {
		if fl.Type != program.TypeAttachments {
			out = append(out, fl)
		}
	}
	return out
}

// sectionValues reads the values of a section's fields from a posted form: key →
// value in the document's types, nil for an empty field. Values that do not parse
// (letters in a number) are kept as text, so that DecodeDocument names the field
// in its error and nothing typed is lost from the page.
func (s *Server) sectionValues(section string, form url.Values) map[string]any {
	return formValues(s.editableFields(section), form)
}

// formValues reads the values of fields from a posted form: key → value, nil when
// empty. A field not in the form is left out (untouched), and text that does not
// parse is kept so that validation names the field and nothing typed is lost. The
// application's sections and the annual report read their forms with it.
func formValues(fields []*program.Field, form url.Values) map[string]any {
	out := map[string]any{}
	present := map[string]bool{}
	for _, k := range form[formPresent] {
		present[k] = true
	}
	for _, fl := range fields {
		_, sent := form[fl.Key]
		_, rows := form[formRows+fl.Key]
		if !sent && !rows && !present[fl.Key] {
			continue // not in this form: untouched
		}
		switch fl.Type {
		case program.TypeSet:
			var list []any
			for _, v := range form[fl.Key] {
				if v = strings.TrimSpace(v); v != "" {
					list = append(list, v)
				}
			}
			out[fl.Key] = nilIfEmpty(list)
		case program.TypeList:
			var list []any
			for _, line := range strings.Split(form.Get(fl.Key), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					list = append(list, line)
				}
			}
			out[fl.Key] = nilIfEmpty(list)
		case program.TypeTable:
			out[fl.Key] = tableValues(fl, form)
		default:
			out[fl.Key] = scalarValue(fl, form.Get(fl.Key))
		}
	}
	return out
}

func nilIfEmpty(list []any) any {
	if len(list) == 0 {
		return nil
	}
	return list
}

// tableValues reads a table's rows: rows marked for deletion and rows with every
// cell empty are dropped.
func tableValues(fl *program.Field, form url.Values) any {
	n, _ := strconv.Atoi(form.Get(formRows + fl.Key))
	if n > 1000 {
		n = 1000
	}
	var rows []any
	for i := 0; i < n; i++ {
		prefix := fmt.Sprintf("%s[%d]", fl.Key, i)
		if form.Get(prefix+formDelete) != "" {
			continue
		}
		row := map[string]any{}
		for _, c := range fl.Columns {
			if v := scalarValue(c, form.Get(prefix+"."+c.Key)); v != nil {
				row[c.Key] = v
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	return nilIfEmpty(rows)
}

// scalarValue converts one input's text to the field's type; "" is nil.
func scalarValue(fl *program.Field, raw string) any {
	v := strings.TrimSpace(raw)
	if fl.Type == program.TypeText && fl.Multiline {
		v = strings.TrimRight(strings.ReplaceAll(raw, "\r\n", "\n"), " \t\n")
		if strings.TrimSpace(v) == "" {
			v = ""
		}
	}
	if v == "" {
		return nil
	}
	switch fl.Type {
	case program.TypeInteger, program.TypeNumber:
		num := strings.NewReplacer(",", "", "，", "", " ", "").Replace(toHalfWidth(v))
		if fl.Type == program.TypeInteger {
			if n, err := strconv.ParseInt(num, 10, 64); err == nil {
				return n
			}
		}
		if f, err := strconv.ParseFloat(num, 64); err == nil {
			return f
		}
		return v // DecodeDocument says 应为数字
	case program.TypeBool:
		switch v {
		case "true":
			return true
		case "false":
			return false
		}
		return v
	}
	return v
}

// toHalfWidth turns full-width digits and signs (typed with a Chinese IME) into ASCII.
func toHalfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '．':
			return '.'
		case r == '－':
			return '-'
		}
		return r
	}, s)
}

// applyValues sets section values into a copy of doc and returns the copy.
func applyValues(doc program.Document, vals map[string]any) program.Document {
	out := cloneDoc(doc)
	for k, v := range vals {
		program.Set(out, k, v)
	}
	return out
}

// cloneDoc deep-copies a document through JSON (documents are small).
func cloneDoc(doc program.Document) program.Document {
	out := program.Document{}
	if doc == nil {
		return out
	}
	data, _ := json.Marshal(doc)
	_ = json.Unmarshal(data, &out)
	return out
}

// valueAt is a document's value at key, normalised for comparison (nil when absent).
func valueAt(doc program.Document, key string) any {
	v, ok := program.Lookup(doc, key)
	if !ok {
		return nil
	}
	return v
}

// sameValue compares two values of a field the way a person would: through their
// JSON (so 3 and 3.0 are equal), with empty lists equal to absent.
func sameValue(a, b any) bool {
	return reflect.DeepEqual(canonValue(a), canonValue(b))
}

func canonValue(v any) any {
	if v == nil {
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(data, &out)
	if l, ok := out.([]any); ok && len(l) == 0 {
		return nil
	}
	if s, ok := out.(string); ok && strings.TrimSpace(s) == "" {
		return nil
	}
	return out
}

// conflict is one field that a person and a colleague both changed, differently.
type conflict struct {
	Key        string `json:"key"`
	Label      string `json:"label"`
	Mine       any    `json:"mine"`
	Theirs     any    `json:"theirs"`
	MineText   string `json:"mine_text"`
	TheirsText string `json:"theirs_text"`
}

// merge3 merges a person's section values (made on base) with the current
// document (a colleague's later save): a field only one side changed takes that
// side's value; a field both changed the same way is kept; a field both changed
// differently is a conflict, unless choose says which side to take.
func (s *Server) merge3(base, current program.Document, mine map[string]any, choose map[string]string) (map[string]any, []conflict) {
	merged := map[string]any{}
	var conflicts []conflict
	for _, fl := range s.prog.Form.Fields {
		m, ok := mine[fl.Key]
		if !ok {
			continue
		}
		b, c := valueAt(base, fl.Key), valueAt(current, fl.Key)
		switch {
		case choose[fl.Key] == "theirs":
			merged[fl.Key] = c
		case choose[fl.Key] == "mine", sameValue(c, b), sameValue(m, c):
			merged[fl.Key] = m
		case sameValue(m, b):
			merged[fl.Key] = c
		default:
			conflicts = append(conflicts, conflict{Key: fl.Key, Label: s.fieldTitle(fl),
				Mine: m, Theirs: c, MineText: valueText(fl, m), TheirsText: valueText(fl, c)})
			merged[fl.Key] = m
		}
	}
	return merged, conflicts
}

// fieldTitle is a field's label with its group, for lists outside the form.
func (s *Server) fieldTitle(fl *program.Field) string {
	if fl.Group != "" {
		return fl.Group + " · " + fl.Label
	}
	return fl.Label
}

// valueText shows a value as the form would print it; tables row by row.
func valueText(fl *program.Field, v any) string {
	v = canonValue(v)
	if v == nil {
		return "（空）"
	}
	if fl.Type == program.TypeTable {
		t := tableOf(fl, v)
		var b strings.Builder
		for i, row := range t.Rows {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%d. ", i+1)
			for j, cell := range row {
				if j > 0 {
					b.WriteString("；")
				}
				b.WriteString(t.Head[j] + "：" + cell)
			}
		}
		return b.String()
	}
	if f, ok := v.(float64); ok && (fl.Type == program.TypeInteger || fl.Type == program.TypeNumber) {
		return formatValue(fl, f)
	}
	if s, ok := v.(string); ok && fl.Type != program.TypeEnum {
		return s
	}
	return formatValue(fl, v)
}

// moveRow applies a 上移/下移 button of the posted form: it swaps the posted cells
// (and delete marks) of the row with its neighbour's, so that the save that follows
// stores the new order. It returns the table's key, or "" when the form carries no
// (valid) move.
func (s *Server) moveRow(section string, form url.Values) string {
	parts := strings.Split(form.Get(formMove), "|")
	if len(parts) != 3 {
		return ""
	}
	var fl *program.Field
	for _, f := range s.editableFields(section) {
		if f.Key == parts[0] && f.Type == program.TypeTable {
			fl = f
		}
	}
	if fl == nil {
		return ""
	}
	i, err := strconv.Atoi(parts[1])
	n, _ := strconv.Atoi(form.Get(formRows + fl.Key))
	if err != nil || i < 0 || i >= n {
		return ""
	}
	j := i - 1
	if parts[2] == "down" {
		j = i + 1
	} else if parts[2] != "up" {
		return ""
	}
	if j < 0 || j >= n {
		return fl.Key // the first row up, the last down: nothing to do
	}
	names := []string{formDelete[1:]}
	for _, c := range fl.Columns {
		names = append(names, c.Key)
	}
	for _, col := range names {
		a, b := fmt.Sprintf("%s[%d].%s", fl.Key, i, col), fmt.Sprintf("%s[%d].%s", fl.Key, j, col)
		va, oka := form[a]
		vb, okb := form[b]
		delete(form, a)
		delete(form, b)
		if oka {
			form[b] = va
		}
		if okb {
			form[a] = vb
		}
	}
	return fl.Key
}
