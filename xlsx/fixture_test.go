package xlsx

import (
	"os"
	"reflect"
	"testing"

	"biopilot/program"
)

// TestImportLibreOfficeFiles imports workbooks saved by LibreOffice Calc 7.4: two
// from CSV, letting Calc recognise dates and numbers (dates arrive as Excel date
// serials with the format yyyy\-mm\-dd, numbers as numbers, "2021-03" as text), and
// a filled template of equipment.testing opened and saved again by Calc (its note
// row, merged cells, validations and comments as Calc writes them).
func TestImportLibreOfficeFiles(t *testing.T) {
	p := program.MustDefault()
	doc := exampleDoc(t)
	for file, key := range map[string]string{
		"testdata/libreoffice-contracts.xlsx":       "market.contracts",
		"testdata/libreoffice-fermentation.xlsx":    "equipment.fermentation",
		"testdata/libreoffice-resaved-testing.xlsx": "equipment.testing",
	} {
		t.Run(key, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := importBytes(p, key, data)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := program.Lookup(doc, key)
			want := withoutEmpty(v.([]any))
			if !reflect.DeepEqual(MergeRows(nil, got, true), want) {
				t.Errorf("rows:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}
