package rules

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

const goldenPath = "testdata/reports.golden.json"

// goldenFile is the judgement of the example and of every mutation of it: the
// example's report in full, and for a mutation what differs from it.
type goldenFile struct {
	Example   *Report                  `json:"example"`
	Mutations map[string]goldenMutated `json:"mutations"`
}

type goldenMutated struct {
	Verdict string `json:"verdict,omitempty"`
	// Invalid: the mutation is not a valid document (the decoder's concern).
	Invalid bool `json:"invalid,omitempty"`
	// IDs are the results' ids when they differ from the example's.
	IDs []string `json:"ids,omitempty"`
	// Changed are the results that differ from the example's result of that id.
	Changed []Result `json:"changed,omitempty"`
}

// TestGolden judges the example and several hundred mutations of it (every key
// removed, emptied, zeroed, set large or to bad text; every domain alone) and
// compares every result, message included, with testdata/reports.golden.json,
// so that work on the engine's speed cannot change what it says. Run with
// -update to accept a deliberate change.
func TestGolden(t *testing.T) {
	base := exampleJSON(t)
	got := goldenFile{Example: judge(t, testEngine, nil), Mutations: map[string]goldenMutated{}}
	byID := make(map[string]string)
	var baseIDs []string
	for _, r := range got.Example.Rules {
		byID[r.ID] = mustJSON(t, r)
		baseIDs = append(baseIDs, r.ID)
	}
	form := testEngine.Program().Form
	for _, m := range mutations(base) {
		doc := exampleJSON(t)
		edit(doc, m.edits)
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		d, err := form.DecodeDocument(data)
		if err != nil {
			got.Mutations[m.name] = goldenMutated{Invalid: true}
			continue
		}
		rep := testEngine.Evaluate(d)
		g := goldenMutated{Verdict: rep.Verdict}
		var ids []string
		for _, r := range rep.Rules {
			ids = append(ids, r.ID)
			if byID[r.ID] != mustJSON(t, r) {
				g.Changed = append(g.Changed, r)
			}
		}
		if !slices.Equal(ids, baseIDs) {
			g.IDs = ids
		}
		got.Mutations[m.name] = g
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if bytes.Equal(data, buf.Bytes()) {
		return
	}
	var want goldenFile
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want.Example, got.Example) {
		t.Errorf("the example's report differs:\n got %s\nwant %s", mustJSON(t, got.Example), mustJSON(t, want.Example))
	}
	n := 0
	for name, w := range want.Mutations {
		g, ok := got.Mutations[name]
		if !ok {
			t.Errorf("mutation %s is gone", name)
			continue
		}
		if !reflect.DeepEqual(w, g) && n < 20 {
			n++
			t.Errorf("mutation %s:\n got %s\nwant %s", name, mustJSON(t, g), mustJSON(t, w))
		}
	}
	if len(got.Mutations) != len(want.Mutations) {
		t.Errorf("%d mutations, golden file has %d", len(got.Mutations), len(want.Mutations))
	}
	if !t.Failed() {
		t.Errorf("output differs from %s in formatting only; run with -update", goldenPath)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(buf.String())
}

type mutation struct {
	name  string
	edits map[string]any
}

// mutations derives edits of the example from its own keys: each key removed,
// and each value replaced by values of its kind that the rules react to.
func mutations(base map[string]any) []mutation {
	var out []mutation
	add := func(name string, edits map[string]any) { out = append(out, mutation{name, edits}) }
	long := strings.Repeat("中试平台建设", 150) // 900 字
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			path := k
			if prefix != "" {
				path = prefix + "." + k
			}
			add(path+"=absent", map[string]any{path: nil})
			switch v := m[k].(type) {
			case map[string]any:
				add(path+"={}", map[string]any{path: map[string]any{}})
				walk(path, v)
			case string:
				add(path+"=blank", map[string]any{path: "  "})
				add(path+"=bad", map[string]any{path: "abc"})
				add(path+"=long", map[string]any{path: long})
			case float64:
				for _, n := range []float64{0, 1, 2, 0.5, 99999} {
					add(fmt.Sprintf("%s=%g", path, n), map[string]any{path: n})
				}
			case bool:
				add(fmt.Sprintf("%s=%t", path, !v), map[string]any{path: !v})
			case []any:
				add(path+"=[]", map[string]any{path: []any{}})
				if len(v) > 1 {
					add(path+"=first", map[string]any{path: v[:1]})
				}
				if len(v) > 0 {
					if row, ok := v[0].(map[string]any); ok {
						walkRow(path, v, row, add, long)
					}
				}
			}
		}
	}
	walk("", base)
	for domain := range testEngine.Program().Rules.Params["T7"].(map[string]any)["lists"].(map[string]any) {
		add("domains="+domain, map[string]any{"domains": []any{domain}})
	}
	add("domains=all", map[string]any{"domains": []any{"food_additives", "biopharma", "cosmetics", "chemicals",
		"energy", "enzymes", "lignocellulose", "c1_feedstock", "plant_chassis"}})
	add("uscc=outside", map[string]any{"applicant.uscc": "91110000100000000R"})
	add("uscc=sole-trader", map[string]any{"applicant.uscc": "92440101MA59XXXXX7"})
	add("uscc=check-char", map[string]any{"applicant.uscc": "91440606MA5ABCDE1Q"})
	add("penalized", map[string]any{"compliance.penalized": true, "compliance.penalty_details": "2023年环保罚款"})
	add("penalized-no-details", map[string]any{"compliance.penalized": true})
	add("pharma-no-gmp", map[string]any{"domains": []any{"biopharma"}, "equipment.fermentation": fermentation(200)})
	add("pharma-gmp", map[string]any{"domains": []any{"biopharma"}, "compliance.gmp": true, "evidence.gmp": []any{"g.pdf"}})
	add("incubation-only", map[string]any{"service_3y.industrialized": 0, "service_3y.incubated_companies": 4,
		"service_3y.incubated_valuation_10k_yuan": 3000})
	add("both-paths", map[string]any{"service_3y.incubated_companies": 4, "service_3y.incubated_valuation_10k_yuan": 3000})
	add("both-paths-no-evidence", map[string]any{"service_3y.incubated_companies": 4,
		"service_3y.incubated_valuation_10k_yuan": 3000, "evidence.industrialization": nil})
	add("parallel-category", map[string]any{"equipment.fermentation": []any{map[string]any{"category": "平行生物反应器", "volume_l": 5000, "quantity": 1}}})
	add("no-parallel", map[string]any{"equipment.fermentation": fermentation(5000)})
	add("empty", map[string]any{"applicant": nil, "platform": nil, "compliance": nil, "staff": nil, "service_3y": nil,
		"domains": nil, "equipment": nil, "site": nil, "team": nil, "market": nil, "goals": nil, "declaration": nil,
		"evidence": nil, "ip": nil, "overview": nil, "operations": nil, "software": nil, "utilities": nil})
	return out
}

// walkRow mutates the first row of a table column by column.
func walkRow(path string, rows []any, row map[string]any, add func(string, map[string]any), long string) {
	cols := make([]string, 0, len(row))
	for c := range row {
		cols = append(cols, c)
	}
	slices.Sort(cols)
	for _, c := range cols {
		set := func(name string, v any) {
			r := make(map[string]any, len(row))
			for k, x := range row {
				r[k] = x
			}
			if v == nil {
				delete(r, c)
			} else {
				r[c] = v
			}
			newRows := append([]any{r}, rows[1:]...)
			add(path+"[0]."+c+"="+name, map[string]any{path: newRows})
		}
		set("absent", nil)
		switch row[c].(type) {
		case string:
			set("blank", " ")
			set("long", long)
			set("平行", "平行生物反应器")
			set("keywords", "生物安全柜、分装机、细胞破碎仪、脱色装置、流化床、酶标仪")
		case float64:
			set("0", 0.0)
			set("99999", 99999.0)
		}
	}
}
