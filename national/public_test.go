package national

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"biopilot/program"
)

var update = flag.Bool("update", false, "rewrite golden files")

func exampleDoc(t *testing.T, p *program.Program) program.Document {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "eligible-enzymes.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := p.Form.DecodeDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// leaves lists every leaf of a value as a key path with "[]" for list elements.
func leaves(v any, path string, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, el := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			leaves(el, p, out)
		}
	case []any:
		for _, el := range x {
			leaves(el, path+"[]", out)
		}
	default:
		out[path] = v
	}
}

func TestPublicViewGolden(t *testing.T) {
	p := program.MustDefault()
	view := PublicView(p, exampleDoc(t, p))
	got, err := json.MarshalIndent(view, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "public-view.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("public view differs from %s (run with -update after checking):\n%s", golden, got)
	}
}

func TestPublicViewLeaksNothing(t *testing.T) {
	p := program.MustDefault()
	doc := exampleDoc(t, p)
	view := PublicView(p, doc)
	ls := map[string]any{}
	leaves(view, "", ls)
	if len(ls) == 0 {
		t.Fatal("public view is empty")
	}
	for path := range ls {
		ok := false
		for _, pat := range p.Eval().PublicFields {
			if matchPath(pat, path) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("public view shows %s, which no public field names", path)
		}
	}
	// Confidential values of the example must not appear anywhere.
	data, _ := json.Marshal(view)
	for _, key := range []string{"applicant.uscc", "applicant.legal_rep.mobile", "platform.head.mobile", "applicant.address", "overview", "service_3y.revenue_10k_yuan"} {
		v, ok := program.Lookup(doc, key)
		if !ok {
			t.Fatalf("example lacks %s", key)
		}
		s, _ := json.Marshal(v)
		if bytes.Contains(data, bytes.Trim(s, `"`)) {
			t.Errorf("public view contains the value of %s (%s)", key, s)
		}
	}
	for _, want := range []string{"applicant.name", "platform.name", "equipment.purification[].name", "equipment.fermentation[].category", "chassis_cells[]"} {
		if _, ok := ls[want]; !ok {
			t.Errorf("public view lacks %s", want)
		}
	}
	// The view is a copy: changing it leaves the document alone.
	view["platform"].(map[string]any)["name"] = "改"
	view["domains"].([]any)[0] = "改"
	if n, _ := program.Lookup(doc, "platform.name"); n == "改" {
		t.Error("public view shares maps with the document")
	}
	if d, _ := program.Lookup(doc, "domains"); d.([]any)[0] == "改" {
		t.Error("public view shares lists with the document")
	}
}

// matchPath reports whether a leaf path (with "[]") falls under a pattern.
func matchPath(pat, path string) bool {
	ps, ks := strings.Split(strings.ReplaceAll(pat, "[]", ".[]"), "."), strings.Split(strings.ReplaceAll(path, "[]", ".[]"), ".")
	if len(ps) > len(ks) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && ps[i] != ks[i] {
			return false
		}
	}
	return true
}

func TestPublicViewPatterns(t *testing.T) {
	doc := program.Document{
		"a": map[string]any{"x": "1", "y": "2"},
		"t": map[string]any{
			"one": []any{map[string]any{"name": "n1", "price": 3.0}, map[string]any{"price": 4.0}},
			"two": []any{map[string]any{"name": "n2", "kind": "k"}},
		},
		"secret": "s",
	}
	tests := []struct {
		fields []string
		want   map[string]any
	}{
		{nil, map[string]any{}},
		{[]string{"a.x"}, map[string]any{"a": map[string]any{"x": "1"}}},
		{[]string{"a"}, map[string]any{"a": map[string]any{"x": "1", "y": "2"}}},
		{[]string{"a.*"}, map[string]any{"a": map[string]any{"x": "1", "y": "2"}}},
		{[]string{"missing.key", "a.z"}, map[string]any{}},
		{[]string{"t.*[].name"}, map[string]any{"t": map[string]any{
			"one": []any{map[string]any{"name": "n1"}, map[string]any{}},
			"two": []any{map[string]any{"name": "n2"}}}}},
		{[]string{"t.*[].name", "t.two[].kind"}, map[string]any{"t": map[string]any{
			"one": []any{map[string]any{"name": "n1"}, map[string]any{}},
			"two": []any{map[string]any{"name": "n2", "kind": "k"}}}}},
		{[]string{"a.x[]", "secret.x"}, map[string]any{}},
	}
	for _, tt := range tests {
		p := &program.Program{Evaluation: &program.Evaluation{PublicFields: tt.fields}}
		if got := PublicView(p, doc); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%v: got %v, want %v", tt.fields, got, tt.want)
		}
	}
}
