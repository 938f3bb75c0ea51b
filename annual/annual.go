// Package annual is the pure domain of the annual evaluation of listed platforms
// (issue 9): a new year's report pre-filled from last year's and from the
// application's 量化目标, each target beside what was achieved, validation of a
// report, of a star rating and of a removal, and the progress dashboard's sums.
// It has no HTTP and no SQL; the program's annual section (program/annual.go) is the
// definition it works from.
package annual

import (
	"encoding/json"
	"math"
	"sort"

	"biopilot/program"
)

// TargetsKey is the report document's key holding the application's targets for the
// report's year, attached by Prefill and AttachTargets (a list of objects with key,
// label, unit, year and target). The report form does not define it: the system
// writes it, so the submitted report keeps the targets the platform was measured by.
const TargetsKey = "targets"

// AppTarget is one of the application's targets for one year.
type AppTarget struct {
	Key    string  `json:"key"`
	Label  string  `json:"label"`
	Unit   string  `json:"unit,omitempty"`
	Year   int     `json:"year"`
	Target float64 `json:"target"`
}

// Targets returns the application's targets for year: for each item of the
// program's application_targets, the sum of its column over the rows of the
// application's targets table whose year is year. An item with no row for the year
// is left out. A program without an annual section has none.
func Targets(p *program.Program, appDoc program.Document, year int) []AppTarget {
	if p.Annual == nil || appDoc == nil {
		return nil
	}
	at := p.Annual.ApplicationTargets
	rows, _ := program.Lookup(appDoc, at.Table)
	list, _ := rows.([]any)
	var out []AppTarget
	for _, it := range at.Items {
		var sum float64
		found := false
		for _, r := range list {
			row, ok := r.(map[string]any)
			if !ok {
				continue
			}
			if y, ok := Number(row[at.YearColumn]); !ok || y != float64(year) {
				continue
			}
			if v, ok := Number(row[it.Column]); ok {
				sum += v
				found = true
			}
		}
		if found {
			out = append(out, AppTarget{Key: it.Key, Label: it.Label, Unit: it.Unit, Year: year, Target: sum})
		}
	}
	return out
}

// Prefill returns a new report on year: the keys the program carries over copied
// from last year's report (stocks such as staff and the equipment list, never the
// yearly flows), or, when there is no report of last year (lastYear nil), the
// program's initial values taken from the application; and the application's
// targets for year attached under TargetsKey. Nothing is shared with the inputs.
func Prefill(p *program.Program, appDoc program.Document, year int, lastYear map[string]any) map[string]any {
	doc := make(map[string]any)
	if p.Annual == nil {
		return doc
	}
	if lastYear != nil {
		for _, k := range p.Annual.CarryOver {
			if v, ok := program.Lookup(lastYear, k); ok {
				program.Set(doc, k, clone(v))
			}
		}
	} else if appDoc != nil {
		for _, iv := range p.Annual.Initial {
			if v, ok := program.Lookup(appDoc, iv.From); ok {
				program.Set(doc, iv.Key, clone(v))
			}
		}
	}
	AttachTargets(p, appDoc, year, doc)
	return doc
}

// AttachTargets sets (or, when the application has none for year, removes) the
// application's targets for year in doc under TargetsKey. The web attaches them
// again on every save, so what a client sends under that key never counts.
func AttachTargets(p *program.Program, appDoc program.Document, year int, doc map[string]any) {
	ts := Targets(p, appDoc, year)
	if len(ts) == 0 {
		delete(doc, TargetsKey)
		return
	}
	list := make([]any, len(ts))
	for i, t := range ts {
		m := map[string]any{"key": t.Key, "label": t.Label, "year": int64(t.Year), "target": t.Target}
		if t.Unit != "" {
			m["unit"] = t.Unit
		}
		list[i] = m
	}
	doc[TargetsKey] = list
}

// AttachedTargets reads the targets attached to a report (see TargetsKey).
func AttachedTargets(report map[string]any) []AppTarget {
	list, _ := report[TargetsKey].([]any)
	var out []AppTarget
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		t := AppTarget{}
		t.Key, _ = m["key"].(string)
		t.Label, _ = m["label"].(string)
		t.Unit, _ = m["unit"].(string)
		y, _ := Number(m["year"])
		t.Year = int(y)
		var ok2 bool
		if t.Target, ok2 = Number(m["target"]); !ok2 || t.Key == "" {
			continue
		}
		out = append(out, t)
	}
	return out
}

// TargetRow is one target of the application beside what the report achieved.
type TargetRow struct {
	Key   string
	Label string
	Unit  string
	Year  int
	// Target is the application's target; HasTarget is false when it set none for
	// the year.
	Target    float64
	HasTarget bool
	// Actual is the report's figure; HasActual is false while it is not filled in.
	Actual    float64
	HasActual bool
	// Ratio is Actual / Target (1.25 = 125%); 1 when Target is 0 and Actual is
	// filled in; 0 without a target or an actual.
	Ratio float64
	// Met is true when Actual ≥ Target.
	Met bool
}

// Compare sets each of the program's application targets for year beside the
// report's figure, in the program's order. The targets come from the application
// document; when appDoc is nil, from those attached to the report.
func Compare(p *program.Program, appDoc program.Document, year int, report map[string]any) []TargetRow {
	if p.Annual == nil {
		return nil
	}
	var targets []AppTarget
	if appDoc != nil {
		targets = Targets(p, appDoc, year)
	} else {
		for _, t := range AttachedTargets(report) {
			if t.Year == year || t.Year == 0 {
				targets = append(targets, t)
			}
		}
	}
	out := make([]TargetRow, 0, len(p.Annual.ApplicationTargets.Items))
	for _, it := range p.Annual.ApplicationTargets.Items {
		r := TargetRow{Key: it.Key, Label: it.Label, Unit: it.Unit, Year: year}
		for _, t := range targets {
			if t.Key == it.Key {
				r.Target, r.HasTarget = t.Target, true
			}
		}
		if v, ok := program.Lookup(report, it.Figure); ok {
			r.Actual, r.HasActual = Number(v)
		}
		if r.HasTarget && r.HasActual {
			r.Met = r.Actual >= r.Target
			if r.Target > 0 {
				r.Ratio = r.Actual / r.Target
			} else {
				r.Ratio = 1
			}
		}
		out = append(out, r)
	}
	return out
}

// Figures extracts the report's numeric figures the program's targets count (the
// application targets' and the program targets' figures), by report key. Absent
// figures are left out.
func Figures(p *program.Program, report map[string]any) map[string]float64 {
	out := make(map[string]float64)
	if p.Annual == nil {
		return out
	}
	var keys []string
	for _, it := range p.Annual.ApplicationTargets.Items {
		keys = append(keys, it.Figure)
	}
	for _, it := range p.Annual.Targets.Items {
		if it.Figure != "" {
			keys = append(keys, it.Figure)
		}
	}
	for _, k := range keys {
		if v, ok := program.Lookup(report, k); ok {
			if n, ok := Number(v); ok {
				out[k] = n
			}
		}
	}
	return out
}

// Number reads a JSON number of any decoded kind (int64, float64, int,
// json.Number); false for anything else, NaN and infinities.
func Number(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case int64:
		f = float64(n)
	case int:
		f = float64(n)
	case float64:
		f = n
	case json.Number:
		x, err := n.Float64()
		if err != nil {
			return 0, false
		}
		f = x
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// clone deep-copies a decoded JSON value (objects and lists).
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = clone(e)
		}
		return l
	}
	return v
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
