package program

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJurisdictionsDefaultTree(t *testing.T) {
	p := MustDefault()
	root := p.RootJurisdiction()
	if root.Code != "440000" || root.Level != LevelProvince || len(root.Children) != len(p.Cities) {
		t.Fatalf("root = %+v with %d children, want 广东省 with %d cities", root, len(root.Children), len(p.Cities))
	}
	tests := []struct {
		code, level, parent string
		ancestors           int
	}{
		{"440606", "", "", 0}, // a county is not in the tree
		{"440600", LevelCity, "440000", 1},
		{"440000", LevelProvince, "", 0},
		{"110000", "", "", 0},
	}
	for _, tt := range tests {
		if got := p.Level(tt.code); got != tt.level {
			t.Errorf("Level(%s) = %q, want %q", tt.code, got, tt.level)
		}
		par := p.Parent(tt.code)
		if (par == nil) != (tt.parent == "") || (par != nil && par.Code != tt.parent) {
			t.Errorf("Parent(%s) = %v, want %q", tt.code, par, tt.parent)
		}
		if got := len(p.Ancestors(tt.code)); got != tt.ancestors {
			t.Errorf("len(Ancestors(%s)) = %d, want %d", tt.code, got, tt.ancestors)
		}
	}
	if j := p.Jurisdiction("440300"); j == nil || j.Name != "深圳市" {
		t.Errorf("Jurisdiction(440300) = %v", j)
	}
	if !p.Contains("440000", "440300") || !p.Contains("440300", "440300") || p.Contains("440300", "440000") || p.Contains("440000", "110100") {
		t.Error("Contains gives a wrong answer")
	}
}

// national writes a national definition into a temporary directory: the Guangdong
// form and rules with a program.json whose tree is rooted at the country.
func national(t *testing.T, edit func(m map[string]any)) string {
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
	delete(m, "cities")
	delete(m, "province")
	m["jurisdictions"] = map[string]any{
		"code": "100000", "name": "中华人民共和国", "level": "country",
		"children": []any{
			map[string]any{"code": "440000", "name": "广东省", "level": "province", "children": []any{
				map[string]any{"code": "440100", "name": "广州市", "level": "city"},
				map[string]any{"code": "440300", "name": "深圳市", "level": "city"},
			}},
			map[string]any{"code": "320000", "name": "江苏省", "level": "province", "children": []any{
				map[string]any{"code": "320500", "name": "苏州市", "level": "city"},
			}},
			map[string]any{"code": "110000", "name": "北京市", "level": "province"},
		},
	}
	if edit != nil {
		edit(m)
	}
	out, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "program.json"), out, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestJurisdictionsNationalTree(t *testing.T) {
	p, err := LoadDir(national(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.RootJurisdiction().Level != LevelCountry {
		t.Fatalf("root level = %s", p.RootJurisdiction().Level)
	}
	if len(p.Cities) != 3 || p.City("320500") == nil {
		t.Errorf("cities from the tree = %v", p.Cities)
	}
	anc := p.Ancestors("320500")
	if len(anc) != 2 || anc[0].Code != "320000" || anc[1].Code != "100000" {
		t.Errorf("Ancestors(苏州) = %v", anc)
	}
	if !p.Contains("100000", "440300") || p.Contains("320000", "440300") || !p.Contains("440000", "440100") {
		t.Error("Contains gives a wrong answer on the national tree")
	}
	if ch := p.Children(p.RootJurisdiction().Code); len(ch) != 3 || ch[1].Code != "320000" {
		t.Errorf("Children(root) = %v, want the three provinces", ch)
	}
	if p.Children("999999") != nil || len(p.Children("320500")) != 0 {
		t.Error("Children of an unknown code or a city should be empty")
	}
	if p.Level("110000") != LevelProvince || p.Parent("110000").Code != "100000" {
		t.Error("北京市 should be a province under the country")
	}
}

func TestNationalDefinitionErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"level order", func(m map[string]any) {
			m["jurisdictions"].(map[string]any)["children"] = []any{map[string]any{"code": "440000", "name": "广东省", "level": "country"}}
		}, "应低于上级"},
		{"duplicate code", func(m map[string]any) {
			m["jurisdictions"].(map[string]any)["children"] = []any{
				map[string]any{"code": "440000", "name": "广东省", "level": "province"},
				map[string]any{"code": "440000", "name": "广东省", "level": "province"}}
		}, "code 440000 重复"},
		{"bad level", func(m map[string]any) {
			m["jurisdictions"].(map[string]any)["level"] = "nation"
		}, `level "nation"`},
		{"unknown key", func(m map[string]any) {
			m["evaluation"].(map[string]any)["expert_count"] = 3
		}, "未知的键"},
		{"aggregation", func(m map[string]any) { m["evaluation"].(map[string]any)["aggregation"] = "median" }, "aggregation"},
		{"criterion max", func(m map[string]any) {
			m["evaluation"].(map[string]any)["score_sheet"] = []any{map[string]any{"key": "a", "label": "甲", "max_points": 0}}
		}, "score_sheet[0]（甲）的 max_points"},
		{"holiday date", func(m map[string]any) { m["evaluation"].(map[string]any)["holidays"] = []any{"2025-13-01"} }, "holidays[0]"},
		{"workday not weekend", func(m map[string]any) {
			m["evaluation"].(map[string]any)["extra_workdays"] = []any{"2025-09-29"}
		}, "不是周末"},
		{"public field typo", func(m map[string]any) {
			m["evaluation"].(map[string]any)["public_fields"] = []any{"platform.nmae"}
		}, "platform.nmae"},
		{"public field syntax", func(m map[string]any) {
			m["evaluation"].(map[string]any)["public_fields"] = []any{"equipment.a*"}
		}, "public_fields[0]"},
		{"wrong type", func(m map[string]any) {
			m["evaluation"].(map[string]any)["notice_working_days"] = "five"
		}, "第"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDir(national(t, tt.edit))
			if err == nil {
				t.Fatalf("loaded; want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "program.json") {
				t.Errorf("error = %v, want it to name program.json and contain %q", err, tt.want)
			}
		})
	}
}

func TestEvalDefaults(t *testing.T) {
	p := MustDefault()
	e := p.Eval()
	if e.ExpertsPerApplication != 5 || e.NoticeWorkingDays != 5 || e.Aggregation != AggregateTrimmedMean {
		t.Errorf("Guangdong evaluation = %+v", e)
	}
	if e.MaxTotal() != 100 || len(e.ScoreSheet) != 5 {
		t.Errorf("score sheet: %d criteria, max %v; want 5 criteria, 100 points", len(e.ScoreSheet), e.MaxTotal())
	}
	var bare Program
	if d := bare.Eval(); d.ExpertsPerApplication != 5 || d.NoticeWorkingDays != 5 || d.Aggregation != AggregateMean {
		t.Errorf("defaults = %+v", d)
	}
	if bare.RootJurisdiction() == nil {
		t.Error("a Program made by hand should still have a root")
	}
}
