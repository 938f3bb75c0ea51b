package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"biopilot"
	"biopilot/program"
)

// newEdition writes a copy of the 2025 definition to a temp dir with the area
// threshold at 2000 m², a new required form field (site.cleanroom_class) and a
// new rule on it: what a next year's call changes, with no Go code.
func newEdition(t *testing.T) string {
	t.Helper()
	src := "../program/defs/gd-2025"
	dir := t.TempDir()
	for _, name := range []string{"program.json", "form.json", "rules.json"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		switch name {
		case "form.json":
			anchor := `"fields": [`
			field := `{"key": "site.cleanroom_class", "label": "洁净区级别", "type": "text", "required": true, "section": "content", "group": "公共基础条件"},`
			if !strings.Contains(s, anchor) {
				t.Fatal("form.json has no fields")
			}
			s = strings.Replace(s, anchor, anchor+"\n"+field, 1)
		case "rules.json":
			old := `"S1": {"min_area_m2": 1500}`
			if !strings.Contains(s, old) {
				t.Fatal("rules.json: S1 params not found")
			}
			s = strings.Replace(s, old, `"S1": {"min_area_m2": 2000}`, 1)
			anchor := `"rules": [`
			rule := `{"id": "S9", "group": "S", "title": "洁净区级别", "clause": "指南 二（一）", "guide": "洁净区应达到相应级别。",
			  "fields": ["site.cleanroom_class"], "requires": ["site.cleanroom_class"],
			  "cases": [{"status": "pass", "message": "洁净区级别：{doc.str('site.cleanroom_class')}"}]},`
			s = strings.Replace(s, anchor, anchor+"\n"+rule, 1)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestNextEditionIsData(t *testing.T) {
	p, err := program.LoadDir(newEdition(t))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	next, err := Compile(p)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}

	// Validation: the new field is unknown to 2025 and known to the new edition.
	m := exampleJSON(t)
	edit(m, map[string]any{"site.cleanroom_class": "ISO 8", "site.area_m2": 1800})
	data, _ := json.Marshal(m)
	_, err = program.MustDefault().Form.DecodeDocument(data)
	if e := biopilot.AsError(err); e == nil || e.Field != "site.cleanroom_class" {
		t.Errorf("2025 decoding the new field: %v, want unknown site.cleanroom_class", err)
	}
	doc, err := p.Form.DecodeDocument(data)
	if err != nil {
		t.Fatalf("new edition decoding: %v", err)
	}

	// Rules: 1800 m² passes 2025 and fails the new threshold; the new field's
	// rule is judged; F1 now requires the new field.
	rep := next.Evaluate(doc)
	s1 := find(rep, "S1")
	if s1.Status != Fail || !strings.Contains(s1.Message, "1800 平方米，低于指南要求的 2000 平方米") || !strings.Contains(s1.Title, "2000") {
		t.Errorf("new edition S1 = %+v", s1)
	}
	if s9 := find(rep, "S9"); s9 == nil || s9.Status != Pass || !strings.Contains(s9.Message, "ISO 8") {
		t.Errorf("new edition S9 = %+v", s9)
	}
	if f1 := find(rep, "F1"); f1.Status != Pass {
		t.Errorf("new edition F1 = %+v", f1)
	}
	if old := judge(t, testEngine, map[string]any{"site.area_m2": 1800}); find(old, "S1").Status != Pass {
		t.Errorf("2025 S1 at 1800 m² = %+v", find(old, "S1"))
	}

	edit(m, map[string]any{"site.cleanroom_class": nil})
	data, _ = json.Marshal(m)
	doc, _ = p.Form.DecodeDocument(data)
	rep = next.Evaluate(doc)
	if f1 := find(rep, "F1"); f1.Status != Missing || !strings.Contains(f1.Message, "洁净区级别") {
		t.Errorf("new edition F1 without the field = %+v", f1)
	}
	if s9 := find(rep, "S9"); s9.Status != Missing {
		t.Errorf("new edition S9 without the field = %+v", s9)
	}
}

func TestCompileErrorsNameTheRule(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"syntax", `"area": "doc.num('site.area_m2')"`, `"area": "doc.num('site.area_m2'"`, "规则 S1：let area"},
		{"unknown function", `"area": "doc.num('site.area_m2')"`, `"area": "doc.nmu('site.area_m2')"`, "nmu"},
		{"placeholder", `用房面积 {area} 平方米，不少于`, `用房面积 {area +} 平方米，不少于`, "规则 S1：cases[0].message"},
		{"unclosed brace", `用房面积 {area} 平方米，不少于`, `用房面积 {area 平方米，不少于`, "没有闭合"},
		{"when not bool", `"when": "area >= params.S1.min_area_m2"`, `"when": "area + 1.0"`, "应为 bool"},
		{"unknown key", `"fields": ["site.area_m2"], "requires": ["site.area_m2"]`, `"fields": ["site.area"], "requires": ["site.area_m2"]`, "site.area 不是申请表中的字段"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newEdition(t)
			path := filepath.Join(dir, "rules.json")
			data, _ := os.ReadFile(path)
			if !strings.Contains(string(data), tc.old) {
				t.Fatalf("rules.json lacks %q", tc.old)
			}
			os.WriteFile(path, []byte(strings.Replace(string(data), tc.old, tc.new, 1)), 0o644)
			p, err := program.LoadDir(dir)
			if err == nil {
				_, err = Compile(p)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadChecksRuleStructure(t *testing.T) {
	for _, tc := range []struct{ old, new, want string }{
		{`"id": "S6", "group": "S"`, `"id": "S6", "group": "Q"`, "group"},
		{`"status": "warn", "message": "未填报数字化软件系统`, `"status": "maybe", "message": "未填报数字化软件系统`, "status"},
		{`"id": "S6"`, `"id": "S5"`, "重复"},
		{`"on_fail": "incomplete"`, `"on_fail": "later"`, "on_fail"},
	} {
		dir := newEdition(t)
		path := filepath.Join(dir, "rules.json")
		data, _ := os.ReadFile(path)
		if !strings.Contains(string(data), tc.old) {
			t.Fatalf("rules.json lacks %q", tc.old)
		}
		os.WriteFile(path, []byte(strings.Replace(string(data), tc.old, tc.new, 1)), 0o644)
		if _, err := program.LoadDir(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.new, err, tc.want)
		}
	}
}
