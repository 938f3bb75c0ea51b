package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"biopilot/program"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// nextEdition is the 2025 program with a changed form: a new field in 一 and a new
// numbered section, loaded from a directory as a next edition would be.
func nextEdition(t *testing.T) *program.Program {
	t.Helper()
	src := filepath.Join("..", "program", program.DefaultDir)
	dir := t.TempDir()
	for _, name := range []string{"program.json", "rules.json"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(src, "form.json"))
	if err != nil {
		t.Fatal(err)
	}
	var form map[string]any
	if err := json.Unmarshal(data, &form); err != nil {
		t.Fatal(err)
	}
	sections := form["sections"].([]any)
	var out []any
	for _, s := range sections {
		out = append(out, s)
		if s.(map[string]any)["id"] == "declaration" {
			out = append(out, map[string]any{"id": "extra", "title": "五、附加说明"})
		}
	}
	form["sections"] = out
	form["fields"] = append(form["fields"].([]any),
		map[string]any{"key": "platform.website", "label": "平台网址", "type": "text", "section": "basic"},
		map[string]any{"key": "extra.notes", "label": "补充材料说明", "type": "text", "multiline": true, "section": "extra"})
	data, err = json.Marshal(form)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "form.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := program.LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	return p
}

func TestFormHTMLGolden(t *testing.T) {
	p, doc := example(t)
	var buf bytes.Buffer
	if err := renderer(t).FormHTML(&buf, p, doc, sampleMeta()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "eligible-enzymes.html")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./render -run Golden -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("HTML differs from %s (run go test ./render -run Golden -update and review the diff)", golden)
	}
}

func TestFormHTMLContent(t *testing.T) {
	p, doc := example(t)
	program.Set(doc, "platform.head.name", `<script>alert("x")</script>`)
	var buf bytes.Buffer
	m := sampleMeta()
	m.Seals = append(m.Seals, Seal{Holder: "图片印章", Image: redSquare(t)})
	if err := renderer(t).FormHTML(&buf, p, doc, m); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if !utf8.ValidString(html) || !strings.HasPrefix(html, "<!DOCTYPE html>") {
		t.Fatalf("not an HTML page")
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("a value was not escaped")
	}
	for _, s := range []string{
		"一、基本信息", "二、主要内容", "三、发展目标", "四、申报声明", "五、省级工业和信息化主管部门推荐意见", "填写说明",
		"广东示例酶工程有限公司", "超微量分光光度计", "差距很大", "2020年6月", "72.7%",
		`<span class="box on">■</span>`, "GD2025-440600-0001", m.SnapshotHash,
		`<svg class="qr"`, "data:image/png;base64,", `<textPath`, "size: A4", `counter(pages)`,
	} {
		if !strings.Contains(html, s) {
			t.Errorf("%q not in the HTML", s)
		}
	}
	// the HTML and the PDF print the same values: every table cell is in both
	for _, fl := range p.Form.Fields {
		if fl.Type != program.TypeTable {
			continue
		}
		v, _ := program.Lookup(doc, fl.Key)
		for _, r := range v.([]any) {
			for _, c := range fl.Columns {
				if cv, ok := r.(map[string]any)[c.Key]; ok {
					if s := printed(c, cv); s != "" && !strings.Contains(html, s) {
						t.Errorf("%s.%s: %q not in the HTML", fl.Key, c.Key, s)
					}
				}
			}
		}
	}
}

func TestWrap(t *testing.T) {
	r := renderer(t)
	tests := []struct {
		name  string
		text  string
		width float64 // in em of size 10
	}{
		{"cjk", strings.Repeat("中试平台建设", 30), 12},
		{"punctuation", strings.Repeat("发酵罐，纯化。检测；", 20), 9},
		{"latin words", "采用DCS控制系统与MES平台 huang@example.cn 逐级放大5L到5000L", 8},
		{"options", "食品及添加剂领域□　生物制药领域□　化妆品领域■　化工领域□", 11},
		{"long word", "https://pilot.example.cn/a/very/long/path/that/cannot/fit", 6},
		{"newlines", "第一行\n\n第三行很长很长很长很长很长很长很长很长", 5},
		{"overview", overview800(), 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			width := tt.width * 10
			lines := r.wrap(tt.text, 10, width)
			if got, want := squeeze(strings.Join(lines, "")), squeeze(tt.text); got != want {
				t.Errorf("characters lost or changed:\n got %q\nwant %q", got, want)
			}
			for _, l := range lines {
				w := r.width(l, 10)
				rs := []rune(l)
				// a closing punctuation mark may hang past the edge
				if w > width+0.01 && !(len(rs) > 0 && strings.ContainsRune(noLineStart, rs[len(rs)-1]) && w-r.width(string(rs[len(rs)-1]), 10) <= width+0.01) {
					t.Errorf("line %q is %.1f wide, limit %.1f", l, w, width)
				}
				if len(rs) > 0 && strings.ContainsRune("，。；", rs[0]) {
					t.Errorf("line %q starts with closing punctuation", l)
				}
			}
			if strings.Count(tt.text, "\n") > 0 && len(lines) < strings.Count(tt.text, "\n")+1 {
				t.Errorf("newlines not kept: %q", lines)
			}
		})
	}
	// an option with its box is not split between lines
	for _, l := range r.wrap("食品及添加剂领域□　生物制药领域□　化妆品领域■　化工领域□", 10, 110) {
		if strings.HasPrefix(l, "领域") || strings.HasPrefix(l, "□") || strings.HasPrefix(l, "■") {
			t.Errorf("an option was split: %q", l)
		}
	}
}

func TestCheckText(t *testing.T) {
	r := renderer(t)
	for _, s := range []string{"堃喆昇珺", "□■（）：；“”—…μ≤≥", "ABCxyz0123456789@.-_/", "第一行\n第二行\t制表", "零宽\u200b空格"} {
		if err := r.checkText(s, "k"); err != nil {
			t.Errorf("checkText(%q) = %v", s, err)
		}
	}
	if err := r.checkText("王𠀾", "applicant.name"); err == nil || !strings.Contains(err.Error(), "字体缺少字符「𠀾」（U+2003E），位于 applicant.name") {
		t.Errorf("checkText of a missing character = %v", err)
	}
}
