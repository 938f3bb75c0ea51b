package annual

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"biopilot"
	"biopilot/program"
)

const examplePath = "../../shared/spec/examples/eligible-enzymes.json"

// exampleApp is the spec's example application (targets: 2026 20 家 1200 万元,
// 2027 25 家 1500 万元; 22 technical staff, 16 qualified).
func exampleApp(t testing.TB) program.Document {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := program.MustDefault().Form.DecodeDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// roundTrip is a document as the store gives it back: JSON decoded with float64s.
func roundTrip(t testing.TB, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTargets(t *testing.T) {
	p := program.MustDefault()
	app := exampleApp(t)
	// A second row for 2026 (another type of enterprise) adds to that year's targets.
	rows := app["goals"].(map[string]any)["targets"].([]any)
	two := append(append([]any{}, rows...), map[string]any{"year": int64(2026), "enterprise_type": "化妆品企业", "enterprise_count": int64(5)})
	tests := []struct {
		name string
		rows []any
		year int
		want []AppTarget
	}{
		{"2026", rows, 2026, []AppTarget{
			{Key: "enterprises", Label: "服务企业数", Unit: "家", Year: 2026, Target: 20},
			{Key: "amount", Label: "服务额（合同金额）", Unit: "万元", Year: 2026, Target: 1200}}},
		{"2027", rows, 2027, []AppTarget{
			{Key: "enterprises", Label: "服务企业数", Unit: "家", Year: 2027, Target: 25},
			{Key: "amount", Label: "服务额（合同金额）", Unit: "万元", Year: 2027, Target: 1500}}},
		{"no row for the year", rows, 2025, nil},
		{"two rows summed, amount only in one", two, 2026, []AppTarget{
			{Key: "enterprises", Label: "服务企业数", Unit: "家", Year: 2026, Target: 25},
			{Key: "amount", Label: "服务额（合同金额）", Unit: "万元", Year: 2026, Target: 1200}}},
		{"no table", nil, 2026, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := program.Document{"goals": map[string]any{"targets": tt.rows}}
			if tt.rows == nil {
				doc = program.Document{}
			}
			if got := Targets(p, doc, tt.year); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Targets = %+v\nwant %+v", got, tt.want)
			}
			// The same from the document as JSON gives it back.
			if got := Targets(p, roundTrip(t, doc), tt.year); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Targets after a JSON round trip = %+v", got)
			}
		})
	}
}

func TestPrefillFirstReport(t *testing.T) {
	p := program.MustDefault()
	doc := Prefill(p, exampleApp(t), 2026, nil)
	if v, _ := program.Lookup(doc, "staff.technical"); v != int64(22) {
		t.Errorf("staff.technical = %#v, want 22 from team.fixed_technical", v)
	}
	if v, _ := program.Lookup(doc, "staff.qualified"); v != int64(16) {
		t.Errorf("staff.qualified = %#v, want 16 from team.qualified", v)
	}
	if _, ok := doc["services"]; ok {
		t.Error("a first report has no services pre-filled")
	}
	got := AttachedTargets(roundTrip(t, doc))
	want := []AppTarget{{Key: "enterprises", Label: "服务企业数", Unit: "家", Year: 2026, Target: 20},
		{Key: "amount", Label: "服务额（合同金额）", Unit: "万元", Year: 2026, Target: 1200}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attached targets = %+v", got)
	}
	// The pre-filled report is a valid (incomplete) report, also as stored.
	for _, d := range []map[string]any{doc, roundTrip(t, doc)} {
		norm, err := Validate(p, d)
		if err != nil {
			t.Fatalf("Validate(prefill) = %v", err)
		}
		if len(AttachedTargets(norm)) != 2 {
			t.Errorf("Validate dropped the targets: %v", norm[TargetsKey])
		}
	}
	if err := Complete(p, doc); err == nil {
		t.Error("a pre-filled report is not complete")
	}
	// No targets for the year: no key.
	if d := Prefill(p, exampleApp(t), 2030, nil); d[TargetsKey] != nil {
		t.Errorf("targets for 2030 = %v", d[TargetsKey])
	}
}

func TestPrefillCarryOver(t *testing.T) {
	p := program.MustDefault()
	last := roundTrip(t, map[string]any{
		"services": map[string]any{"enterprises": 30, "contracts": 41, "contract_amount_10k_yuan": 1300.5, "products_incubated": 12,
			"projects_industrialized": 2, "summary": "全年服务企业30家"},
		"facilities": map[string]any{
			"equipment": []any{map[string]any{"kind": "equipment", "name": "500L发酵罐", "quantity": 2, "year": 2024}},
			"upgrade":   "新增发酵罐"},
		"staff":     map[string]any{"technical": 25, "qualified": 18},
		"incidents": map[string]any{"list": []any{map[string]any{"date": "2026-05-01", "kind": "safety", "description": "泄漏"}}},
		"targets":   []any{map[string]any{"key": "enterprises", "year": 2026, "target": 20}},
	})
	doc := Prefill(p, exampleApp(t), 2027, last)
	tests := []struct {
		key     string
		present bool
	}{
		{"staff.technical", true},
		{"staff.qualified", true},
		{"facilities.equipment", true},
		{"services.enterprises", false},
		{"services.contract_amount_10k_yuan", false},
		{"services.products_incubated", false},
		{"facilities.upgrade", false},
		{"incidents.list", false},
	}
	for _, tt := range tests {
		if _, ok := program.Lookup(doc, tt.key); ok != tt.present {
			t.Errorf("%s pre-filled = %v, want %v", tt.key, ok, tt.present)
		}
	}
	if v, _ := program.Lookup(doc, "staff.technical"); v != float64(25) {
		t.Errorf("staff.technical = %#v, want last year's 25 (not the application's 22)", v)
	}
	// Last year's targets are replaced by this year's.
	if ts := AttachedTargets(doc); len(ts) != 2 || ts[0].Year != 2027 || ts[0].Target != 25 {
		t.Errorf("targets = %+v, want 2027's", ts)
	}
	// A deep copy: editing the new report leaves last year's alone.
	eq, _ := program.Lookup(doc, "facilities.equipment")
	eq.([]any)[0].(map[string]any)["name"] = "改动"
	if v, _ := program.Lookup(last, "facilities.equipment"); v.([]any)[0].(map[string]any)["name"] != "500L发酵罐" {
		t.Error("Prefill shares last year's equipment list")
	}
	if _, err := Validate(p, doc); err != nil {
		t.Errorf("Validate(carried) = %v", err)
	}
}

func TestCompare(t *testing.T) {
	p := program.MustDefault()
	app := exampleApp(t)
	report := map[string]any{"services": map[string]any{"enterprises": int64(24), "contract_amount_10k_yuan": 900.0}}
	rows := Compare(p, app, 2026, report)
	want := []TargetRow{
		{Key: "enterprises", Label: "服务企业数", Unit: "家", Year: 2026, Target: 20, HasTarget: true, Actual: 24, HasActual: true, Ratio: 1.2, Met: true},
		{Key: "amount", Label: "服务额（合同金额）", Unit: "万元", Year: 2026, Target: 1200, HasTarget: true, Actual: 900, HasActual: true, Ratio: 0.75},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("Compare:\n got %+v\nwant %+v", rows, want)
	}

	tests := []struct {
		name   string
		app    program.Document
		year   int
		report map[string]any
		check  func(rs []TargetRow) bool
	}{
		{"actual missing", app, 2026, map[string]any{}, func(rs []TargetRow) bool {
			return rs[0].HasTarget && !rs[0].HasActual && !rs[0].Met && rs[0].Ratio == 0
		}},
		{"no target for the year", app, 2025, report, func(rs []TargetRow) bool {
			return !rs[0].HasTarget && rs[0].HasActual && rs[0].Actual == 24 && !rs[0].Met
		}},
		{"exactly met", app, 2027, map[string]any{"services": map[string]any{"enterprises": int64(25)}}, func(rs []TargetRow) bool {
			return rs[0].Met && rs[0].Ratio == 1 && !rs[1].HasActual
		}},
		{"zero target met by anything", program.Document{"goals": map[string]any{"targets": []any{
			map[string]any{"year": int64(2026), "enterprise_count": int64(0)}}}}, 2026,
			map[string]any{"services": map[string]any{"enterprises": int64(0)}}, func(rs []TargetRow) bool {
				return rs[0].Met && rs[0].Ratio == 1 && !rs[1].HasTarget
			}},
		{"targets from the report when no application", nil, 2026,
			roundTrip(t, map[string]any{"services": map[string]any{"enterprises": 10}, TargetsKey: []any{
				map[string]any{"key": "enterprises", "year": 2026, "target": 20}}}), func(rs []TargetRow) bool {
				return rs[0].HasTarget && rs[0].Target == 20 && rs[0].Ratio == 0.5 && !rs[0].Met && !rs[1].HasTarget
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := Compare(p, tt.app, tt.year, tt.report)
			if len(rs) != 2 || !tt.check(rs) {
				t.Errorf("Compare = %+v", rs)
			}
		})
	}
}

func TestFigures(t *testing.T) {
	p := program.MustDefault()
	got := Figures(p, roundTrip(t, map[string]any{"services": map[string]any{"enterprises": 7, "products_incubated": 3, "contracts": 9}}))
	want := map[string]float64{"services.enterprises": 7, "services.products_incubated": 3}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Figures = %v, want %v", got, want)
	}
}

func TestValidate(t *testing.T) {
	p := program.MustDefault()
	tests := []struct {
		name   string
		doc    string
		fields []string // wanted error fields; none = valid
		msg    string
	}{
		{"valid", `{"services": {"enterprises": 3, "summary": "好"}, "incidents": {"list": [{"date": "2026-02-03", "kind": "ip", "description": "侵权", "penalty": "罚款"}]}}`, nil, ""},
		{"negative", `{"services": {"enterprises": -2}}`, []string{"services.enterprises"}, "「服务企业数」(services.enterprises)不能小于 0"},
		{"not an integer", `{"services": {"contracts": 1.5}}`, []string{"services.contracts"}, "「合同数」(services.contracts)应为整数"},
		{"text for money", `{"services": {"contract_amount_10k_yuan": "很多"}}`, []string{"services.contract_amount_10k_yuan"}, "「合同金额」"},
		{"unknown key", `{"services": {"customers": 3}}`, []string{"services.customers"}, "未知的字段 services.customers"},
		{"bad incident kind", `{"incidents": {"list": [{"kind": "fire"}]}}`, []string{"incidents.list[0].kind"}, "「类别」"},
		{"bad date", `{"incidents": {"list": [{"date": "2026/02/03"}]}}`, []string{"incidents.list[0].date"}, "YYYY-MM-DD"},
		{"targets not a list", `{"targets": 3}`, []string{"targets"}, "「量化目标」(targets) 应为列表"},
		{"targets unknown key", `{"targets": [{"key": "profit", "target": 3}]}`, []string{"targets[0].key"}, "不是本项目的量化目标"},
		{"targets no number", `{"targets": [{"key": "amount", "target": "x"}]}`, []string{"targets[0].target"}, "目标值应为数字"},
		{"two problems", `{"services": {"enterprises": -1}, "targets": 1}`, []string{"services.enterprises", "targets"}, "另有 1 处错误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal([]byte(tt.doc), &doc); err != nil {
				t.Fatal(err)
			}
			_, err := Validate(p, doc)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			e := biopilot.AsError(err)
			if e == nil || e.Code != biopilot.EINVALID {
				t.Fatalf("Validate = %v, want EINVALID", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if !reflect.DeepEqual(got, tt.fields) || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("fields %q message %q; want %q containing %q", got, e.Message, tt.fields, tt.msg)
			}
		})
	}
	var bare program.Program
	if _, err := Validate(&bare, map[string]any{}); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("Validate without an annual section = %v", err)
	}
}

func TestComplete(t *testing.T) {
	p := program.MustDefault()
	full := map[string]any{"services": map[string]any{"enterprises": int64(3), "contracts": int64(4), "contract_amount_10k_yuan": 12.5,
		"products_incubated": int64(1), "projects_industrialized": int64(0), "summary": "概述"}, "staff": map[string]any{"technical": int64(9)}}
	if err := Complete(p, full); err != nil {
		t.Fatalf("Complete(full) = %v", err)
	}
	err := Complete(p, map[string]any{"services": map[string]any{"enterprises": int64(0), "summary": ""}})
	e := biopilot.AsError(err)
	if e == nil || len(e.Fields) != 6 {
		t.Fatalf("Complete(sparse) = %v", err)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	want := []string{"services.contract_amount_10k_yuan", "services.contracts", "services.products_incubated",
		"services.projects_industrialized", "services.summary", "staff.technical"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("missing = %q, want %q (0 is filled in)", got, want)
	}
	if !strings.Contains(e.Message, "未填写") {
		t.Errorf("message = %q", e.Message)
	}
	full["incidents"] = map[string]any{"list": []any{map[string]any{"date": "2026-01-02", "penalty": "罚款"}}}
	e = biopilot.AsError(Complete(p, full))
	if e == nil || len(e.Fields) != 2 || e.Fields[0].Field != "incidents.list[0].description" || e.Fields[1].Message != "「安全、环保、质量、知识产权事件及处罚」第 1 行的「类别」未填写" {
		t.Errorf("incident without kind and description: %+v", e)
	}
}

func TestValidateRating(t *testing.T) {
	long := strings.Repeat("好", MaxReasonChars+1)
	tests := []struct {
		stars, year int
		reason      string
		field       string
	}{
		{5, 2026, "服务企业数超额完成", ""},
		{1, 2026, "未完成目标", ""},
		{0, 2026, "理由", "stars"},
		{6, 2026, "理由", "stars"},
		{3, 26, "理由", "year"},
		{3, 2026, "  \n ", "reason"},
		{3, 2026, long, "reason"},
	}
	for _, tt := range tests {
		err := ValidateRating(tt.stars, tt.year, tt.reason)
		if got := biopilot.ErrorField(err); got != tt.field {
			t.Errorf("ValidateRating(%d, %d, %.10q) = %v, want field %q", tt.stars, tt.year, tt.reason, err, tt.field)
		}
		if err != nil && !strings.ContainsAny(biopilot.ErrorMessage(err), "「」") {
			t.Errorf("message %q does not name the field", biopilot.ErrorMessage(err))
		}
	}
}

func TestValidateRemoval(t *testing.T) {
	tests := []struct {
		grounds, detail string
		field           string
	}{
		{GroundsBelowRequirements, "2026 年度评价得分 52 分，低于 60 分", ""},
		{GroundsViolation, "发生重大安全生产事故并受到行政处罚", ""},
		{"bored", "理由", "grounds"},
		{"", "理由", "grounds"},
		{GroundsViolation, "", "detail"},
	}
	for _, tt := range tests {
		err := ValidateRemoval(tt.grounds, tt.detail)
		if got := biopilot.ErrorField(err); got != tt.field {
			t.Errorf("ValidateRemoval(%q, %q) = %v, want field %q", tt.grounds, tt.detail, err, tt.field)
		}
	}
	if GroundsLabel(GroundsViolation) == GroundsViolation || GroundsLabel("x") != "x" {
		t.Error("GroundsLabel")
	}
}

func TestEvidenceCategory(t *testing.T) {
	p := program.MustDefault()
	if got, err := EvidenceCategory(p, 2026, "contracts"); err != nil || got != "annual-2026:contracts" {
		t.Errorf("EvidenceCategory(contracts) = %q, %v", got, err)
	}
	if _, err := EvidenceCategory(p, 2026, "license"); biopilot.ErrorField(err) != "category" {
		t.Errorf("an application evidence kind: %v", err)
	}
}
