package program

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnnualDefault(t *testing.T) {
	p := MustDefault()
	f := p.AnnualForm()
	if f == nil {
		t.Fatal("the Guangdong program has no annual report form")
	}
	for key, typ := range map[string]string{
		"services.enterprises":              TypeInteger,
		"services.contracts":                TypeInteger,
		"services.contract_amount_10k_yuan": TypeNumber,
		"services.products_incubated":       TypeInteger,
		"services.projects_industrialized":  TypeInteger,
		"facilities.equipment":              TypeTable,
		"staff.technical":                   TypeInteger,
		"incidents.list":                    TypeTable,
		"evidence":                          TypeAttachments,
	} {
		if fl := f.Field(key); fl == nil || fl.Type != typ {
			t.Errorf("annual field %s = %+v, want type %s", key, fl, typ)
		}
	}
	if fl := f.Field("services.contract_amount_10k_yuan"); fl.Unit != "万元" {
		t.Errorf("contract amount unit = %q, want 万元", fl.Unit)
	}
	kinds := f.Field("incidents.list").Column("kind")
	if kinds == nil || len(kinds.Options) != 4 || kinds.OptionLabel("ip") != "知识产权" {
		t.Errorf("incident kinds = %+v", kinds)
	}
	a := p.Annual
	if a.Targets.Year != 2027 {
		t.Errorf("targets year = %d", a.Targets.Year)
	}
	for key, min := range map[string]float64{"listed_platforms": 20, "enterprises_served": 200, "products_incubated": 400} {
		if tg := a.Targets.Target(key); tg == nil || tg.Min != min {
			t.Errorf("target %s = %+v, want min %v", key, tg, min)
		}
	}
	if a.Targets.Target("nothing") != nil {
		t.Error("Target of an unknown key should be nil")
	}

	e := p.AnnualEval()
	if e.ExpertsPerApplication != 3 || e.Aggregation != AggregateMean || len(e.ScoreSheet) != 5 || e.MaxTotal() != 100 {
		t.Errorf("annual evaluation = %d experts, %s, %d criteria, max %v", e.ExpertsPerApplication, e.Aggregation, len(e.ScoreSheet), e.MaxTotal())
	}
	labels := []string{}
	for _, c := range e.ScoreSheet {
		labels = append(labels, c.Label)
	}
	if got := strings.Join(labels, "、"); got != "硬件设施与软件、中试服务数量、中试服务质量、成果转化与孵化、规范运行与安全" {
		t.Errorf("criteria = %s", got)
	}
	// The national evaluation is untouched.
	if p.Eval().ExpertsPerApplication != 5 || p.Eval().ScoreSheet[0].Key != "equipment" {
		t.Error("AnnualEval changed the national evaluation")
	}
}

func TestAnnualEvalDefaults(t *testing.T) {
	var bare Program
	if e := bare.AnnualEval(); e.ExpertsPerApplication != DefaultExpertsPerReport || e.Aggregation != AggregateMean || len(e.ScoreSheet) != 0 {
		t.Errorf("defaults = %+v", e)
	}
	if bare.AnnualForm() != nil {
		t.Error("a program without an annual section has no annual form")
	}
	p := Program{Annual: &Annual{ExpertsPerReport: 0, Aggregation: AggregateTrimmedMean}}
	if e := p.AnnualEval(); e.ExpertsPerApplication != 3 || e.Aggregation != AggregateTrimmedMean {
		t.Errorf("partial = %+v", e)
	}
}

// withAnnual writes the Guangdong definition into a temporary directory with its
// annual section edited.
func withAnnual(t *testing.T, edit func(a map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"form.json", "rules.json"} {
		data, err := defs.ReadFile(DefaultDir + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	data, err := defs.ReadFile(DefaultDir + "/program.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m["annual"].(map[string]any))
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "program.json"), out, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAnnualDefinitionErrors(t *testing.T) {
	item := func(a map[string]any, list string, i int) map[string]any {
		parts := strings.Split(list, ".")
		var cur any = a
		for _, p := range parts {
			cur = cur.(map[string]any)[p]
		}
		return cur.([]any)[i].(map[string]any)
	}
	tests := []struct {
		name string
		edit func(a map[string]any)
		want string
	}{
		{"no title", func(a map[string]any) { delete(a, "title") }, "annual.title"},
		{"no fields", func(a map[string]any) { a["fields"] = []any{} }, "annual.sections 与 annual.fields"},
		{"unknown type", func(a map[string]any) { item(a, "fields", 0)["type"] = "money" }, `annual.fields：字段 services.enterprises 的类型 "money" 未知`},
		{"unknown section", func(a map[string]any) { item(a, "fields", 0)["section"] = "nowhere" }, `section "nowhere"`},
		{"duplicate field", func(a map[string]any) { item(a, "fields", 1)["key"] = "services.enterprises" }, "字段 services.enterprises 重复"},
		{"carry over typo", func(a map[string]any) { a["carry_over"] = []any{"staff.tecnical"} }, `annual.carry_over[0] "staff.tecnical"`},
		{"initial from", func(a map[string]any) { item(a, "initial", 0)["from"] = "team.nobody" }, `annual.initial[0] 的 from "team.nobody"`},
		{"initial type", func(a map[string]any) { item(a, "initial", 0)["from"] = "platform.name" }, "不能填入"},
		{"targets table", func(a map[string]any) {
			a["application_targets"].(map[string]any)["table"] = "goals.service"
		}, `annual.application_targets.table "goals.service"`},
		{"targets year column", func(a map[string]any) {
			a["application_targets"].(map[string]any)["year_column"] = "enterprise_type"
		}, "year_column"},
		{"target column", func(a map[string]any) { item(a, "application_targets.items", 0)["column"] = "service_content" }, `items[0]（服务企业数）的 column "service_content"`},
		{"target figure", func(a map[string]any) { item(a, "application_targets.items", 1)["figure"] = "services.summary" }, `items[1]（服务额（合同金额））的 figure`},
		{"program target both", func(a map[string]any) { item(a, "targets.items", 0)["figure"] = "services.enterprises" }, "应有且只有 count 或 figure 之一"},
		{"program target count", func(a map[string]any) { item(a, "targets.items", 0)["count"] = "removed" }, `count "removed"`},
		{"program target min", func(a map[string]any) { item(a, "targets.items", 2)["min"] = 0 }, "targets.items[2]（孵化产品数）的 min"},
		{"program target figure", func(a map[string]any) { item(a, "targets.items", 2)["figure"] = "services.products" }, `figure "services.products"`},
		{"program target year", func(a map[string]any) { a["targets"].(map[string]any)["year"] = 27 }, "annual.targets.year"},
		{"duplicate target", func(a map[string]any) { item(a, "targets.items", 1)["key"] = "listed_platforms" }, "key listed_platforms 重复"},
		{"no score sheet", func(a map[string]any) { delete(a, "score_sheet") }, "annual.score_sheet 不能为空"},
		{"criterion max", func(a map[string]any) { item(a, "score_sheet", 4)["max_points"] = -1 }, "annual.score_sheet[4]（规范运行与安全）的 max_points"},
		{"experts", func(a map[string]any) { a["experts_per_report"] = 99 }, "annual.experts_per_report"},
		{"trimmed needs three", func(a map[string]any) {
			a["experts_per_report"] = 2
			a["aggregation"] = "trimmed_mean"
		}, "annual.aggregation 为 trimmed_mean"},
		{"unknown key", func(a map[string]any) { a["expert_count"] = 3 }, "未知的键"},
		{"wrong json type", func(a map[string]any) { a["experts_per_report"] = "three" }, "第"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDir(withAnnual(t, tt.edit))
			if err == nil {
				t.Fatalf("loaded; want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "program.json") {
				t.Errorf("error = %v\nwant it to name program.json and contain %q", err, tt.want)
			}
		})
	}
}

// TestAnnualDefinitionPosition checks that a value of the wrong JSON type in the
// annual section is reported at its line, like the rest of the definition.
func TestAnnualDefinitionPosition(t *testing.T) {
	dir := withAnnual(t, func(a map[string]any) { a["experts_per_report"] = "three" })
	_, err := LoadDir(dir)
	var de *DefinitionError
	if !errors.As(err, &de) || de.Line == 0 {
		t.Fatalf("error = %v, want a DefinitionError with a line", err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "program.json"))
	lines := strings.Split(string(data), "\n")
	if de.Line > len(lines) || !strings.Contains(strings.Join(lines[max(0, de.Line-2):de.Line], "\n"), "experts_per_report") {
		t.Errorf("line %d does not point at the unknown key: %q", de.Line, lines[de.Line-1])
	}
}

// TestAnnualReportDocument validates a report against the annual form with the
// application form's machinery: types and ranges, Chinese messages naming fields.
func TestAnnualReportDocument(t *testing.T) {
	f := MustDefault().AnnualForm()
	doc, err := f.DecodeDocument([]byte(`{"services": {"enterprises": 12, "contract_amount_10k_yuan": 350.5},
		"incidents": {"list": [{"date": "2026-03-02", "kind": "safety", "description": "泄漏", "penalty": "警告"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := Lookup(doc, "services.enterprises"); v != int64(12) {
		t.Errorf("enterprises = %#v", v)
	}
	_, err = f.DecodeDocument([]byte(`{"services": {"enterprises": -1}}`))
	if err == nil || !strings.Contains(err.Error(), "服务企业数") {
		t.Errorf("negative enterprises: %v", err)
	}
}

// TestAnnualEveryBuiltin checks that every built-in definition has the annual section
// (the national call evaluates listed platforms every year).
func TestAnnualEveryBuiltin(t *testing.T) {
	for _, name := range Names() {
		p, err := Named(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.AnnualForm() == nil || len(p.AnnualEval().ScoreSheet) != 5 || p.Annual.Targets.Target("listed_platforms") == nil {
			t.Errorf("%s: annual section missing or incomplete", name)
		}
	}
}
