package web

import (
	"fmt"
	"strings"

	"biopilot/program"
	"biopilot/rules"
)

// editSection is one entry of the editor's side navigation.
type editSection struct {
	ID, Title string
	Filled    int // required fields filled (all fields when none is required)
	Total     int
	Problems  int // rule results about the section that are missing or failed
	Current   bool
}

// Complete reports whether every counted field of the section is filled.
func (e editSection) Complete() bool { return e.Filled >= e.Total }

// editField is one input of the editor, in the template's terms.
type editField struct {
	Key, Label, Type, Unit, Help, Group string
	// GroupStart is set on the first field of a group (a heading goes before it).
	GroupStart bool
	Required   bool
	Multiline  bool
	MaxChars   int
	Chars      int
	Value      string // text, number, date, month, enum, list (one item a line)
	Checked    map[string]bool
	Options    []program.Option
	TrueLabel  string
	FalseLabel string
	Table      *editTable
	Error      string
	// Reason is the city's reason for returning the application, about this field.
	Reason string
}

// editTable is a table field: its columns and rows of cells.
type editTable struct {
	Key      string
	Columns  []*program.Field
	Rows     []editRow
	MaxChars int
	// CharColumns are the columns counted against MaxChars.
	CharColumns string
	Chars       int
}

// editRow is one row of a table; Blank rows are offered for adding without script.
type editRow struct {
	Index int
	Cells []editCell
	Blank bool
}

// Num is the row's number as shown (from 1).
func (r editRow) Num() int { return r.Index + 1 }

// editCell is one cell input.
type editCell struct {
	Name  string
	Col   *program.Field
	Value string
	Error string
}

// inputValue is the text a value shows in an input.
func inputValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64, float64:
		return formatNumber(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, it := range x {
			parts = append(parts, fmt.Sprint(it))
		}
		return strings.Join(parts, "\n")
	}
	return fmt.Sprint(v)
}

// blankRows is how many empty rows a table offers for adding rows without script.
const blankRows = 1

// editFields lays out a section of doc for editing; errs are messages by input
// name, reasons the city's return reasons by field key or section id.
func (s *Server) editFields(section string, doc program.Document, errs, reasons map[string]string) []editField {
	var out []editField
	group := ""
	for _, fl := range s.editableFields(section) {
		v := valueAt(doc, fl.Key)
		ef := editField{Key: fl.Key, Label: fl.Label, Type: fl.Type, Unit: fl.Unit, Help: fl.Help,
			Group: fl.Group, Required: fl.Required, Multiline: fl.Multiline, MaxChars: fl.MaxChars,
			Options: fl.Options, TrueLabel: fl.TrueLabel, FalseLabel: fl.FalseLabel,
			Error: errs[fl.Key], Reason: reasons[fl.Key]}
		if fl.OptionsFrom == "domains" {
			ef.Options = s.prog.Domains
		}
		if fl.Group != group {
			ef.GroupStart, group = true, fl.Group
		}
		if ef.TrueLabel == "" {
			ef.TrueLabel = "是"
		}
		if ef.FalseLabel == "" {
			ef.FalseLabel = "否"
		}
		switch fl.Type {
		case program.TypeSet:
			ef.Checked = map[string]bool{}
			list, _ := v.([]any)
			for _, it := range list {
				ef.Checked[fmt.Sprint(it)] = true
			}
		case program.TypeTable:
			ef.Table = s.editTableOf(fl, v, errs)
			ef.Chars = ef.Table.Chars
		default:
			ef.Value = inputValue(v)
			if fl.Type == program.TypeText {
				ef.Chars = program.CountChars(ef.Value)
			}
		}
		if ef.Error == "" {
			// An error about a part of the field (a list item) shows on the field.
			for name, msg := range errs {
				if strings.HasPrefix(name, fl.Key+"[") && fl.Type != program.TypeTable {
					ef.Error = msg
					break
				}
			}
		}
		out = append(out, ef)
	}
	return out
}

func (s *Server) editTableOf(fl *program.Field, v any, errs map[string]string) *editTable {
	t := &editTable{Key: fl.Key, Columns: fl.Columns, MaxChars: fl.MaxChars,
		CharColumns: strings.Join(fl.MaxCharsColumns, " ")}
	counted := map[string]bool{}
	for _, c := range fl.MaxCharsColumns {
		counted[c] = true
	}
	rows, _ := v.([]any)
	for i := 0; i < len(rows)+blankRows; i++ {
		row := map[string]any{}
		if i < len(rows) {
			row, _ = rows[i].(map[string]any)
		}
		er := editRow{Index: i, Blank: i >= len(rows)}
		for _, c := range fl.Columns {
			name := fmt.Sprintf("%s[%d].%s", fl.Key, i, c.Key)
			cell := editCell{Name: name, Col: c, Value: inputValue(row[c.Key]), Error: errs[name]}
			if counted[c.Key] {
				t.Chars += program.CountChars(cell.Value)
			}
			er.Cells = append(er.Cells, cell)
		}
		t.Rows = append(t.Rows, er)
	}
	return t
}

// sectionNav counts each section's completeness and problems for the side
// navigation.
func (s *Server) sectionNav(doc program.Document, rep *rules.Report, current string) []editSection {
	form := s.prog.Form
	out := make([]editSection, 0, len(form.Sections))
	for _, sec := range form.Sections {
		es := editSection{ID: sec.ID, Title: sec.Title, Current: sec.ID == current}
		fields := form.SectionFields(sec.ID)
		anyRequired := false
		for _, fl := range fields {
			anyRequired = anyRequired || fl.Required
		}
		for _, fl := range fields {
			if anyRequired && !fl.Required {
				continue
			}
			es.Total++
			if valueAt(doc, fl.Key) != nil && canonValue(valueAt(doc, fl.Key)) != nil {
				es.Filled++
			}
		}
		out = append(out, es)
	}
	if rep != nil {
		for _, res := range rep.Rules {
			if res.Status != rules.Missing && res.Status != rules.Fail {
				continue
			}
			if i := s.sectionIndexOf(res.Fields); i >= 0 {
				out[i].Problems++
			}
		}
	}
	return out
}

// sectionIndexOf is the index of the section of the first of keys that is a field
// (or a part of one), or -1.
func (s *Server) sectionIndexOf(keys []string) int {
	for _, k := range keys {
		if sec := s.sectionOfKey(k); sec != "" {
			for i, x := range s.prog.Form.Sections {
				if x.ID == sec {
					return i
				}
			}
		}
	}
	return -1
}

// sectionOfKey is the section of a field key or of a path inside a field
// ("evidence.site", "equipment.fermentation[2].brand"); "" when none.
func (s *Server) sectionOfKey(key string) string {
	k := key
	for k != "" {
		if fl := s.prog.Form.Field(k); fl != nil {
			return fl.Section
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return ""
}

// fieldLink is the editor's address of a field key: its section and anchor.
func (s *Server) fieldLink(appID int64, key string) string {
	sec := s.sectionOfKey(key)
	if sec == "" {
		sec = s.prog.Form.Sections[0].ID
	}
	anchor := key
	if i := strings.IndexAny(anchor, "["); i >= 0 {
		anchor = anchor[:i]
	}
	if sec == "evidence" {
		return fmt.Sprintf("/applications/%d/edit?section=evidence#field-%s", appID, anchor)
	}
	return fmt.Sprintf("/applications/%d/edit?section=%s#field-%s", appID, sec, anchor)
}

// checkItem is one rule result of the self-check panel, with links to its fields.
type checkItem struct {
	rules.Result
	Links []checkLink
}

type checkLink struct {
	Href, Label string
}

// checkItems prepares the report for the panel: problems first, then the rest.
func (s *Server) checkItems(appID int64, rep *rules.Report) []checkItem {
	var bad, rest []checkItem
	for _, res := range rep.Rules {
		ci := checkItem{Result: res}
		seen := map[string]bool{}
		for _, k := range res.Fields {
			href := s.fieldLink(appID, k)
			if seen[href] {
				continue
			}
			seen[href] = true
			label := k
			if fl := s.fieldOf(k); fl != nil {
				label = fl.Label
				if fl.Type == program.TypeAttachments {
					if _, cat, ok := strings.Cut(k, "."); ok {
						label = "佐证材料：" + fl.OptionLabel(cat)
					}
				}
			}
			ci.Links = append(ci.Links, checkLink{Href: href, Label: label})
		}
		if res.Status == rules.Missing || res.Status == rules.Fail {
			bad = append(bad, ci)
		} else {
			rest = append(rest, ci)
		}
	}
	return append(bad, rest...)
}

// fieldOf is the field a key or path belongs to.
func (s *Server) fieldOf(key string) *program.Field {
	k := key
	for k != "" {
		if fl := s.prog.Form.Field(k); fl != nil {
			return fl
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return nil
}
