package xlsx

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/program"
)

// docRows converts a document's table rows into template cells: enums by label.
func docRows(tbl *program.Field, list []any) [][]any {
	var out [][]any
	for _, it := range list {
		m := it.(map[string]any)
		row := make([]any, len(tbl.Columns))
		for j, col := range tbl.Columns {
			v, ok := m[col.Key]
			if !ok {
				continue
			}
			if col.Type == program.TypeEnum {
				v = col.OptionLabel(v.(string))
			}
			row[j] = v
		}
		out = append(out, row)
	}
	return out
}

// withoutEmpty drops the empty texts of rows: an empty cell is an absent key.
func withoutEmpty(list []any) []any {
	out := make([]any, len(list))
	for i, it := range list {
		m := make(map[string]any)
		for k, v := range it.(map[string]any) {
			if v != "" {
				m[k] = v
			}
		}
		out[i] = m
	}
	return out
}

func TestImportRoundTripExample(t *testing.T) {
	p := program.MustDefault()
	doc := exampleDoc(t)
	keys := []string{"equipment.fermentation", "equipment.purification", "equipment.testing",
		"equipment.other", "software", "market.contracts", "market.cases", "goals.targets"}
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			tbl := p.Form.Field(key)
			v, ok := program.Lookup(doc, key)
			if !ok || len(v.([]any)) == 0 {
				t.Fatalf("example has no rows in %s", key)
			}
			want := withoutEmpty(v.([]any))
			f := fill(t, p, key, docRows(tbl, v.([]any)))
			got, err := importBytes(p, key, save(t, f))
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if len(got) != len(want) {
				t.Fatalf("rows = %d, want %d", len(got), len(want))
			}
			for i := range want {
				w := want[i].(map[string]any)
				for _, col := range tbl.Columns {
					gv, gok := got[i][col.Key]
					wv, wok := w[col.Key]
					if gok != wok || !reflect.DeepEqual(gv, wv) {
						t.Errorf("row %d %s = %#v (%v), want %#v (%v)", i, col.Key, gv, gok, wv, wok)
					}
				}
				if len(got[i]) != len(w) {
					t.Errorf("row %d has keys %v, want %v", i, got[i], w)
				}
			}
			// The form accepts the rows in the table.
			d := program.Document{}
			program.Set(d, key, MergeRows(nil, got, true))
			norm, err := p.Form.Normalize(d)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			nv, _ := program.Lookup(norm, key)
			if !reflect.DeepEqual(nv, want) {
				t.Errorf("normalised rows differ:\n got %#v\nwant %#v", nv, want)
			}
		})
	}
}

func TestImportBadCells(t *testing.T) {
	p := program.MustDefault()
	key := "equipment.fermentation"
	f := fill(t, p, key, [][]any{
		{"发酵罐", "甲", 5000, 2, "差距较小", "", "", "2020-06", 460},   // row 3: good
		{"发酵罐", "乙", "五千", 1.5, "差距大", nil, nil, "2021-13", -1}, // row 4: five bad cells
		nil, // row 5: empty, skipped
		{"反应器", "丙", "1,000", "3", "very_large", nil, nil, "2021/3", "12万元"}, // row 6: good
		{"反应器", nil, nil, -2, nil, nil, nil, "三月", nil},                      // row 7: two bad cells
	})
	_, err := importBytes(p, key, save(t, f))
	e := invalid(t, err)
	want := []biopilot.FieldError{
		{Field: "equipment.fermentation[1].volume_l", Message: "第 4 行 C 列「体积（L）」：应为数字，实际为「五千」"},
		{Field: "equipment.fermentation[1].quantity", Message: "第 4 行 D 列「数量」：应为整数，实际为「1.5」"},
		{Field: "equipment.fermentation[1].gap_level", Message: "第 4 行 E 列「差距情况」：应为以下之一：无明显差距、差距较小、差距较大、差距很大；实际为「差距大」"},
		{Field: "equipment.fermentation[1].purchased_on", Message: "第 4 行 H 列「购置时间」：应为年月（YYYY-MM，如 2021-03），实际为不存在的日期「2021-13」"},
		{Field: "equipment.fermentation[1].price_10k_yuan", Message: "第 4 行 I 列「购买价格（万元）」：不能小于 0，实际为 -1"},
		{Field: "equipment.fermentation[3].quantity", Message: "第 7 行 D 列「数量」：不能小于 0，实际为 -2"},
		{Field: "equipment.fermentation[3].purchased_on", Message: "第 7 行 H 列「购置时间」：应为年月（YYYY-MM，如 2021-03），实际为「三月」"},
	}
	if !reflect.DeepEqual(e.Fields, want) {
		t.Errorf("fields:\n got %s\nwant %s", fieldsText(e.Fields), fieldsText(want))
	}
	if e.Field != want[0].Field || e.Message != want[0].Message+"（另有 6 处错误）" {
		t.Errorf("error = %q (%s)", e.Message, e.Field)
	}
}

func fieldsText(fs []biopilot.FieldError) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

func TestImportGoodCells(t *testing.T) {
	p := program.MustDefault()
	key := "equipment.fermentation"
	f := fill(t, p, key, [][]any{
		{" 发酵罐 ", "甲", "１，０００", "3", " 差距 很大 ", nil, nil, "2021年3月", "12万元"},
		{"反应器", nil, "5000L", 2.0, "LARGE", nil, "暂无", "2021.10", " 7.5 "},
	})
	got, err := importBytes(p, key, save(t, f))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"category": "发酵罐", "brand": "甲", "volume_l": 1000.0, "quantity": int64(3), "gap_level": "very_large", "purchased_on": "2021-03", "price_10k_yuan": 12.0},
		{"category": "反应器", "volume_l": 5000.0, "quantity": int64(2), "gap_level": "large", "domestic_suppliers": "暂无", "purchased_on": "2021-10", "price_10k_yuan": 7.5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %#v\nwant %#v", got, want)
	}
}

func TestImportDates(t *testing.T) {
	p := program.MustDefault()
	month := time.Date(2021, 3, 17, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		table, want string
		col         int
		value       any
		format      string // a number format making the cell an Excel date
		bad         string // the expected message, when bad
	}{
		{table: "equipment.fermentation", col: 7, value: "2021-03", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: "2021/3", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: "2021年3月", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: "2021.3", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: "202103", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: "2021-03-17", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: "２０２１－０３", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: month, format: "yyyy-mm", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: month, format: `yyyy"年"m"月"`, want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: month, format: "14", want: "2021-03"},
		{table: "equipment.fermentation", col: 7, value: 2021, bad: "应为年月（YYYY-MM，如 2021-03），实际为数字「2021」；请将单元格设为文本格式后按 YYYY-MM 填写"},
		{table: "equipment.fermentation", col: 7, value: "2021-00", bad: "应为年月（YYYY-MM，如 2021-03），实际为不存在的日期「2021-00」"},
		{table: "equipment.fermentation", col: 7, value: "21-03", bad: "应为年月（YYYY-MM，如 2021-03），实际为「21-03」"},
		{table: "market.contracts", col: 2, value: "2024-02-18", want: "2024-02-18"},
		{table: "market.contracts", col: 2, value: "2024/2/18", want: "2024-02-18"},
		{table: "market.contracts", col: 2, value: "2024年2月18日", want: "2024-02-18"},
		{table: "market.contracts", col: 2, value: "2024.2.18", want: "2024-02-18"},
		{table: "market.contracts", col: 2, value: "20240218", want: "2024-02-18"},
		{table: "market.contracts", col: 2, value: time.Date(2024, 2, 18, 0, 0, 0, 0, time.UTC), format: "yyyy/m/d", want: "2024-02-18"},
		{table: "market.contracts", col: 2, value: time.Date(2024, 2, 18, 0, 0, 0, 0, time.UTC), format: "31", want: "2024-02-18"},
		{table: "market.contracts", col: 2, value: "2024-02-30", bad: "应为日期（YYYY-MM-DD，如 2024-03-15），实际为不存在的日期「2024-02-30」"},
		{table: "market.contracts", col: 2, value: "2024-02", bad: "应为完整的日期（YYYY-MM-DD，如 2024-03-15），实际为「2024-02」，只到月份"},
	} {
		name := fmt.Sprintf("%s/%v/%s", tc.table, tc.value, tc.format)
		t.Run(name, func(t *testing.T) {
			row := make([]any, tc.col+1)
			row[0] = "x"
			row[tc.col] = tc.value
			f := fill(t, p, tc.table, [][]any{row})
			if tc.format != "" {
				var style excelize.Style
				if n, err := strconv.Atoi(tc.format); err == nil {
					style.NumFmt = n
				} else {
					style.CustomNumFmt = &tc.format
				}
				id, err := f.NewStyle(&style)
				if err != nil {
					t.Fatal(err)
				}
				ref := cellName(tc.col, firstData)
				if err := f.SetCellStyle(f.GetSheetList()[0], ref, ref, id); err != nil {
					t.Fatal(err)
				}
			}
			got, err := importBytes(p, tc.table, save(t, f))
			col := p.Form.Field(tc.table).Columns[tc.col]
			if tc.bad != "" {
				e := invalid(t, err)
				want := fmt.Sprintf("第 3 行 %s 列「%s」：%s", colName(tc.col), ColumnHeader(col), tc.bad)
				if len(e.Fields) != 1 || e.Fields[0].Message != want {
					t.Errorf("fields = %s\nwant %s", fieldsText(e.Fields), want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0][col.Key] != tc.want {
				t.Errorf("%s = %#v, want %q", col.Key, got[0][col.Key], tc.want)
			}
		})
	}
}

func TestImportEnums(t *testing.T) {
	p := program.MustDefault()
	key := "software"
	var rows [][]any
	for _, v := range []string{"无明显差距", "small", "差距较大", " Very_Large ", "差距 很大"} {
		rows = append(rows, []any{"系统", nil, nil, nil, v})
	}
	got, err := importBytes(p, key, save(t, fill(t, p, key, rows)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"none", "small", "large", "very_large", "very_large"}
	for i, w := range want {
		if got[i]["gap_level"] != w {
			t.Errorf("row %d gap_level = %v, want %s", i, got[i]["gap_level"], w)
		}
	}
}

// sheetWith writes a workbook whose first sheet has the given rows from A1.
func sheetWith(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", cellName(0, i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	return save(t, f)
}

func TestImportHeaders(t *testing.T) {
	p := program.MustDefault()
	key := "market.contracts"
	// A user's own sheet: a title row, 序号, headers reordered, without units, with
	// spaces and ASCII brackets; a missing column is fine.
	data := sheetWith(t,
		[]any{"2024年合同汇总"},
		[]any{"序号", " 合同名称 ", "合同金额(万元)", "委托方"},
		[]any{1, "乳糖酶中试", 120, "甲公司"},
		[]any{2, "植酸酶中试", "860", "乙公司"},
	)
	got, err := importBytes(p, key, data)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"title": "乳糖酶中试", "amount_10k_yuan": 120.0, "client": "甲公司"},
		{"title": "植酸酶中试", "amount_10k_yuan": 860.0, "client": "乙公司"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %#v, want %#v", got, want)
	}

	for _, tc := range []struct {
		name string
		rows [][]any
		want []string // messages
	}{
		{"unknown", [][]any{{"委托方", "备注", "合同金额"}, {"甲", "x", 1}},
			[]string{"第 1 行 B 列：表头「备注」不是「单项合同及合同金额汇总表」的列；可用的列名：委托方、合同名称、签订日期、合同金额（万元）"}},
		{"repeated", [][]any{{"委托方", "合同金额", "合同金额（万元）"}, {"甲", 1, 2}},
			[]string{"第 1 行 C 列：表头「合同金额（万元）」与 B 列重复"}},
		{"none", [][]any{{"甲", "乙"}, {"丙", "丁"}},
			[]string{"在工作表「Sheet1」的前 10 行中未找到表头：表头应含有以下列名中的一个或多个：委托方、合同名称、签订日期、合同金额（万元）"}},
		{"no data", [][]any{{"委托方", "合同金额"}, {nil, " "}},
			[]string{"工作表「Sheet1」的表头（第 1 行）之下没有数据行"}},
		{"data without a header", [][]any{{"委托方", nil, "合同金额"}, {"甲", "多余", 1}},
			[]string{"第 2 行 B 列：该列没有表头，无法确定「多余」属于哪一列"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importBytes(p, key, sheetWith(t, tc.rows...))
			e := invalid(t, err)
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Message)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("messages = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestImportRowLimit(t *testing.T) {
	p := program.MustDefault()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"委托方", "合同金额"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < MaxImportRows+1; i++ {
		if err := sw.SetRow(cellName(0, i+2), []any{"甲", i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	_, err = importBytes(p, "market.contracts", save(t, f))
	e := invalid(t, err)
	if !strings.Contains(e.Message, "一次最多导入 2000 行") || !strings.Contains(e.Message, "第 2002 行") {
		t.Errorf("message = %q", e.Message)
	}
}

func TestImportNotExcel(t *testing.T) {
	p := program.MustDefault()
	for _, data := range [][]byte{[]byte("客户,金额\n甲,1\n"), nil, []byte("PK\x03\x04broken")} {
		_, err := ImportTable(bytes.NewReader(data), p, "market.contracts")
		e := invalid(t, err)
		if !strings.Contains(e.Message, ".xlsx") {
			t.Errorf("message = %q", e.Message)
		}
	}
	_, err := ImportTable(bytes.NewReader(nil), p, "applicant")
	if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Errorf("unknown table: %v", err)
	}
}

func TestImportTooLarge(t *testing.T) {
	_, err := ImportTable(bytes.NewReader(make([]byte, MaxImportBytes+1)), program.MustDefault(), "market.contracts")
	if biopilot.ErrorCode(err) != biopilot.ETOOLARGE {
		t.Errorf("error = %v, want ETOOLARGE", err)
	}
}

func TestMergeRows(t *testing.T) {
	existing := []any{map[string]any{"client": "旧"}}
	imported := []map[string]any{{"client": "新1"}, {"client": "新2"}}
	got := MergeRows(existing, imported, false)
	want := []any{map[string]any{"client": "旧"}, map[string]any{"client": "新1"}, map[string]any{"client": "新2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("append = %v", got)
	}
	got[0] = nil
	if existing[0] == nil {
		t.Error("append changed the existing slice")
	}
	if got := MergeRows(existing, imported, true); !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("replace = %v", got)
	}
	if got := MergeRows(nil, nil, true); got == nil || len(got) != 0 {
		t.Errorf("replace with nothing = %#v, want an empty slice", got)
	}
}

// TestImportExcelDatesOnManyRows has real Excel dates on successive rows, as Excel
// saves "2021-03" typed into a General cell.
func TestImportExcelDatesOnManyRows(t *testing.T) {
	p := program.MustDefault()
	key := "equipment.testing"
	f := fill(t, p, key, nil)
	sheet := f.GetSheetList()[0]
	format := "mmm-yy"
	id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		t.Fatal(err)
	}
	var want []map[string]any
	for i := 0; i < 12; i++ {
		n := firstData + i
		d := time.Date(2010+i, time.Month(i+1), 1, 0, 0, 0, 0, time.UTC)
		if err := f.SetCellValue(sheet, cellName(0, n), fmt.Sprintf("仪器%d", i)); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellValue(sheet, cellName(8, n), d); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle(sheet, cellName(8, n), cellName(8, n), id); err != nil {
			t.Fatal(err)
		}
		want = append(want, map[string]any{"name": fmt.Sprintf("仪器%d", i), "purchased_on": d.Format("2006-01")})
	}
	got, err := importBytes(p, key, save(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %v\nwant %v", got, want)
	}
}
