package web

// ANNUAL: the report form, driven by the program's annual section as the
// applicant's editor is by form.json: reading the posted HTML form into document
// values (tables, numbers typed with a Chinese IME …) and laying the document out
// for editing or reading.

import (
	"fmt"
	"net/url"

	"biopilot"
	"biopilot/annual"
	"biopilot/program"
)

// annualSection is one section of the report as the template shows it.
type annualSection struct {
	ID, Title string
	Fields    []editField // editing
	Views     []fieldView // reading
	Evidence  bool        // the evidence section (its own upload forms)
}

// annualInputs are the report form's fields the HTML form carries (evidence has
// its own upload forms).
func (s *Server) annualInputs() []*program.Field {
	f := s.prog.AnnualForm()
	if f == nil {
		return nil
	}
	var out []*program.Field
	for _, fl := range f.Fields {
		if fl.Type != program.TypeAttachments {
			out = append(out, fl)
		}
	}
	return out
}

// annualValues reads the report's values from a posted form (formValues).
func (s *Server) annualValues(form url.Values) map[string]any {
	return formValues(s.annualInputs(), form)
}

// withValues sets values into a copy of doc; a nil value removes the key.
func withValues(doc map[string]any, vals map[string]any) map[string]any {
	out := cloneDoc(doc)
	for k, v := range vals {
		program.Set(out, k, v)
	}
	return out
}

// annualFieldErrors maps an EINVALID error's fields by input name.
func annualFieldErrors(err error) map[string]string {
	e := biopilot.AsError(err)
	if e == nil {
		return nil
	}
	out := map[string]string{}
	for _, fe := range e.Fields {
		if _, ok := out[fe.Field]; !ok {
			out[fe.Field] = fe.Message
		}
	}
	if len(out) == 0 && e.Field != "" {
		out[e.Field] = e.Message
	}
	return out
}

// annualSections lays the report out by section: inputs when editable, formatted
// values otherwise; errs are messages by input name.
func (s *Server) annualSections(doc map[string]any, editable bool, errs map[string]string) []annualSection {
	f := s.prog.AnnualForm()
	if f == nil {
		return nil
	}
	var out []annualSection
	for _, sec := range f.Sections {
		as := annualSection{ID: sec.ID, Title: sec.Title}
		for _, fl := range f.SectionFields(sec.ID) {
			if fl.Type == program.TypeAttachments {
				as.Evidence = true
				continue
			}
			v := valueAt(doc, fl.Key)
			if !editable {
				fv := fieldView{Key: fl.Key, Label: fl.Label}
				switch {
				case canonValue(v) == nil:
					fv.Value = "（未填写）"
				case fl.Type == program.TypeTable:
					fv.Table = tableOf(fl, v)
				default:
					fv.Value = formatValue(fl, v)
				}
				as.Views = append(as.Views, fv)
				continue
			}
			ef := editField{Key: fl.Key, Label: fl.Label, Type: fl.Type, Unit: fl.Unit, Help: fl.Help,
				Required: fl.Required, Multiline: fl.Multiline, MaxChars: fl.MaxChars, Options: fl.Options,
				Error: errs[fl.Key]}
			if fl.Type == program.TypeTable {
				ef.Table = s.editTableOf(fl, v, errs)
			} else {
				ef.Value = inputValue(v)
				if fl.Type == program.TypeText {
					ef.Chars = program.CountChars(ef.Value)
				}
			}
			as.Fields = append(as.Fields, ef)
		}
		out = append(out, as)
	}
	return out
}

// targetView is one target of the application beside the report's figure.
type targetView struct {
	annual.TargetRow
	TargetText, ActualText, RatioText string
}

// targetViews formats annual.Compare's rows.
func targetViews(rows []annual.TargetRow) []targetView {
	out := make([]targetView, 0, len(rows))
	for _, r := range rows {
		v := targetView{TargetRow: r, TargetText: "（申请书未设定）", ActualText: "（未填写）", RatioText: "—"}
		if r.HasTarget {
			v.TargetText = formatNumber(r.Target) + " " + r.Unit
		}
		if r.HasActual {
			v.ActualText = formatNumber(r.Actual) + " " + r.Unit
		}
		if r.HasTarget && r.HasActual {
			v.RatioText = fmt.Sprintf("%.0f%%", r.Ratio*100)
		}
		out = append(out, v)
	}
	return out
}

// changedFields names the report fields whose value in current differs from
// mine: what a colleague's save changed that the person's form would overwrite.
func (s *Server) changedFields(current, mine map[string]any) []string {
	var out []string
	for _, fl := range s.annualInputs() {
		if !sameValue(valueAt(current, fl.Key), valueAt(mine, fl.Key)) {
			out = append(out, fl.Label)
		}
	}
	return out
}
