package program

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"biopilot"
)

func TestNamed(t *testing.T) {
	if got := Names(); !reflect.DeepEqual(got, []string{"cn-2025", "gd-2025"}) {
		t.Errorf("Names() = %v", got)
	}
	for _, bad := range []string{"", ".", "..", "../defs/gd-2025", "gd-2025/", "defs/gd-2025", "xx-2025", `gd-2025\`} {
		if IsNamed(bad) {
			t.Errorf("IsNamed(%q) = true", bad)
		}
		if _, err := Named(bad); err == nil || !strings.Contains(err.Error(), "内置") {
			t.Errorf("Named(%q) = %v, want an error naming the built-in definitions", bad, err)
		}
	}
	gd := MustNamed("gd-2025")
	if gd.ID != MustDefault().ID || gd.Source != "内置：defs/gd-2025" || gd.IsNational() {
		t.Errorf("gd-2025 = %s from %s", gd.ID, gd.Source)
	}
}

func TestNational2025(t *testing.T) {
	p := MustNamed("cn-2025")
	gd := MustDefault()
	if p.ID != "cn-2025-biomfg-pilot" || p.Title != "2025年生物制造中试能力建设平台" || !p.IsNational() {
		t.Fatalf("cn-2025 = %s %q national=%v", p.ID, p.Title, p.IsNational())
	}
	if !reflect.DeepEqual(p.Issuers, []string{"工业和信息化部", "国家发展改革委"}) {
		t.Errorf("issuers = %v", p.Issuers)
	}
	root := p.RootJurisdiction()
	if root.Code != biopilot.CountryCode || root.Level != LevelCountry {
		t.Errorf("root = %+v", root)
	}
	provs := p.Provinces()
	if len(provs) != 2 || provs[0].Code != "440000" || provs[1].Code != "320000" {
		t.Fatalf("provinces = %v", provs)
	}
	// Guangdong's cities exactly as the provincial definition; Jiangsu's 13.
	if got := p.CitiesIn("440000"); !reflect.DeepEqual(got, gd.Cities) {
		t.Errorf("Guangdong's cities differ from gd-2025: %v", got)
	}
	js := p.CitiesIn("320000")
	if len(js) != 13 || js[0] != (City{"320100", "南京市"}) || js[12] != (City{"321300", "宿迁市"}) {
		t.Errorf("Jiangsu's cities = %v", js)
	}
	if len(p.Cities) != 34 || len(p.CitiesIn(root.Code)) != 34 || p.City("320500") == nil {
		t.Errorf("the union of cities has %d", len(p.Cities))
	}
	// The same form, rules and evaluation, not copies.
	if len(p.Form.Fields) != len(gd.Form.Fields) || len(p.Rules.Rules) != len(gd.Rules.Rules) {
		t.Errorf("form or rules differ: %d/%d fields, %d/%d rules", len(p.Form.Fields), len(gd.Form.Fields), len(p.Rules.Rules), len(gd.Rules.Rules))
	}
	if !reflect.DeepEqual(p.Eval(), gd.Eval()) || !reflect.DeepEqual(p.Domains, gd.Domains) {
		t.Error("evaluation or domains differ from gd-2025")
	}
	// Registration is not limited to Guangdong; the Guangdong definition still is.
	if a1 := p.Rules.Params["A1"].(map[string]any); a1["division_prefix"] != "" {
		t.Errorf("cn-2025 A1 params = %v", a1)
	}
	if a1 := gd.Rules.Params["A1"].(map[string]any); a1["division_prefix"] != "44" {
		t.Errorf("gd-2025 A1 params changed by cn-2025: %v", a1)
	}
	if p.CityName("320100") != "南京市" || p.CityName("320000") != "江苏省" || p.CityName(biopilot.CountryCode) != "中华人民共和国" {
		t.Error("CityName does not name the tree's jurisdictions")
	}
	if p.SuggestCity("91320102MA1XXXXX0X") != "320100" {
		t.Error("SuggestCity does not suggest 南京")
	}
}

func TestProvinceAuthorities(t *testing.T) {
	cn, gd := MustNamed("cn-2025"), MustDefault()
	tests := []struct {
		p               *Program
		code, miit, drc string
		prefix          string
		province        string
	}{
		{gd, "440100", "广东省工业和信息化厅", "广东省发展和改革委员会", "GD", "440000"},
		{gd, "440000", "广东省工业和信息化厅", "广东省发展和改革委员会", "GD", "440000"},
		{cn, "440600", "广东省工业和信息化厅", "广东省发展和改革委员会", "GD", "440000"},
		{cn, "320100", "江苏省工业和信息化厅", "江苏省发展和改革委员会", "JS", "320000"},
		{cn, "320000", "江苏省工业和信息化厅", "江苏省发展和改革委员会", "JS", "320000"},
		{cn, biopilot.CountryCode, "", "", "P00", ""},
		{cn, "110100", "", "", "P11", ""},
	}
	for _, tt := range tests {
		miit, drc := tt.p.ProvinceAuthorities(tt.code)
		if miit != tt.miit || drc != tt.drc {
			t.Errorf("%s ProvinceAuthorities(%s) = %q, %q; want %q, %q", tt.p.ID, tt.code, miit, drc, tt.miit, tt.drc)
		}
		if got := tt.p.NumberPrefix(tt.code); got != tt.prefix {
			t.Errorf("%s NumberPrefix(%s) = %q, want %q", tt.p.ID, tt.code, got, tt.prefix)
		}
		prov := tt.p.ProvinceOf(tt.code)
		if (prov == nil) != (tt.province == "") || prov != nil && prov.Code != tt.province {
			t.Errorf("%s ProvinceOf(%s) = %v, want %q", tt.p.ID, tt.code, prov, tt.province)
		}
	}
	// A province named without authorities gets names made from its own.
	p, err := LoadDir(national(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if miit, drc := p.ProvinceAuthorities("320500"); miit != "江苏省工业和信息化厅" || drc != "江苏省发展和改革委员会" {
		t.Errorf("made-up names %q %q", miit, drc)
	}
}

// copyDefs copies the built-in definitions to a directory on disk.
func copyDefs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, name := range Names() {
		if err := os.MkdirAll(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
		entries, _ := defs.ReadDir(defsRoot + "/" + name)
		for _, e := range entries {
			data, err := defs.ReadFile(defsRoot + "/" + name + "/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, name, e.Name()), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestLoadDirSharedFiles(t *testing.T) {
	root := copyDefs(t)
	p, err := LoadDir(filepath.Join(root, "cn-2025"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsNational() || len(p.Form.Fields) != len(MustDefault().Form.Fields) {
		t.Errorf("loaded from disk: national=%v, %d fields", p.IsNational(), len(p.Form.Fields))
	}
	if _, err := LoadDir(filepath.Join(root, "cn-2025", "program.json")); err != nil {
		t.Errorf("LoadDir(program.json): %v", err)
	}

	edit := func(t *testing.T, form string) error {
		t.Helper()
		file := filepath.Join(root, "cn-2025", "program.json")
		data, _ := os.ReadFile(file)
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		m["form"] = form
		out, _ := json.Marshal(m)
		if err := os.WriteFile(file, out, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadDir(filepath.Join(root, "cn-2025"))
		return err
	}
	abs := filepath.Join(root, "gd-2025", "form.json")
	for _, tt := range []struct{ form, want string }{
		{abs, "相对路径"},
		{"../nowhere/form.json", "无法读取"},
		{"../gd-2025/rules.json", "未知的键"},
	} {
		if err := edit(t, tt.form); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("form %q: %v, want %q", tt.form, err, tt.want)
		}
	}
}

func TestEmbeddedStaysInside(t *testing.T) {
	src := embedSource{dir: "defs/cn-2025"}
	if data, file, err := src.read("../gd-2025/form.json"); err != nil || file != "defs/gd-2025/form.json" || len(data) == 0 {
		t.Errorf("shared form: %s %v", file, err)
	}
	for _, name := range []string{"../../load.go", "../../../go.mod", "/etc/passwd", `..\gd-2025\form.json`} {
		if _, _, err := src.read(name); err == nil {
			t.Errorf("read(%q) succeeded outside the definitions", name)
		}
	}
}

func TestRuleParamsUnknown(t *testing.T) {
	_, err := LoadDir(national(t, func(m map[string]any) {
		m["rule_params"] = map[string]any{"Z9": map[string]any{"x": 1}}
	}))
	if err == nil || !strings.Contains(err.Error(), "rule_params.Z9") {
		t.Errorf("unknown rule param: %v", err)
	}
}
