package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// charts are the golden cases: name → chart.
func charts() map[string]interface{ SVG() string } {
	return map[string]interface{ SVG() string }{
		"bar_target": BarChart{ID: "listed", Title: "入选平台数", Unit: "个", TargetLabel: "2027年目标", Target: 20,
			Bars: []Bar{{"2025年", 2}, {"2026年", 4}, {"2027年", 3}}},
		"bar_horizontal": BarChart{ID: "domains", Title: "各领域服务企业数", Unit: "家", Horizontal: true,
			Bars: []Bar{{"食品及添加剂领域", 3}, {"生物制药领域", 29}, {"酶制剂领域", 55}, {"木质纤维素利用领域", 0}, {"一碳化合物原料利用领域", 12.5}}},
		"bar_long_labels": BarChart{ID: "provinces", Title: "各领域入选平台数", Unit: "个",
			Bars: []Bar{{"木质纤维素利用领域", 1}, {"一碳化合物原料利用领域", 2}, {"植物底盘细胞开发领域", 0}, {"A&B <测试>", 1}}},
		"grouped": GroupedChart{ID: "by-year", Title: "各省份服务企业数（按年度）", Unit: "家",
			Categories: []string{"2025年", "2026年", "2027年"},
			Series:     []Series{{"广东省", []float64{0, 30, 25}}, {"江苏省", []float64{0, 7, 15}}}},
		"stacked": GroupedChart{ID: "stacked", Title: "孵化产品数（按年度、省份）", Unit: "个", Stacked: true, Target: 400, TargetLabel: "2027年目标",
			Categories: []string{"2025年", "2026年", "2027年"},
			Series:     []Series{{"广东省", []float64{0, 35, 40}}, {"江苏省", []float64{0, 0, 10}}}},
		"progress":     ProgressBar{ID: "p-products", Label: "孵化产品数", Value: 85, Target: 400, Unit: "个", Note: "2027年目标"},
		"progress_met": ProgressBar{ID: "p-listed", Label: "入选平台数", Value: 23, Target: 20, Unit: "个"},
	}
}

func TestGolden(t *testing.T) {
	for name, c := range charts() {
		t.Run(name, func(t *testing.T) {
			got := c.SVG()
			if again := c.SVG(); again != got {
				t.Fatal("two renderings differ")
			}
			path := filepath.Join("testdata", name+".svg")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./chart -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file (go test ./chart -update rewrites it after a deliberate change)\n%s", path, got)
			}
			checkAccessible(t, got)
		})
	}
}

// checkAccessible parses the SVG and checks the accessible parts: role img, a
// title and a description referenced by aria-labelledby, no script, no event
// handler attributes, text in Chinese with the numbers.
func checkAccessible(t *testing.T, doc string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var root xml.StartElement
	var title, desc string
	var texts []string
	var stack []string
	ids := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if root.Name.Local == "" {
				root = tk
			}
			if tk.Name.Local == "script" || tk.Name.Local == "foreignObject" {
				t.Errorf("element %s in a chart", tk.Name.Local)
			}
			seen := map[string]bool{}
			for _, a := range tk.Attr {
				if seen[a.Name.Local] {
					t.Errorf("attribute %s twice on %s", a.Name.Local, tk.Name.Local)
				}
				seen[a.Name.Local] = true
				if strings.HasPrefix(a.Name.Local, "on") {
					t.Errorf("event handler %s", a.Name.Local)
				}
				if a.Name.Local == "id" {
					ids[a.Value] = true
				}
			}
			stack = append(stack, tk.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			s := string(tk)
			switch stack[len(stack)-1] {
			case "title":
				if len(stack) == 2 {
					title = s
				}
			case "desc":
				desc = s
			case "text", "tspan":
				texts = append(texts, s)
			}
		}
	}
	attr := func(name string) string {
		for _, a := range root.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	if root.Name.Local != "svg" || attr("role") != "img" {
		t.Errorf("root = %s role %q", root.Name.Local, attr("role"))
	}
	for _, ref := range strings.Fields(attr("aria-labelledby")) {
		if !ids[ref] {
			t.Errorf("aria-labelledby names %q, which is not an id", ref)
		}
	}
	if title == "" || desc == "" || !strings.ContainsAny(desc, "0123456789") {
		t.Errorf("title %q, desc %q: want both, the description with the figures", title, desc)
	}
	joined := strings.Join(texts, " ")
	if !strings.ContainsAny(joined, "0123456789") || !strings.ContainsFunc(joined, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("visible text %q: want Chinese labels and numbers", joined)
	}
}

func TestEscaping(t *testing.T) {
	svg := BarChart{ID: `x"y`, Title: "<script>alert(1)</script>", Bars: []Bar{{"A&B", 1}}}.SVG()
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt;") || !strings.Contains(svg, "A&amp;B") || strings.Contains(svg, `id="x"y`) {
		t.Errorf("text not escaped:\n%s", svg)
	}
	checkAccessible(t, strings.ReplaceAll(svg, "alert(1)", "警告 1"))
}

func TestLabelsCarryEveryNumber(t *testing.T) {
	c := GroupedChart{Title: "测试", Unit: "家", Categories: []string{"2026年", "2027年"},
		Series: []Series{{"广东省", []float64{31, 47}}, {"江苏省", []float64{13, 29}}}}
	for _, stacked := range []bool{false, true} {
		c.Stacked = stacked
		svg := c.SVG()
		for _, num := range []string{">31<", ">47<", ">13<", ">29<"} {
			if !strings.Contains(svg, num) {
				t.Errorf("stacked=%v: no label %s", stacked, num)
			}
		}
		if stacked && (!strings.Contains(svg, ">44<") || !strings.Contains(svg, ">76<")) {
			t.Error("stacked bars are not labelled with their totals 44 and 76")
		}
	}
}

func TestBarHeightsProportional(t *testing.T) {
	svg := BarChart{Bars: []Bar{{"甲", 10}, {"乙", 20}, {"丙", -5}}, Height: 320}.SVG()
	// Plot height 320-48-52 = 220, axis top 20 (niceMax of 20): 110 and 220 px; a
	// negative value draws nothing.
	for _, h := range []string{`height="110"`, `height="220"`, `height="0"`} {
		if !strings.Contains(svg, h) {
			t.Errorf("no bar with %s:\n%s", h, svg)
		}
	}
}

func TestNiceMax(t *testing.T) {
	tests := []struct{ max, top, step float64 }{
		{0, 4, 1}, {3, 3, 1}, {4, 4, 1}, {20, 20, 5}, {23, 30, 10}, {85, 100, 50}, {400, 400, 100}, {401, 600, 200}, {1234.5, 1500, 500}, {0.4, 1, 1},
	}
	for _, tt := range tests {
		top, step := niceMax(tt.max)
		if top != tt.top || step != tt.step {
			t.Errorf("niceMax(%v) = %v, %v; want %v, %v", tt.max, top, step, tt.top, tt.step)
		}
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[float64]string{3: "3", 12.5: "12.5", 1.005: "1", 1.236: "1.24", 1e6: "1000000"} {
		if got := Num(in); got != want {
			t.Errorf("Num(%v) = %q, want %q", in, got, want)
		}
	}
	if Percent(0.385) != "39%" || Percent(1.15) != "115%" {
		t.Errorf("Percent = %s, %s", Percent(0.385), Percent(1.15))
	}
	if got := wrap("一碳化合物原料利用领域", 60, 3); len(got) != 3 || strings.Join(got, "") != "一碳化合物原料利用领域" {
		t.Errorf("wrap = %q", got)
	}
}

func TestOnColour(t *testing.T) {
	for fill, want := range map[string]string{"#0072B2": "#FFFFFF", "#E69F00": textColour, "#F0E442": textColour, "#555555": "#FFFFFF", "bad": textColour} {
		if got := onColour(fill); got != want {
			t.Errorf("onColour(%s) = %s, want %s", fill, got, want)
		}
	}
}

func TestHTML(t *testing.T) {
	c := ProgressBar{Label: "服务企业数", Value: 77, Target: 200, Unit: "家"}
	if string(c.HTML()) != c.SVG() || !bytes.Contains([]byte(c.SVG()), []byte("39%")) {
		t.Error("HTML differs from SVG or lacks the percentage")
	}
}
