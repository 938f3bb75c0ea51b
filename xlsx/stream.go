package xlsx

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/program"
)

// column is one column of an exported sheet.
type column struct {
	header string
	width  float64
}

// stream writes one big sheet with the StreamWriter: a styled, frozen header row,
// then the data rows; Close adds the autofilter and flushes.
type stream struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	cols []column
	n    int // rows written, the header included
}

func newStream(f *excelize.File, sheet string, cols []column, st *styles) (*stream, error) {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(frozen(1)); err != nil {
		return nil, err
	}
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return nil, err
		}
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: st.header, Value: c.header}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{Height: 30}); err != nil {
		return nil, err
	}
	return &stream{f: f, sw: sw, cols: cols, n: 1}, nil
}

// row writes the next data row.
func (s *stream) row(vals []any) error {
	s.n++
	cell, _ := excelize.CoordinatesToCellName(1, s.n)
	return s.sw.SetRow(cell, vals)
}

// close sets the autofilter over the header and data, and flushes the sheet.
func (s *stream) close() error {
	last, _ := excelize.ColumnNumberToName(len(s.cols))
	if err := s.f.AutoFilter(s.sw.Sheet, fmt.Sprintf("A1:%s%d", last, s.n), nil); err != nil {
		return err
	}
	return s.sw.Flush()
}

// newBook starts a workbook whose first sheet is named sheet.
func newBook(sheet string) (*excelize.File, *styles, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		f.Close()
		return nil, nil, err
	}
	st, err := newStyles(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// timeCell is a time as an Excel date-time in the program's time zone (Beijing
// time), or nil for the zero time.
func timeCell(p *program.Program, st *styles, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	loc := p.Location()
	if loc == nil {
		loc = biopilot.Beijing
	}
	return excelize.Cell{StyleID: st.datetime, Value: t.In(loc)}
}

// write writes the workbook and closes it.
func write(f *excelize.File, w io.Writer) error {
	_, err := f.WriteTo(w)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// cellStyled is a value with a style.
func cellStyled(style int, v any) excelize.Cell {
	return excelize.Cell{StyleID: style, Value: v}
}
