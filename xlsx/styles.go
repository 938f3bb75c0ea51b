package xlsx

import (
	"fmt"
	"math"

	"github.com/xuri/excelize/v2"

	"biopilot/program"
)

// Fill colours.
const (
	headerFill    = "DDEBF7" // light blue
	highlightFill = "FCE4D6" // light orange-red: a gap without a domestic supplier
	noteFill      = "FFF2CC" // light yellow
)

// DateTimeFormat is the number format of times in the exports (Beijing time).
const DateTimeFormat = "yyyy-mm-dd hh:mm"

// styles are the style ids of one workbook.
type styles struct {
	header, note, title, wrap, text int
	percent, datetime               int
	highlight                       int
	highlightText                   int
	total                           int
}

func newStyles(f *excelize.File) (*styles, error) {
	var st styles
	border := []excelize.Border{
		{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
		{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1},
	}
	text := "@"
	dt := DateTimeFormat
	pct := "0.0%"
	defs := []struct {
		id *int
		s  *excelize.Style
	}{
		{&st.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{headerFill}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&st.note, &excelize.Style{Font: &excelize.Font{Color: "7F6000"},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{noteFill}},
			Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&st.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&st.wrap, &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&st.text, &excelize.Style{CustomNumFmt: &text}},
		{&st.percent, &excelize.Style{CustomNumFmt: &pct}},
		{&st.datetime, &excelize.Style{CustomNumFmt: &dt}},
		{&st.highlight, &excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{highlightFill}}}},
		{&st.highlightText, &excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{highlightFill}},
			Font: &excelize.Font{Bold: true, Color: "C00000"}}},
		{&st.total, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(d.s)
		if err != nil {
			return nil, err
		}
		*d.id = id
	}
	return &st, nil
}

// forInput is the style of a template column: text format for the columns whose
// content Excel would otherwise reinterpret, 0 for the default.
func (st *styles) forInput(col *program.Field) int {
	switch col.Type {
	case program.TypeText, program.TypeDate, program.TypeMonth, program.TypeList:
		return st.text
	}
	return 0
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}
