package xlsx

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/xuri/excelize/v2"

	"biopilot"
	"biopilot/program"
)

const examplePath = "../../shared/spec/examples/eligible-enzymes.json"

// exampleDoc is the specification's eligible example, decoded by the form.
func exampleDoc(t testing.TB) program.Document {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	doc, err := program.MustDefault().Form.DecodeDocument(data)
	if err != nil {
		t.Fatalf("decode example: %v", err)
	}
	return doc
}

// template returns an opened template of a table.
func template(t *testing.T, p *program.Program, key string) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := Template(&buf, p, key); err != nil {
		t.Fatalf("Template(%s): %v", key, err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("open template: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// save writes a workbook to bytes.
func save(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatalf("write workbook: %v", err)
	}
	return buf.Bytes()
}

// fill fills a table's template with rows of cells from the first data row on; a
// nil cell is left empty.
func fill(t *testing.T, p *program.Program, key string, rows [][]any) *excelize.File {
	t.Helper()
	f := template(t, p, key)
	sheet := f.GetSheetList()[0]
	for i, row := range rows {
		for j, v := range row {
			if v == nil {
				continue
			}
			if err := f.SetCellValue(sheet, cellName(j, firstData+i), v); err != nil {
				t.Fatalf("set cell: %v", err)
			}
		}
	}
	return f
}

// importBytes imports a workbook's bytes into a table.
func importBytes(p *program.Program, key string, data []byte) ([]map[string]any, error) {
	return ImportTable(bytes.NewReader(data), p, key)
}

// invalid asserts err is an EINVALID *biopilot.Error and returns it.
func invalid(t *testing.T, err error) *biopilot.Error {
	t.Helper()
	var e *biopilot.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *biopilot.Error", err)
	}
	if e.Code != biopilot.EINVALID {
		t.Fatalf("code = %s, want %s (%v)", e.Code, biopilot.EINVALID, e)
	}
	return e
}

// cell reads one cell's formatted value.
func cell(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return v
}

// rawCell reads one cell's raw value.
func rawCell(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return v
}

// row reads one row's formatted values, A to the given number of columns.
func row(t *testing.T, f *excelize.File, sheet string, n, cols int) []string {
	t.Helper()
	out := make([]string, cols)
	for j := range out {
		out[j] = cell(t, f, sheet, cellName(j, n))
	}
	return out
}

// fillColor is the first fill colour of a cell's style, or "".
func fillColor(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Fill.Color) == 0 {
		return ""
	}
	return s.Fill.Color[0]
}

func fmtRow(r []string) string { return fmt.Sprintf("%q", r) }
