package program

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"biopilot"
)

const examplePath = "../../shared/spec/examples/eligible-enzymes.json"

func readExample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	return data
}

func TestDefaultProgram(t *testing.T) {
	p := MustDefault()
	if len(p.Cities) != 21 {
		t.Errorf("cities = %d, want 21", len(p.Cities))
	}
	if len(p.Domains) != 9 {
		t.Errorf("domains = %d, want 9", len(p.Domains))
	}
	// The applicant deadline is the end of 2025-07-04, Beijing time.
	want := time.Date(2025, 7, 4, 16, 0, 0, 0, time.UTC)
	if got := p.ApplicantDeadline(); !got.Equal(want) {
		t.Errorf("applicant deadline = %v, want %v", got, want)
	}
	if got := p.CityDeadline(); !got.Equal(want.AddDate(0, 0, 6)) {
		t.Errorf("city deadline = %v", got)
	}
}

func TestSuggestCity(t *testing.T) {
	p := MustDefault()
	for _, tc := range []struct{ uscc, want string }{
		{"91440606MA5ABCDE1P", "440600"},
		{"91440106MA5ABCDE1P", "440100"},
		{"91440000MA5ABCDE1P", ""},
		{"91110000MA5ABCDE1P", ""},
		{"914", ""},
	} {
		if got := p.SuggestCity(tc.uscc); got != tc.want {
			t.Errorf("SuggestCity(%s) = %q, want %q", tc.uscc, got, tc.want)
		}
	}
}

func TestDecodeExample(t *testing.T) {
	p := MustDefault()
	doc, err := p.Form.DecodeDocument(readExample(t))
	if err != nil {
		t.Fatalf("decode example: %v", err)
	}
	if v, _ := Lookup(doc, "site.area_m2"); v != float64(2600) {
		t.Errorf("site.area_m2 = %#v, want float64 2600", v)
	}
	if v, _ := Lookup(doc, "team.fixed_technical"); v != int64(22) {
		t.Errorf("team.fixed_technical = %#v, want int64 22", v)
	}
	if _, ok := Lookup(doc, "compliance.gmp"); ok {
		t.Errorf("compliance.gmp should be absent")
	}
}

func TestDecodeErrors(t *testing.T) {
	p := MustDefault()
	for _, tc := range []struct {
		name, doc, field, msg string
	}{
		{"unknown key", `{"applicant":{"nmae":"x"}}`, "applicant.nmae", "未知的字段"},
		{"unknown top key", `{"foo":1}`, "foo", "未知的字段"},
		{"wrong type", `{"site":{"area_m2":"大"}}`, "site.area_m2", "用房面积"},
		{"negative", `{"site":{"area_m2":-1}}`, "site.area_m2", "不能小于 0"},
		{"not integer", `{"team":{"fixed_technical":1.5}}`, "team.fixed_technical", "整数"},
		{"enum", `{"applicant":{"kind":"alien"}}`, "applicant.kind", "申报单位属性"},
		{"set item", `{"domains":["enzymes","moon"]}`, "domains[1]", "申报类别"},
		{"table column", `{"equipment":{"fermentation":[{"volume":5}]}}`, "equipment.fermentation[0].volume", "未知的列"},
		{"table cell type", `{"equipment":{"fermentation":[{"volume_l":"big"}]}}`, "equipment.fermentation[0].volume_l", "体积"},
		{"month", `{"software":[{"purchased_on":"2021/3"}]}`, "software[0].purchased_on", "YYYY-MM"},
		{"object expected", `{"applicant":"x"}`, "applicant", "对象"},
		{"evidence category", `{"evidence":{"photos":["a"]}}`, "evidence.photos", "佐证材料类别"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Form.DecodeDocument([]byte(tc.doc))
			e := biopilot.AsError(err)
			if e == nil || e.Code != biopilot.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if e.Field != tc.field {
				t.Errorf("field = %q, want %q", e.Field, tc.field)
			}
			if !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", e.Message, tc.msg)
			}
		})
	}
}

func TestDecodeIncompleteDraftIsFine(t *testing.T) {
	p := MustDefault()
	doc, err := p.Form.DecodeDocument([]byte(`{"applicant":{"name":"某公司","uscc":null},"overview":""}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Lookup(doc, "applicant.uscc"); ok {
		t.Error("null should be absent")
	}
}

func TestDecodeMalformed(t *testing.T) {
	p := MustDefault()
	for _, in := range []string{`{`, `[]`, `{"a":1} x`, `"x"`, ``} {
		if _, err := p.Form.DecodeDocument([]byte(in)); biopilot.ErrorCode(err) != biopilot.EINVALID {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestCountChars(t *testing.T) {
	if n := CountChars("中 文\n a\tb　"); n != 4 {
		t.Errorf("CountChars = %d, want 4", n)
	}
}

// copyDefault writes the embedded definition to a temp dir for modification.
func copyDefault(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"program.json", "form.json", "rules.json"} {
		data, err := defs.ReadFile(DefaultDir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadDirErrorsNamePosition(t *testing.T) {
	dir := copyDefault(t)
	os.WriteFile(filepath.Join(dir, "form.json"), []byte("{\n \"sections\": [\n  {\"id\": \"a\" \"title\": \"x\"}]}"), 0o644)
	_, err := LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "form.json 第 3 行") {
		t.Fatalf("err = %v, want position in form.json line 3", err)
	}
	dir = copyDefault(t)
	os.WriteFile(filepath.Join(dir, "program.json"), []byte("{\"id\":\"x\",\n\"colour\":1}"), 0o644)
	_, err = LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "colour") || !strings.Contains(err.Error(), "第 2 行") {
		t.Fatalf("err = %v, want unknown key colour at line 2", err)
	}
	dir = copyDefault(t)
	data, _ := os.ReadFile(filepath.Join(dir, "form.json"))
	os.WriteFile(filepath.Join(dir, "form.json"), []byte(strings.Replace(string(data), `"type": "integer"`, `"type": "integr"`, 1)), 0o644)
	_, err = LoadDir(dir)
	if err == nil || !strings.Contains(err.Error(), "integr") {
		t.Fatalf("err = %v, want unknown type", err)
	}
}

func TestDerive(t *testing.T) {
	p := MustDefault()
	doc, _ := p.Form.DecodeDocument(readExample(t))
	got := map[string]string{}
	for _, d := range p.Form.Derive(doc) {
		got[d.Key] = d.Text
	}
	if got["team.qualified_share"] != "72.7%" || got["site.ready"] != "是" {
		t.Errorf("derived = %v", got)
	}
	doc, _ = p.Form.DecodeDocument([]byte(`{"site":{"facilities":["strain_room"],"facility_rules":true},"team":{"fixed_technical":0,"qualified":0}}`))
	got = map[string]string{}
	for _, d := range p.Form.Derive(doc) {
		got[d.Key] = d.Text
	}
	if got["team.qualified_share"] != "" || got["site.ready"] != "否" {
		t.Errorf("derived = %v", got)
	}
}
