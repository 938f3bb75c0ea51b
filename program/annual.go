package program

import (
	"fmt"
	"strings"
)

// Annual is the optional annual-evaluation section of a program (issue 9): the form
// of the report each listed platform files every year, how its figures stand beside
// the application's 量化目标, the program's own targets, and the score sheet experts
// use on the reports. It is a small schema of its own inside program.json's "annual"
// key; its fields are the same kind as the application form's (see Field).
type Annual struct {
	// Title is the report's title (…年度报告).
	Title string `json:"title"`
	// Sections and Fields are the report form, in the printed order. Field keys are
	// dotted paths into the report document, as in form.json.
	Sections []Section `json:"sections"`
	Fields   []*Field  `json:"fields"`
	// CarryOver are the report keys pre-filled from last year's report (stocks such
	// as staff and the list of equipment; never the yearly flows).
	CarryOver []string `json:"carry_over"`
	// Initial pre-fills a platform's first report from its application.
	Initial []InitialValue `json:"initial,omitempty"`
	// ApplicationTargets says how the application's 量化目标 table maps to report
	// figures, so each target stands beside what was achieved.
	ApplicationTargets ApplicationTargets `json:"application_targets"`
	// Targets are the program's own targets (2027: 20+ platforms …).
	Targets ProgramTargets `json:"targets"`
	// ExpertsPerReport is how many experts score each report (default 3).
	ExpertsPerReport int `json:"experts_per_report"`
	// Aggregation is "mean" or "trimmed_mean" (default "mean").
	Aggregation string `json:"aggregation"`
	// ScoreSheet is the criteria each expert scores on a report.
	ScoreSheet []Criterion `json:"score_sheet"`

	form *Form // built at load time from Sections and Fields
}

// InitialValue pre-fills the report key Key from the application's key From on a
// platform's first report (when there is no report of last year to carry over).
type InitialValue struct {
	Key  string `json:"key"`
	From string `json:"from"`
}

// ApplicationTargets maps the application's table of yearly targets to the report.
// The target of an item in year y is the sum of Column over the table's rows whose
// YearColumn is y (a year may have several rows, one per type of enterprise).
type ApplicationTargets struct {
	Table      string       `json:"table"`
	YearColumn string       `json:"year_column"`
	Items      []TargetLink `json:"items"`
}

// TargetLink is one target of the application and the report figure it is met by.
type TargetLink struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit,omitempty"`
	// Column is a numeric column of the application's targets table.
	Column string `json:"column"`
	// Figure is a numeric field of the report.
	Figure string `json:"figure"`
}

// ProgramTargets are the program's targets, to be reached by the end of Year.
type ProgramTargets struct {
	Year  int             `json:"year"`
	Items []ProgramTarget `json:"items"`
}

// Program-target counts.
const (
	// CountListed counts the platforms listed (and not removed) at the end of a year.
	CountListed = "listed"
)

// ProgramTarget is one of the program's targets: at least Min of either a count of
// platforms (Count) or a report figure summed over platforms and years (Figure).
type ProgramTarget struct {
	Key    string  `json:"key"`
	Label  string  `json:"label"`
	Unit   string  `json:"unit,omitempty"`
	Min    float64 `json:"min"`
	Count  string  `json:"count,omitempty"`
	Figure string  `json:"figure,omitempty"`
}

// DefaultExpertsPerReport is how many experts score an annual report by default.
const DefaultExpertsPerReport = 3

// AnnualForm is the annual report's form, or nil when the program has no annual
// section. Its DecodeDocument and Normalize validate a report like an application.
func (p *Program) AnnualForm() *Form {
	if p.Annual == nil {
		return nil
	}
	return p.Annual.form
}

// AnnualEval is the evaluation of annual reports as an Evaluation, so the national
// package's ScoreSheet, Seal and Aggregate work on annual rounds unchanged:
// ExpertsPerApplication is the number of experts per report (default 3), Aggregation
// defaults to mean, ScoreSheet is the annual score sheet. The notice and public
// fields do not apply and are left empty. A program without an annual section gets
// the defaults and an empty score sheet.
func (p *Program) AnnualEval() Evaluation {
	e := Evaluation{ExpertsPerApplication: DefaultExpertsPerReport, Aggregation: AggregateMean}
	if a := p.Annual; a != nil {
		if a.ExpertsPerReport != 0 {
			e.ExpertsPerApplication = a.ExpertsPerReport
		}
		if a.Aggregation != "" {
			e.Aggregation = a.Aggregation
		}
		e.ScoreSheet = a.ScoreSheet
	}
	return e
}

// Target returns the program target with the given key, or nil.
func (t ProgramTargets) Target(key string) *ProgramTarget {
	for i := range t.Items {
		if t.Items[i].Key == key {
			return &t.Items[i]
		}
	}
	return nil
}

// checkAnnual checks the annual section once the application form is loaded (the
// targets' columns and the initial values refer to it) and builds the report form.
// Positions are key paths in program.json.
func (p *Program) checkAnnual() error {
	a := p.Annual
	if a == nil {
		return nil
	}
	if a.Title == "" {
		return fmt.Errorf("annual.title 不能为空")
	}
	if len(a.Sections) == 0 || len(a.Fields) == 0 {
		return fmt.Errorf("annual.sections 与 annual.fields 不能为空")
	}
	for i, s := range a.Sections {
		if s.ID == "" || s.Title == "" {
			return fmt.Errorf("annual.sections[%d] 缺少 id 或 title", i)
		}
	}
	f := &Form{Sections: a.Sections, Fields: a.Fields}
	if err := f.init(p); err != nil {
		return fmt.Errorf("annual.fields：%v", err)
	}
	for i, k := range a.CarryOver {
		if f.Field(k) == nil {
			return fmt.Errorf("annual.carry_over[%d] %q 不是年度报告的字段", i, k)
		}
	}
	if err := a.checkInitial(f, p.Form); err != nil {
		return err
	}
	if err := a.checkApplicationTargets(f, p.Form); err != nil {
		return err
	}
	if err := a.checkProgramTargets(f); err != nil {
		return err
	}
	if len(a.ScoreSheet) == 0 {
		return fmt.Errorf("annual.score_sheet 不能为空")
	}
	ev := Evaluation{ExpertsPerApplication: a.ExpertsPerReport, Aggregation: a.Aggregation, ScoreSheet: a.ScoreSheet}
	if err := ev.check(); err != nil {
		msg := strings.ReplaceAll(err.Error(), "evaluation.experts_per_application", "annual.experts_per_report")
		return fmt.Errorf("%s", strings.ReplaceAll(msg, "evaluation.", "annual."))
	}
	a.form = f
	return nil
}

func (a *Annual) checkInitial(report, app *Form) error {
	for i, iv := range a.Initial {
		where := fmt.Sprintf("annual.initial[%d]", i)
		to := report.Field(iv.Key)
		if to == nil {
			return fmt.Errorf("%s 的 key %q 不是年度报告的字段", where, iv.Key)
		}
		var from *Field
		if app != nil {
			from = app.Field(iv.From)
		}
		if from == nil {
			return fmt.Errorf("%s 的 from %q 不是申请表的字段", where, iv.From)
		}
		if !compatible(from.Type, to.Type) {
			return fmt.Errorf("%s：申请表字段 %s（%s）不能填入年度报告字段 %s（%s）", where, iv.From, from.Type, iv.Key, to.Type)
		}
	}
	return nil
}

// compatible reports whether a value of type from may pre-fill a field of type to.
func compatible(from, to string) bool {
	return from == to || (from == TypeInteger && to == TypeNumber)
}

func (a *Annual) checkApplicationTargets(report, app *Form) error {
	at := a.ApplicationTargets
	if len(at.Items) == 0 {
		return nil
	}
	var tbl *Field
	if app != nil {
		tbl = app.Field(at.Table)
	}
	if tbl == nil || tbl.Type != TypeTable {
		return fmt.Errorf("annual.application_targets.table %q 不是申请表中的表格", at.Table)
	}
	if c := tbl.Column(at.YearColumn); c == nil || c.Type != TypeInteger {
		return fmt.Errorf("annual.application_targets.year_column %q 不是表格 %s 的整数列", at.YearColumn, at.Table)
	}
	keys := make(map[string]bool)
	for i, it := range at.Items {
		where := fmt.Sprintf("annual.application_targets.items[%d]", i)
		switch {
		case it.Key == "" || it.Label == "":
			return fmt.Errorf("%s 缺少 key 或 label", where)
		case keys[it.Key]:
			return fmt.Errorf("%s 的 key %s 重复", where, it.Key)
		}
		keys[it.Key] = true
		if c := tbl.Column(it.Column); c == nil || !numeric(c.Type) {
			return fmt.Errorf("%s（%s）的 column %q 不是表格 %s 的数值列", where, it.Label, it.Column, at.Table)
		}
		if fl := report.Field(it.Figure); fl == nil || !numeric(fl.Type) {
			return fmt.Errorf("%s（%s）的 figure %q 不是年度报告的数值字段", where, it.Label, it.Figure)
		}
	}
	return nil
}

func (a *Annual) checkProgramTargets(report *Form) error {
	t := a.Targets
	if len(t.Items) == 0 {
		return nil
	}
	if t.Year < 2000 || t.Year > 2100 {
		return fmt.Errorf("annual.targets.year 应为 2000 至 2100 之间的年份，实际为 %d", t.Year)
	}
	keys := make(map[string]bool)
	for i, it := range t.Items {
		where := fmt.Sprintf("annual.targets.items[%d]", i)
		switch {
		case it.Key == "" || it.Label == "":
			return fmt.Errorf("%s 缺少 key 或 label", where)
		case keys[it.Key]:
			return fmt.Errorf("%s 的 key %s 重复", where, it.Key)
		case it.Min <= 0:
			return fmt.Errorf("%s（%s）的 min 应大于 0", where, it.Label)
		case (it.Count == "") == (it.Figure == ""):
			return fmt.Errorf("%s（%s）应有且只有 count 或 figure 之一", where, it.Label)
		case it.Count != "" && it.Count != CountListed:
			return fmt.Errorf("%s（%s）的 count %q 未知（只支持 listed）", where, it.Label, it.Count)
		}
		if it.Figure != "" {
			if fl := report.Field(it.Figure); fl == nil || !numeric(fl.Type) {
				return fmt.Errorf("%s（%s）的 figure %q 不是年度报告的数值字段", where, it.Label, it.Figure)
			}
		}
		keys[it.Key] = true
	}
	return nil
}

func numeric(typ string) bool { return typ == TypeInteger || typ == TypeNumber }
