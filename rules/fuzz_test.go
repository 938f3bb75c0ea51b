package rules

import (
	"os"
	"strings"
	"testing"

	"biopilot"
)

// FuzzDecode feeds arbitrary bytes to the document decoder and the rules: they
// never panic; bytes either decode, and then every rule judges them without a
// rule error, or give a clear Chinese error.
func FuzzDecode(f *testing.F) {
	if data, err := os.ReadFile(examplePath); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		`{}`, `{"site":{"area_m2":1500}}`, `{"domains":["biopharma"],"equipment":{"fermentation":[{"volume_l":5}]}}`,
		`{"applicant":{"uscc":"91440606MA5ABCDE1P"}}`, `{"team":{"fixed_technical":0,"qualified":0}}`,
		`{"market":{"cases":[{"task":"a"}],"contracts":[{"amount_10k_yuan":1e300}]}}`,
		`{"evidence":{"license":[]}}`, `[1]`, `{"a":`, `null`, `{"overview":"\u3000"}`,
	} {
		f.Add([]byte(s))
	}
	form := testEngine.Program().Form
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := form.DecodeDocument(data)
		if err != nil {
			e := biopilot.AsError(err)
			if e == nil || e.Code != biopilot.EINVALID || e.Message == "" {
				t.Fatalf("error %v is not a clear EINVALID", err)
			}
			return
		}
		rep := testEngine.Evaluate(doc)
		switch rep.Verdict {
		case Eligible, Ineligible, Incomplete:
		default:
			t.Fatalf("verdict %q", rep.Verdict)
		}
		for _, r := range rep.Rules {
			if strings.Contains(r.Message, "规则无法计算") {
				t.Fatalf("%s: %s", r.ID, r.Message)
			}
		}
	})
}
