package program

import (
	"fmt"
	"math"
)

// Derived values are declared in the form and computed here, never typed in:
//   - format "percent": Ratio names [numerator, denominator]; the value is their
//     quotient, absent when either is absent or the denominator is 0;
//   - format "yesno": AllOf names fields that must all hold: a set must contain
//     every one of its options, a bool must be true; absent when none is filled.

// DerivedValue is a computed value with its printed text.
type DerivedValue struct {
	Key   string
	Label string
	Value any    // float64 for percent, bool for yesno; nil when it cannot be computed
	Text  string // as printed: "72.7%", "是", "否", or "" when Value is nil
}

// Derive computes the form's derived values for a document, in the form's order.
func (f *Form) Derive(doc Document) []DerivedValue {
	out := make([]DerivedValue, 0, len(f.Derived))
	for _, d := range f.Derived {
		dv := DerivedValue{Key: d.Key, Label: d.Label}
		switch d.Format {
		case "percent":
			num, ok1 := numberAt(doc, d.Ratio[0])
			den, ok2 := numberAt(doc, d.Ratio[1])
			if ok1 && ok2 && den != 0 {
				r := num / den
				dv.Value = r
				dv.Text = fmt.Sprintf("%s%%", trimZeros(math.Round(r*1000)/10))
			}
		case "yesno":
			filled, all := false, true
			for _, key := range d.AllOf {
				v, ok := Lookup(doc, key)
				if !ok {
					all = false
					continue
				}
				filled = true
				switch x := v.(type) {
				case bool:
					all = all && x
				case []any:
					fl := f.Field(key)
					for _, o := range fl.Options {
						if !containsString(x, o.Key) {
							all = false
						}
					}
				}
			}
			if filled {
				dv.Value = all
				dv.Text = map[bool]string{true: "是", false: "否"}[all]
			}
		}
		out = append(out, dv)
	}
	return out
}

func numberAt(doc Document, key string) (float64, bool) {
	v, ok := Lookup(doc, key)
	if !ok {
		return 0, false
	}
	return number(v)
}

func containsString(list []any, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func trimZeros(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
