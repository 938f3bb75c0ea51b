package xlsx

import (
	"reflect"
	"strings"
	"testing"

	"biopilot/program"
)

// TestAnotherEdition runs a template and an import for a form this package has never
// seen: a long drop-down list, a yes/no, a set, a list and a bounded integer column.
func TestAnotherEdition(t *testing.T) {
	p, err := program.LoadDir("testdata/edition2")
	if err != nil {
		t.Fatal(err)
	}
	f := template(t, p, "patents")
	sheets := f.GetSheetList()
	if len(sheets) != 3 || sheets[0] != "专利清单" || sheets[1] != InstructionsSheet || sheets[2] != optionsSheet {
		t.Fatalf("sheets = %q", sheets)
	}
	if visible, _ := f.GetSheetVisible(optionsSheet); visible {
		t.Error("the options sheet is visible")
	}
	dvs, err := f.GetDataValidations("专利清单")
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string]string{}
	for _, dv := range dvs {
		lists[dv.Sqref] = dv.Formula1
	}
	// 30 long labels are over Excel's 255 characters: the list refers to the options
	// sheet instead.
	if got := lists["B3:B2002"]; got != "'选项'!$A$1:$A$30" {
		t.Errorf("专利类别 list = %q", got)
	}
	if got := cell(t, f, optionsSheet, "A30"); got != "第30类很长很长的选项名称用于测试下拉列表" {
		t.Errorf("options A30 = %q", got)
	}
	if got := lists["C3:C2002"]; got != `"已授权,未授权"` {
		t.Errorf("是否授权 list = %q", got)
	}
	if got := lists["G3:G2002"]; got != "2000" {
		t.Errorf("年度 validation = %q", got)
	}

	sheet := sheets[0]
	for i, v := range []any{"一种酶", "第3类很长很长的选项名称用于测试下拉列表", "已授权", "2024/5/6", "甲、丙，甲", "张三\n李四；王五", 2025} {
		if err := f.SetCellValue(sheet, cellName(i, firstData), v); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range []any{"二种酶", "opt30", "否", nil, nil, nil, 1999} {
		if v != nil {
			if err := f.SetCellValue(sheet, cellName(i, firstData+1), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err = importBytes(p, "patents", save(t, f))
	e := invalid(t, err)
	if len(e.Fields) != 1 || e.Fields[0].Message != "第 4 行 G 列「年度」：不能小于 2000，实际为 1999" || e.Fields[0].Field != "patents[1].year" {
		t.Fatalf("fields = %s", fieldsText(e.Fields))
	}
	if err := f.SetCellValue(sheet, "G4", 2026); err != nil {
		t.Fatal(err)
	}
	got, err := importBytes(p, "patents", save(t, f))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"title": "一种酶", "kind": "opt03", "granted": true, "granted_on": "2024-05-06", "domains": []any{"a", "c"},
			"inventors": []any{"张三", "李四", "王五"}, "year": int64(2025)},
		{"title": "二种酶", "kind": "opt30", "granted": false, "year": int64(2026)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %#v\nwant %#v", got, want)
	}
	if _, err := p.Form.Normalize(map[string]any{"patents": MergeRows(nil, got, true)}); err != nil {
		t.Errorf("Normalize: %v", err)
	}
	if note := cell(t, f, sheet, "A1"); !strings.Contains(note, "「授权日期」填日期，格式 YYYY-MM-DD") {
		t.Errorf("note = %q", note)
	}
}
