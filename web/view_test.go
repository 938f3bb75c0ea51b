package web

import (
	"html/template"
	"strings"
	"testing"

	"biopilot/demo"
	"biopilot/program"
	"biopilot/rules"
)

// sectionsTemplate is the range application.html used to lay out the sections,
// which documentHTML replaces: their output must be the same.
const sectionsTemplate = `{{range .Data.Sections}}
    <section class="card">
      <h2>{{.Title}}</h2>
      {{if .Text}}<p class="declaration">{{.Text}}</p>{{end}}
      <dl class="fields">
      {{range .Rows}}
        <dt id="f-{{.Key}}">{{.Label}}</dt>
        {{if .Table}}
        <dd><table class="grid"><thead><tr>{{range .Table.Head}}<th>{{.}}</th>{{end}}</tr></thead>
          <tbody>{{range .Table.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table></dd>
        {{else}}
        <dd class="{{if .Missing}}missing{{end}} pre">{{.Value}}</dd>
        {{end}}
      {{end}}
      </dl>
    </section>
    {{end}}`

func TestDocumentHTMLSameAsTemplate(t *testing.T) {
	s := &Server{prog: program.MustDefault()}
	data, err := demo.ExampleDocument()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	nasty := "<script>alert('x')</script> & \"引号\" a+b\x00"
	cases := map[string][]sectionView{
		"example":     s.sectionViews(doc),
		"empty":       s.sectionViews(program.Document{}),
		"no sections": nil,
		"escaping": {{Title: nasty, Text: nasty, Rows: []fieldView{
			{Key: "k<\"", Label: nasty, Value: nasty},
			{Key: "m", Label: "缺", Missing: true, Value: "（未填写）"},
			{Key: "t", Label: "表", Table: &tableView{Head: []string{nasty, "列"}, Rows: [][]string{{nasty, ""}, {"1", "2"}}}},
		}}},
	}
	tmpl := template.Must(template.New("sections").Parse(sectionsTemplate))
	for name, secs := range cases {
		var want strings.Builder
		if err := tmpl.Execute(&want, map[string]any{"Data": map[string]any{"Sections": secs}}); err != nil {
			t.Fatal(err)
		}
		if got := string(documentHTML(secs)); got != want.String() {
			t.Errorf("%s: documentHTML differs from the template:\n got %q\nwant %q", name, got, want.String())
		}
	}
	if !strings.Contains(string(documentHTML(cases["example"])), "<table class=\"grid\">") {
		t.Error("the example document has no table")
	}
}

// rulesTemplate is the range application.html used to list the rules, which
// rulesHTML replaces.
const rulesTemplate = `{{range .Data.Report.Rules}}
      <li class="rule status-{{.Status}}">
        <span class="status">{{statusLabel .Status}}</span>
        <strong>{{.Title}}</strong>{{if .Clause}} <span class="clause">{{.Clause}}</span>{{end}}
        {{if .Message}}<p>{{.Message}}</p>{{end}}
      </li>
    {{else}}
      <li class="empty">暂无规则结果。</li>
    {{end}}`

func TestRulesHTMLSameAsTemplate(t *testing.T) {
	prog := program.MustDefault()
	eng, err := rules.Compile(prog)
	if err != nil {
		t.Fatal(err)
	}
	data, err := demo.ExampleDocument()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := prog.Form.DecodeDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	nasty := "<b>'x'</b> & \"y\" +"
	cases := map[string][]rules.Result{
		"example":        eng.Evaluate(doc).Rules,
		"empty document": eng.Evaluate(program.Document{}).Rules,
		"none":           nil,
		"escaping":       {{Status: rules.Fail, Title: nasty, Clause: nasty, Message: nasty}, {Status: "odd<", Title: "无条款"}},
	}
	tmpl := template.Must(template.New("rules").Funcs(template.FuncMap{"statusLabel": statusLabel}).Parse(rulesTemplate))
	for name, rs := range cases {
		var want strings.Builder
		rep := &rules.Report{Rules: rs}
		if err := tmpl.Execute(&want, map[string]any{"Data": map[string]any{"Report": rep}}); err != nil {
			t.Fatal(err)
		}
		if got := string(rulesHTML(rs)); got != want.String() {
			t.Errorf("%s: rulesHTML differs from the template:\n got %q\nwant %q", name, got, want.String())
		}
	}
}
