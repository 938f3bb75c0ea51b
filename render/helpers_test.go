package render

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"biopilot/program"
)

const examplePath = "../../shared/spec/examples/eligible-enzymes.json"

// testOutput is where page images are kept for a person to look at (git-ignored).
const testOutput = "../test-output/render"

var (
	rendererOnce sync.Once
	testRenderer *Renderer
	rendererErr  error
)

// renderer returns one Renderer for all tests: the font is parsed once.
func renderer(t testing.TB) *Renderer {
	t.Helper()
	rendererOnce.Do(func() { testRenderer, rendererErr = New() })
	if rendererErr != nil {
		t.Fatalf("New: %v", rendererErr)
	}
	return testRenderer
}

// example returns the default program and the example document, freshly decoded
// (tests may change it).
func example(t testing.TB) (*program.Program, program.Document) {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatalf("read example: %v", err)
	}
	p := program.MustDefault()
	doc, err := p.Form.DecodeDocument(data)
	if err != nil {
		t.Fatalf("decode example: %v", err)
	}
	return p, doc
}

// sampleMeta is a submitted, sealed application.
func sampleMeta() Meta {
	return Meta{
		ApplicationNo: "GD2025-440600-0001",
		SnapshotHash:  "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		VerifyData:    "biopilot-verify:v1:GD2025-440600-0001:66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
		Seals: []Seal{{
			Holder:   "广东示例酶工程有限公司",
			Signer:   "陈立新",
			SignedAt: time.Date(2025, 7, 1, 2, 20, 0, 0, time.UTC),
		}},
	}
}

// needTool returns the path of a poppler tool. When it is missing the test fails
// if BIOPILOT_REQUIRE_TOOLS=1 (CI) and is skipped otherwise.
func needTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("BIOPILOT_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s not found (install poppler-utils): %v", name, err)
		}
		t.Skipf("%s not found (install poppler-utils); set BIOPILOT_REQUIRE_TOOLS=1 to fail instead", name)
	}
	return path
}

// writePDF renders a document to a file in a temporary directory.
func writePDF(t testing.TB, p *program.Program, doc program.Document, m Meta) string {
	t.Helper()
	var buf bytes.Buffer
	if err := renderer(t).FormPDF(&buf, p, doc, m); err != nil {
		t.Fatalf("FormPDF: %v", err)
	}
	path := filepath.Join(t.TempDir(), "form.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tool runs a poppler tool and returns its standard output.
func tool(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(needTool(t, name), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, errb.String())
	}
	return out.String()
}

// pageTexts returns the text of each page (pdftotext -layout), split at form feeds.
func pageTexts(t testing.TB, pdf string) []string {
	t.Helper()
	pages := strings.Split(tool(t, "pdftotext", "-layout", pdf, "-"), "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	return pages
}

// rawText is the text in drawing order (pdftotext -raw) with all white space
// removed: a cell's wrapped lines join up again.
func rawText(t testing.TB, pdf string) string {
	t.Helper()
	return squeeze(tool(t, "pdftotext", "-raw", pdf, "-"))
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// keepPNG renders one page to test-output/render/NAME-N.png at 60 dpi.
func keepPNG(t testing.TB, pdf string, page int, name string) string {
	t.Helper()
	if err := os.MkdirAll(testOutput, 0o755); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(testOutput, name)
	n := strconv.Itoa(page)
	tool(t, "pdftoppm", "-r", "60", "-png", "-singlefile", "-f", n, "-l", n, pdf, prefix)
	return prefix + ".png"
}
