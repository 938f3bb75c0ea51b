package xlsx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/program"
)

// MaxImportBytes is the largest workbook ImportTable reads.
const MaxImportBytes = 20 << 20

// headerSearchRows is how many rows from the top ImportTable looks for the header in
// (a user's own sheet may have a title row or two above it).
const headerSearchRows = 10

// ignoredHeaders are header cells ImportTable accepts and ignores: a running number
// is in nearly every Chinese spreadsheet and carries no data.
var ignoredHeaders = map[string]bool{"序号": true}

// ImportTable reads the rows of one table of the form from the first sheet of an
// .xlsx workbook. Header cells are matched to columns by label, with or without the
// unit and tolerant of spaces and bracket widths; cells are converted to the
// column's type; fully empty rows are skipped. The rows use the document's keys and
// types (int64, float64, string), so that Form.Normalize accepts them in the table.
//
// Any problem is an *biopilot.Error with Code EINVALID whose Fields list every bad
// cell, each with the sheet row and column letter in the message and a Field like
// "equipment.fermentation[3].volume_l" (the index of the row among those imported).
func ImportTable(r io.Reader, p *program.Program, tableKey string) ([]map[string]any, error) {
	tbl, err := TableField(p, tableKey)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxImportBytes {
		return nil, biopilot.Errorf(biopilot.ETOOLARGE, "Excel 文件不能超过 %d MB", MaxImportBytes>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 16 * MaxImportBytes})
	if err != nil {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: tableKey,
			Message: "无法读取该文件：请上传 Excel 工作簿（.xlsx 格式，未加密）；.xls 文件请先在 Excel 中另存为 .xlsx"}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, biopilot.FieldErrorf(tableKey, "工作簿中没有工作表")
	}
	im := &importer{f: f, sheet: sheets[0], tbl: tbl}
	return im.run()
}

// importer reads one sheet into one table.
type importer struct {
	f     *excelize.File
	sheet string
	tbl   *program.Field
	cols  []*program.Field // by sheet column index (0-based); nil for other columns
	skip  map[int]bool     // columns with an ignored header ("序号")
	errs  []biopilot.FieldError
}

func (im *importer) run() ([]map[string]any, error) {
	rows, err := im.f.Rows(im.sheet)
	if err != nil {
		return nil, biopilot.FieldErrorf(im.tbl.Key, "无法读取工作表「%s」：%v", im.sheet, err)
	}
	defer rows.Close()
	var out []map[string]any
	header := 0 // the header's sheet row, once found
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, biopilot.FieldErrorf(im.tbl.Key, "无法读取工作表「%s」第 %d 行：%v", im.sheet, n, err)
		}
		if header == 0 {
			if n > headerSearchRows {
				break
			}
			if im.isHeader(cells) {
				if err := im.header(cells, n); err != nil {
					return nil, err
				}
				header = n
			}
			continue
		}
		if blank(cells) {
			continue
		}
		if len(out) == MaxImportRows {
			return nil, biopilot.FieldErrorf(im.tbl.Key, "一次最多导入 %d 行，「%s」超过了这个数目（第 %d 行起）；请分批导入", MaxImportRows, im.sheet, n)
		}
		out = append(out, im.row(cells, n, len(out)))
	}
	if err := rows.Error(); err != nil && !errors.Is(err, io.EOF) {
		return nil, biopilot.FieldErrorf(im.tbl.Key, "无法读取工作表「%s」：%v", im.sheet, err)
	}
	if header == 0 {
		return nil, biopilot.FieldErrorf(im.tbl.Key, "在工作表「%s」的前 %d 行中未找到表头：表头应含有以下列名中的一个或多个：%s",
			im.sheet, headerSearchRows, im.headerList())
	}
	if len(im.errs) > 0 {
		e := &biopilot.Error{Code: biopilot.EINVALID, Fields: im.errs, Field: im.errs[0].Field}
		e.Message = im.errs[0].Message
		if len(im.errs) > 1 {
			e.Message = fmt.Sprintf("%s（另有 %d 处错误）", e.Message, len(im.errs)-1)
		}
		return nil, e
	}
	if len(out) == 0 {
		return nil, biopilot.FieldErrorf(im.tbl.Key, "工作表「%s」的表头（第 %d 行）之下没有数据行", im.sheet, header)
	}
	return out, nil
}

// isHeader reports whether a row names at least one column of the table.
func (im *importer) isHeader(cells []string) bool {
	for _, c := range cells {
		if im.match(c) != nil {
			return true
		}
	}
	return false
}

// header maps the header row's cells to columns; unknown or repeated names are an
// error naming each.
func (im *importer) header(cells []string, n int) error {
	im.cols = make([]*program.Field, len(cells))
	im.skip = make(map[int]bool)
	seen := make(map[string]string)
	var errs []biopilot.FieldError
	for i, c := range cells {
		if ignoredHeaders[normHeader(c)] {
			im.skip[i] = true
			continue
		}
		if normHeader(c) == "" {
			continue
		}
		ref := cellRef(i, n)
		col := im.match(c)
		switch {
		case col == nil:
			errs = append(errs, biopilot.FieldError{Field: im.tbl.Key,
				Message: fmt.Sprintf("%s：表头「%s」不是「%s」的列；可用的列名：%s", ref, strings.TrimSpace(c), im.tbl.Label, im.headerList())})
		case seen[col.Key] != "":
			errs = append(errs, biopilot.FieldError{Field: im.tbl.Key,
				Message: fmt.Sprintf("%s：表头「%s」与 %s重复", ref, strings.TrimSpace(c), seen[col.Key])})
		default:
			seen[col.Key] = colName(i) + " 列"
			im.cols[i] = col
		}
	}
	if len(errs) > 0 {
		e := &biopilot.Error{Code: biopilot.EINVALID, Field: im.tbl.Key, Fields: errs, Message: errs[0].Message}
		if len(errs) > 1 {
			e.Message = fmt.Sprintf("%s（另有 %d 处表头错误）", e.Message, len(errs)-1)
		}
		return e
	}
	return nil
}

func (im *importer) headerList() string {
	l := make([]string, len(im.tbl.Columns))
	for i, c := range im.tbl.Columns {
		l[i] = ColumnHeader(c)
	}
	return strings.Join(l, "、")
}

// match returns the column a header cell names, or nil.
func (im *importer) match(cell string) *program.Field {
	h := normHeader(cell)
	if h == "" {
		return nil
	}
	for _, col := range im.tbl.Columns {
		if h == normHeader(col.Label) || h == normHeader(ColumnHeader(col)) || h == strings.ToLower(col.Key) {
			return col
		}
	}
	return nil
}

// normHeader folds what may differ between a header as typed and as defined: white
// space, bracket width, letter case, a required-mark asterisk, a trailing colon.
func normHeader(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case isSpace(r):
			return -1
		case r == '（':
			return '('
		case r == '）':
			return ')'
		}
		return r
	}, s)
	s = strings.Trim(s, "*＊:：")
	return strings.ToLower(s)
}

// row converts one data row. n is its sheet row, idx its index among imported rows.
func (im *importer) row(cells []string, n, idx int) map[string]any {
	out := make(map[string]any)
	for i, raw := range cells {
		if strings.TrimFunc(raw, isSpace) == "" {
			continue
		}
		var col *program.Field
		if i < len(im.cols) {
			col = im.cols[i]
		}
		ref := cellRef(i, n)
		if col == nil {
			if !im.skip[i] {
				im.errs = append(im.errs, biopilot.FieldError{Field: fmt.Sprintf("%s[%d]", im.tbl.Key, idx),
					Message: fmt.Sprintf("%s：该列没有表头，无法确定「%s」属于哪一列", ref, clip(raw))})
			}
			continue
		}
		c := cellInput{raw: raw, numeric: im.numeric(i, n), date: im.dateStyled(i, n)}
		v, msg := convert(col, c)
		if msg != "" {
			im.errs = append(im.errs, biopilot.FieldError{
				Field:   fmt.Sprintf("%s[%d].%s", im.tbl.Key, idx, col.Key),
				Message: fmt.Sprintf("%s「%s」：%s", ref, ColumnHeader(col), msg)})
			continue
		}
		out[col.Key] = v
	}
	return out
}

// numeric reports whether the cell holds a number (not text).
func (im *importer) numeric(i, n int) func() bool {
	return func() bool {
		t, err := im.f.GetCellType(im.sheet, cellName(i, n))
		return err == nil && (t == excelize.CellTypeNumber || t == excelize.CellTypeUnset)
	}
}

// dateStyled reports whether the cell's number format shows a date.
func (im *importer) dateStyled(i, n int) func() bool {
	return func() bool {
		id, err := im.f.GetCellStyle(im.sheet, cellName(i, n))
		if err != nil || id == 0 {
			return false
		}
		s, err := im.f.GetStyle(id)
		if err != nil {
			return false
		}
		custom := ""
		if s.CustomNumFmt != nil {
			custom = *s.CustomNumFmt
		}
		return isDateFormat(s.NumFmt, custom)
	}
}

// MergeRows merges imported rows into a table's existing rows: replace drops the
// existing rows, otherwise the imported ones are appended. The result is a new
// slice, ready to set as the table's value in the document.
func MergeRows(existing []any, imported []map[string]any, replace bool) []any {
	var out []any
	if !replace {
		out = make([]any, 0, len(existing)+len(imported))
		out = append(out, existing...)
	} else {
		out = make([]any, 0, len(imported))
	}
	for _, r := range imported {
		out = append(out, r)
	}
	return out
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimFunc(c, isSpace) != "" {
			return false
		}
	}
	return true
}

func colName(i int) string {
	s, _ := excelize.ColumnNumberToName(i + 1)
	return s
}

func cellName(i, n int) string {
	return fmt.Sprintf("%s%d", colName(i), n)
}

// cellRef is a cell's position in Chinese: "第 5 行 C 列".
func cellRef(i, n int) string {
	return fmt.Sprintf("第 %d 行 %s 列", n, colName(i))
}

// clip shortens a cell's text for a message.
func clip(s string) string {
	s = strings.TrimFunc(s, isSpace)
	if r := []rune(s); len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}
