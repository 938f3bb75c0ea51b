package xlsx

import (
	"bytes"
	"strings"
	"testing"

	"biopilot"
	"biopilot/program"
)

// tables lists the form's table fields.
func tables(p *program.Program) []*program.Field {
	var out []*program.Field
	for _, fl := range p.Form.Fields {
		if fl.Type == program.TypeTable {
			out = append(out, fl)
		}
	}
	return out
}

func TestTemplateEveryTable(t *testing.T) {
	p := program.MustDefault()
	if len(tables(p)) < 8 {
		t.Fatalf("form has %d tables, want at least 8", len(tables(p)))
	}
	for _, tbl := range tables(p) {
		t.Run(tbl.Key, func(t *testing.T) {
			f := template(t, p, tbl.Key)
			sheets := f.GetSheetList()
			if sheets[0] != SheetName(tbl.Label) || sheets[1] != InstructionsSheet {
				t.Fatalf("sheets = %q, want [%s %s …]", sheets, SheetName(tbl.Label), InstructionsSheet)
			}
			sheet := sheets[0]
			for i, col := range tbl.Columns {
				if got := cell(t, f, sheet, cellName(i, headerRow)); got != ColumnHeader(col) {
					t.Errorf("header %s = %q, want %q", cellName(i, headerRow), got, ColumnHeader(col))
				}
				w, err := f.GetColWidth(sheet, colName(i))
				if err != nil || w < 8 {
					t.Errorf("column %s width = %v, %v", colName(i), w, err)
				}
			}
			if got := cell(t, f, sheet, cellName(len(tbl.Columns), headerRow)); got != "" {
				t.Errorf("cell after the last header = %q, want empty", got)
			}
			panes, err := f.GetPanes(sheet)
			if err != nil || !panes.Freeze || panes.YSplit != headerRow || panes.TopLeftCell != "A3" {
				t.Errorf("panes = %+v, %v; want the header frozen", panes, err)
			}
			if note := cell(t, f, sheet, "A1"); !strings.Contains(note, tbl.Label) || !strings.Contains(note, "第 3 行") {
				t.Errorf("note = %q", note)
			}
			// The instructions sheet lists every column with its type.
			for i, col := range tbl.Columns {
				if got := cell(t, f, InstructionsSheet, cellName(1, 10+i)); got != ColumnHeader(col) {
					t.Errorf("instructions row %d = %q, want %q", 10+i, got, ColumnHeader(col))
				}
				if got := cell(t, f, InstructionsSheet, cellName(2, 10+i)); got != typeLabel(col.Type) {
					t.Errorf("instructions type %d = %q, want %q", 10+i, got, typeLabel(col.Type))
				}
			}
		})
	}
}

func TestTemplateFermentation(t *testing.T) {
	p := program.MustDefault()
	f := template(t, p, "equipment.fermentation")
	sheet := "发酵或酶催化相关设备"
	want := []string{"类别", "品牌", "体积（L）", "数量", "差距情况", "详细描述", "国内潜在供应商", "购置时间", "购买价格（万元）"}
	if got := row(t, f, sheet, headerRow, len(want)); fmtRow(got) != fmtRow(want) {
		t.Errorf("header = %s, want %s", fmtRow(got), fmtRow(want))
	}
	note := cell(t, f, sheet, "A1")
	for _, s := range []string{"YYYY-MM", "万元", "下拉列表", "填写说明"} {
		if !strings.Contains(note, s) {
			t.Errorf("note %q lacks %q", note, s)
		}
	}
	dvs, err := f.GetDataValidations(sheet)
	if err != nil {
		t.Fatal(err)
	}
	byRange := make(map[string]string)
	for _, dv := range dvs {
		byRange[dv.Sqref] = dv.Type + " " + dv.Formula1
	}
	if got := byRange["E3:E2002"]; got != `list "无明显差距,差距较小,差距较大,差距很大"` {
		t.Errorf("差距情况 validation = %q (all: %v)", got, byRange)
	}
	if got := byRange["C3:C2002"]; !strings.HasPrefix(got, "decimal 0") {
		t.Errorf("体积 validation = %q", got)
	}
	if got := byRange["D3:D2002"]; !strings.HasPrefix(got, "whole 0") {
		t.Errorf("数量 validation = %q", got)
	}
	comments, err := f.GetComments(sheet)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range comments {
		if c.Cell == "C2" {
			text := c.Text
			for _, r := range c.Paragraph {
				text += r.Text
			}
			found = strings.Contains(text, "单罐体积") && strings.Contains(text, "L")
		}
	}
	if !found {
		t.Errorf("no help comment on C2: %+v", comments)
	}
	// Month columns are text so that Excel keeps "2021-03" as typed.
	id, _ := f.GetCellStyle(sheet, "H3")
	st, _ := f.GetStyle(id)
	if st == nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "@" {
		t.Errorf("购置时间 column is not text-formatted: %+v", st)
	}
}

func TestTemplateContractsNote(t *testing.T) {
	f := template(t, program.MustDefault(), "market.contracts")
	note := cell(t, f, "单项合同及合同金额汇总表", "A1")
	if !strings.Contains(note, "YYYY-MM-DD") || !strings.Contains(note, "万元") {
		t.Errorf("note = %q", note)
	}
}

func TestTemplateUnknownTable(t *testing.T) {
	p := program.MustDefault()
	for _, key := range []string{"nope", "applicant.name"} {
		err := Template(&bytes.Buffer{}, p, key)
		if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
			t.Errorf("Template(%s) = %v, want ENOTFOUND", key, err)
		}
	}
}

func TestSheetName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"典型案例（2—3个）", "典型案例（2—3个）"},
		{"a/b:c?[d]*", "a_b_c__d__"},
		{strings.Repeat("长", 40), strings.Repeat("长", 31)},
		{"  ", "Sheet1"},
	} {
		if got := SheetName(tc.in); got != tc.want {
			t.Errorf("SheetName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
