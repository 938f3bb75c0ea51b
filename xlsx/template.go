// Package xlsx reads and writes Excel workbooks for the call: the applicant's table
// templates and imports, and the authorities' lists and summaries.
//
// Everything is driven by the program's form definition (tables are fields of type
// "table" with Columns; their labels, units, types and options), so the next
// edition's changed form needs no code change here. The package has no HTTP and no
// SQL: it takes plain values and an io.Writer or io.Reader.
package xlsx

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/program"
)

// Layout of a template: a note row, the header row, then the data rows.
const (
	noteRow   = 1
	headerRow = 2
	firstData = 3
)

// MaxImportRows is the most data rows ImportTable accepts from one sheet.
const MaxImportRows = 2000

// ContentType is the media type of the workbooks this package writes and reads.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// InstructionsSheet is the name of a template's second sheet.
const InstructionsSheet = "填写说明"

// optionsSheet is the hidden sheet holding drop-down lists too long to inline.
const optionsSheet = "选项"

// TableField returns the table field with the given key, or an ENOTFOUND error.
func TableField(p *program.Program, tableKey string) (*program.Field, error) {
	fl := p.Form.Field(tableKey)
	if fl == nil || fl.Type != program.TypeTable {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "申请表中没有名为 %s 的表格", tableKey)
	}
	return fl, nil
}

// ColumnHeader is a column's header in a workbook: its label with the unit in
// full-width brackets ("体积（L）"), or the label alone.
func ColumnHeader(col *program.Field) string {
	if col.Unit == "" {
		return col.Label
	}
	return col.Label + "（" + col.Unit + "）"
}

// SheetName turns a label into a valid sheet name: at most 31 characters, none of
// : \ / ? * [ ].
func SheetName(label string) string {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ':', '\\', '/', '?', '*', '[', ']':
			return '_'
		}
		return r
	}, strings.TrimSpace(label))
	s = strings.Trim(s, "'")
	if utf8.RuneCountInString(s) > 31 {
		s = string([]rune(s)[:31])
	}
	if s == "" {
		s = "Sheet1"
	}
	return s
}

// Template writes a workbook for filling in one table of the form: a sheet named
// after the table with a note row, a frozen header row of the column labels with
// units, drop-down lists for enumerations, number checks and text-formatted date
// columns; and a second sheet "填写说明" describing every column.
func Template(w io.Writer, p *program.Program, tableKey string) error {
	tbl, err := TableField(p, tableKey)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := SheetName(tbl.Label)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	// The instructions come second, before the hidden options sheet if any.
	if _, err := f.NewSheet(InstructionsSheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(tbl.Columns))

	// Note row: one merged cell explaining the format.
	if err := f.SetCellValue(sheet, "A1", templateNote(tbl)); err != nil {
		return err
	}
	if last != "A" {
		if err := f.MergeCell(sheet, "A1", last+"1"); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, "A1", last+"1", st.note); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, noteRow, noteHeight(tbl)); err != nil {
		return err
	}

	dataEnd := firstData + MaxImportRows - 1
	optCol := 0 // columns used on the hidden options sheet
	for i, col := range tbl.Columns {
		name, _ := excelize.ColumnNumberToName(i + 1)
		cell := fmt.Sprintf("%s%d", name, headerRow)
		if err := f.SetCellValue(sheet, cell, ColumnHeader(col)); err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, name, name, columnWidth(col)); err != nil {
			return err
		}
		// Text, date and month columns are formatted as text so that Excel keeps
		// "2021-03" and "0123" as typed.
		if colStyle := st.forInput(col); colStyle != 0 {
			if err := f.SetColStyle(sheet, name, colStyle); err != nil {
				return err
			}
		}
		if help := columnHelp(col); help != "" {
			if err := f.AddComment(sheet, excelize.Comment{Cell: cell, Author: "填写说明",
				Paragraph: []excelize.RichTextRun{{Text: help}}, Width: 240, Height: 90}); err != nil {
				return err
			}
		}
		rng := fmt.Sprintf("%s%d:%s%d", name, firstData, name, dataEnd)
		dv, err := validation(f, col, rng, &optCol)
		if err != nil {
			return err
		}
		if dv != nil {
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
	}
	if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", headerRow), fmt.Sprintf("%s%d", last, headerRow), st.header); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, headerRow, 30); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, frozen(firstData-1)); err != nil {
		return err
	}
	if err := instructions(f, st, tbl); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// templateNote is the text of a template's first row, built from the columns.
func templateNote(tbl *program.Field) string {
	var b strings.Builder
	fmt.Fprintf(&b, "「%s」：从第 %d 行起每行填写一条记录，请勿修改第 %d 行表头。", tbl.Label, firstData, headerRow)
	for _, col := range tbl.Columns {
		h := ColumnHeader(col)
		switch col.Type {
		case program.TypeDate:
			fmt.Fprintf(&b, "「%s」填日期，格式 YYYY-MM-DD（如 2024-03-15）；", h)
		case program.TypeMonth:
			fmt.Fprintf(&b, "「%s」填年月，格式 YYYY-MM（如 2021-03）；", h)
		case program.TypeEnum:
			fmt.Fprintf(&b, "「%s」从下拉列表中选择；", h)
		case program.TypeInteger:
			fmt.Fprintf(&b, "「%s」填整数；", h)
		case program.TypeNumber:
			if col.Unit != "" {
				fmt.Fprintf(&b, "「%s」只填数字，单位为%s；", h, col.Unit)
			}
		}
	}
	s := strings.TrimSuffix(b.String(), "；")
	if !strings.HasSuffix(s, "。") {
		s += "。"
	}
	return s + "详见「" + InstructionsSheet + "」。"
}

func noteHeight(tbl *program.Field) float64 {
	n := utf8.RuneCountInString(templateNote(tbl))
	var width float64
	for _, c := range tbl.Columns {
		width += columnWidth(c)
	}
	perLine := width / 2 // a Chinese character is about two width units
	if perLine < 10 {
		perLine = 10
	}
	lines := float64(n)/perLine + 1
	return 15*lines + 6
}

// columnWidth is a sensible width for a column, in Excel's character units.
func columnWidth(col *program.Field) float64 {
	w := float64(displayWidth(ColumnHeader(col)) + 4)
	min := 12.0
	switch col.Type {
	case program.TypeText:
		min = 18
		if col.Multiline || strings.Contains(col.Label, "描述") || strings.Contains(col.Label, "问题") {
			min = 36
		}
	case program.TypeEnum, program.TypeSet:
		min = 14
		for _, o := range col.Options {
			if ow := float64(displayWidth(o.Label) + 4); ow > min {
				min = ow
			}
		}
	case program.TypeDate:
		min = 14
	}
	if w < min {
		w = min
	}
	if w > 60 {
		w = 60
	}
	return w
}

// displayWidth counts a wide (CJK) character as two columns.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// columnHelp is a column's explanation for a header comment and the instructions.
func columnHelp(col *program.Field) string {
	var parts []string
	if col.Help != "" {
		parts = append(parts, col.Help)
	}
	switch col.Type {
	case program.TypeText:
		parts = append(parts, "文本")
	case program.TypeInteger:
		parts = append(parts, "整数"+rangeText(col))
	case program.TypeNumber:
		parts = append(parts, "数字"+rangeText(col))
	case program.TypeDate:
		parts = append(parts, "日期，格式 YYYY-MM-DD，如 2024-03-15（也接受 2024/3/15、2024年3月15日）")
	case program.TypeMonth:
		parts = append(parts, "年月，格式 YYYY-MM，如 2021-03（也接受 2021/3、2021年3月）")
	case program.TypeEnum:
		parts = append(parts, "从下拉列表中选择："+optionLabels(col.Options, "、"))
	case program.TypeSet:
		parts = append(parts, "可多选，用顿号分隔："+optionLabels(col.Options, "、"))
	case program.TypeBool:
		parts = append(parts, "填「"+trueLabel(col)+"」或「"+falseLabel(col)+"」")
	case program.TypeList:
		parts = append(parts, "多项时每项一行，或用分号分隔")
	}
	if col.Unit != "" {
		parts = append(parts, "单位："+col.Unit)
	}
	return strings.Join(parts, "；")
}

func rangeText(col *program.Field) string {
	switch {
	case col.Min != nil && col.Max != nil:
		return fmt.Sprintf("，%s 至 %s", fmtNum(*col.Min), fmtNum(*col.Max))
	case col.Min != nil:
		return fmt.Sprintf("，不小于 %s", fmtNum(*col.Min))
	case col.Max != nil:
		return fmt.Sprintf("，不大于 %s", fmtNum(*col.Max))
	}
	return ""
}

func optionLabels(opts []program.Option, sep string) string {
	l := make([]string, len(opts))
	for i, o := range opts {
		l[i] = o.Label
	}
	return strings.Join(l, sep)
}

func trueLabel(col *program.Field) string {
	if col.TrueLabel != "" {
		return col.TrueLabel
	}
	return "是"
}

func falseLabel(col *program.Field) string {
	if col.FalseLabel != "" {
		return col.FalseLabel
	}
	return "否"
}

// validation returns the data validation of a column over rng, or nil. Lists too
// long to inline go to the hidden options sheet; optCol counts its used columns.
func validation(f *excelize.File, col *program.Field, rng string, optCol *int) (*excelize.DataValidation, error) {
	h := ColumnHeader(col)
	dv := excelize.NewDataValidation(true)
	dv.Sqref = rng
	switch col.Type {
	case program.TypeEnum, program.TypeBool:
		var labels []string
		if col.Type == program.TypeBool {
			labels = []string{trueLabel(col), falseLabel(col)}
		} else {
			for _, o := range col.Options {
				labels = append(labels, o.Label)
			}
		}
		if err := dv.SetDropList(labels); err != nil {
			ref, err := optionsRange(f, labels, optCol)
			if err != nil {
				return nil, err
			}
			dv.SetSqrefDropList(ref)
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, h, "请从下拉列表中选择："+strings.Join(labels, "、"))
		return dv, nil
	case program.TypeInteger, program.TypeNumber:
		typ := excelize.DataValidationTypeDecimal
		what := "数字"
		if col.Type == program.TypeInteger {
			typ, what = excelize.DataValidationTypeWhole, "整数"
		}
		var err error
		switch {
		case col.Min != nil && col.Max != nil:
			err = dv.SetRange(*col.Min, *col.Max, typ, excelize.DataValidationOperatorBetween)
		case col.Min != nil:
			err = dv.SetRange(*col.Min, 0, typ, excelize.DataValidationOperatorGreaterThanOrEqual)
			dv.Formula2 = ""
		case col.Max != nil:
			err = dv.SetRange(*col.Max, 0, typ, excelize.DataValidationOperatorLessThanOrEqual)
			dv.Formula2 = ""
		default:
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, h, "应为"+what+rangeText(col)+"。")
		return dv, nil
	}
	return nil, nil
}

// optionsRange writes labels into a new column of the hidden options sheet and
// returns the absolute reference of the cells.
func optionsRange(f *excelize.File, labels []string, optCol *int) (string, error) {
	if idx, _ := f.GetSheetIndex(optionsSheet); idx < 0 {
		if _, err := f.NewSheet(optionsSheet); err != nil {
			return "", err
		}
		if err := f.SetSheetVisible(optionsSheet, false); err != nil {
			return "", err
		}
	}
	*optCol++
	name, _ := excelize.ColumnNumberToName(*optCol)
	for i, l := range labels {
		if err := f.SetCellValue(optionsSheet, fmt.Sprintf("%s%d", name, i+1), l); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("'%s'!$%s$1:$%s$%d", optionsSheet, name, name, len(labels)), nil
}

// instructions writes the "填写说明" sheet: general rules, then one row per column.
func instructions(f *excelize.File, st *styles, tbl *program.Field) error {
	s := InstructionsSheet
	lines := []string{
		"「" + tbl.Label + "」导入模板填写说明",
		fmt.Sprintf("1. 在第一张工作表中从第 %d 行起每行填写一条记录；第 %d 行为表头，请勿修改或删除（可删除不需要的列）。", firstData, headerRow),
		"2. 数字列只填数字，不要带单位；金额单位为万元。",
		"3. 日期填 YYYY-MM-DD（如 2024-03-15），年月填 YYYY-MM（如 2021-03）；也接受 2021/3、2021年3月 等写法及 Excel 日期。",
		"4. 带下拉列表的列请从列表中选择；也可填写选项代码。",
		fmt.Sprintf("5. 空行会被跳过；一次最多导入 %d 行。导入时可选择追加到已有行之后，或替换已有的全部行。", MaxImportRows),
		"6. 如有错误，系统会列出每个有误单元格的行号、列号和原因，改正后重新导入即可。",
	}
	for i, l := range lines {
		if err := f.SetCellValue(s, fmt.Sprintf("A%d", i+1), l); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(s, "A1", "A1", st.title); err != nil {
		return err
	}
	row := len(lines) + 2
	head := []any{"列", "表头", "类型", "说明"}
	if err := f.SetSheetRow(s, fmt.Sprintf("A%d", row), &head); err != nil {
		return err
	}
	if err := f.SetCellStyle(s, fmt.Sprintf("A%d", row), fmt.Sprintf("D%d", row), st.header); err != nil {
		return err
	}
	for i, col := range tbl.Columns {
		name, _ := excelize.ColumnNumberToName(i + 1)
		vals := []any{name, ColumnHeader(col), typeLabel(col.Type), columnHelp(col)}
		if err := f.SetSheetRow(s, fmt.Sprintf("A%d", row+1+i), &vals); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(s, fmt.Sprintf("D%d", row+1), fmt.Sprintf("D%d", row+len(tbl.Columns)), st.wrap); err != nil {
		return err
	}
	for col, w := range map[string]float64{"A": 8, "B": 24, "C": 10, "D": 80} {
		if err := f.SetColWidth(s, col, col, w); err != nil {
			return err
		}
	}
	return nil
}

func typeLabel(t string) string {
	switch t {
	case program.TypeText:
		return "文本"
	case program.TypeInteger:
		return "整数"
	case program.TypeNumber:
		return "数字"
	case program.TypeDate:
		return "日期"
	case program.TypeMonth:
		return "年月"
	case program.TypeEnum:
		return "单选"
	case program.TypeSet:
		return "多选"
	case program.TypeBool:
		return "是/否"
	case program.TypeList:
		return "多项文本"
	}
	return t
}

func frozen(rows int) *excelize.Panes {
	return &excelize.Panes{Freeze: true, YSplit: rows, TopLeftCell: fmt.Sprintf("A%d", rows+1), ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: fmt.Sprintf("A%d", rows+1), ActiveCell: fmt.Sprintf("A%d", rows+1), Pane: "bottomLeft"}}}
}
