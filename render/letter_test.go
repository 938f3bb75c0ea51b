package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/program"
)

// sampleLetter is 广州's recommendation of n applications.
func sampleLetter(n int) Letter {
	l := Letter{
		Number:  "穗工信函〔2025〕12号",
		City:    "广州市",
		Opinion: "经审核，上述平台申报材料真实、完整、有效，符合申报条件，我局（委）同意推荐。\n请予审核。",
		Date:    time.Date(2025, 7, 8, 1, 0, 0, 0, time.UTC),
		CC:      []string{"广东省发展和改革委员会"},
		Authorities: []Seal{{Holder: "广州市工业和信息化局", Signer: "李明"},
			{Holder: "广州市发展和改革委员会", Signer: "王芳"}},
	}
	for i := range n {
		l.Items = append(l.Items, LetterItem{
			Order:         i + 1,
			OrgName:       fmt.Sprintf("广州第%d生物科技有限公司", i+1),
			PlatformName:  fmt.Sprintf("合成生物第%d号酶制剂与食品配料中试平台", i+1),
			Domains:       []string{"酶制剂领域", "食品及添加剂领域"},
			ApplicationNo: fmt.Sprintf("GD2025-440100-%04d", i+1),
		})
	}
	return l
}

func writeLetter(t testing.TB, l Letter) string {
	t.Helper()
	var buf bytes.Buffer
	if err := renderer(t).LetterPDF(&buf, program.MustDefault(), l); err != nil {
		t.Fatalf("LetterPDF: %v", err)
	}
	path := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLetterPDF(t *testing.T) {
	l := sampleLetter(3)
	pdf := writeLetter(t, l)
	pages := pageTexts(t, pdf)
	if len(pages) != 1 {
		t.Fatalf("a letter of 3 applications has %d pages, want 1", len(pages))
	}
	raw := rawText(t, pdf)
	// the parts of the letter, in the order of GB/T 9704
	parts := []string{
		"广州市工业和信息化局", "广州市发展和改革委员会", // 发文机关标志
		"穗工信函〔2025〕12号",
		"关于推荐生物制造中试能力建设平台的函",
		"广东省工业和信息化厅：",
		"根据《关于开展生物制造中试能力建设平台培育工作的通知》（粤工信消费函〔2025〕58号）要求",
		"现将推荐的3个平台",
		"序号申报单位平台名称申报领域申请编号",
	}
	for i := range 3 {
		parts = append(parts, fmt.Sprintf("%d广州第%d生物科技有限公司", i+1, i+1))
	}
	parts = append(parts, "经审核，上述平台申报材料真实、完整、有效", "请予审核。",
		"2025年7月8日", "抄送：广东省发展和改革委员会。", "—1—")
	at := 0
	for _, p := range parts {
		i := strings.Index(raw[at:], p)
		if i < 0 {
			t.Fatalf("%q is missing or out of order after position %d in:\n%s", p, at, raw)
		}
		at += i + len(p)
	}
	for i := range 3 {
		for _, s := range []string{fmt.Sprintf("合成生物第%d号酶制剂与食品配料中试平台", i+1),
			fmt.Sprintf("GD2025-440100-%04d", i+1), "酶制剂领域、食品及添加剂领域"} {
			if !strings.Contains(raw, s) {
				t.Errorf("row %d lacks %q", i+1, s)
			}
		}
	}
	// both names appear twice (header and signature)
	for _, a := range l.Authorities {
		if n := strings.Count(raw, a.Holder); n < 3 { // header, 署名, seal ring (one letter a glyph)
			if n < 2 {
				t.Errorf("%s printed %d times, want in the header and the signature", a.Holder, n)
			}
		}
	}
	info := tool(t, "pdfinfo", pdf)
	if !strings.Contains(info, "A4") || !strings.Contains(info, "关于推荐生物制造中试能力建设平台的函") {
		t.Errorf("pdfinfo: want A4 and the title:\n%s", info)
	}
	keepPNG(t, pdf, 1, "letter-1")
}

func TestLetterPDFManyPages(t *testing.T) {
	l := sampleLetter(40)
	pdf := writeLetter(t, l)
	pages := pageTexts(t, pdf)
	if len(pages) < 3 {
		t.Fatalf("40 applications fit %d pages; want at least 3", len(pages))
	}
	for i, pg := range pages {
		s := squeeze(pg)
		if want := fmt.Sprintf("—%d—", i+1); !strings.Contains(s, want) {
			t.Errorf("page %d lacks its number %q", i+1, want)
		}
		if !strings.Contains(s, "序号申报单位") {
			t.Errorf("page %d lacks the table heading", i+1)
		}
	}
	raw := rawText(t, pdf)
	// every row, in the city's order
	last := -1
	for i := range 40 {
		at := strings.Index(raw, fmt.Sprintf("GD2025-440100-%04d", i+1))
		if at < 0 || at < last {
			t.Fatalf("row %d missing or out of order", i+1)
		}
		last = at
	}
	lastPage := squeeze(pages[len(pages)-1])
	for _, s := range []string{"2025年7月8日", "抄送：广东省发展和改革委员会。"} {
		if !strings.Contains(lastPage, s) {
			t.Errorf("the last page lacks %q", s)
		}
	}
	if strings.Contains(squeeze(pages[0]), "抄送") {
		t.Error("抄送 printed on the first page of a long letter")
	}
	n, _ := strconv.Atoi(regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(tool(t, "pdfinfo", pdf))[1])
	if n != len(pages) {
		t.Errorf("pdfinfo %d pages, pdftotext %d", n, len(pages))
	}
	keepPNG(t, pdf, 2, "letter-2")
}

func TestLetterPDFErrors(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Letter)
		field string
	}{
		{"no authorities", func(l *Letter) { l.Authorities = nil }, "authorities"},
		{"no date", func(l *Letter) { l.Date = time.Time{} }, "date"},
		{"blank authority", func(l *Letter) { l.Authorities[1].Holder = " " }, "letter.authorities[1].holder"},
		{"missing glyph", func(l *Letter) { l.Items[1].OrgName = "广州\U0001F600公司" }, "letter.items[1].org_name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := sampleLetter(2)
			c.edit(&l)
			var buf bytes.Buffer
			err := renderer(t).LetterPDF(&buf, program.MustDefault(), l)
			e := biopilot.AsError(err)
			if e == nil || e.Code != biopilot.EINVALID || e.Field != c.field {
				t.Fatalf("err = %v, want EINVALID naming %s", err, c.field)
			}
			if buf.Len() != 0 {
				t.Error("something was written despite the error")
			}
		})
	}
}

func BenchmarkLetterPDF(b *testing.B) {
	l := sampleLetter(20)
	r := renderer(b)
	p := program.MustDefault()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := r.LetterPDF(&buf, p, l); err != nil {
			b.Fatal(err)
		}
	}
}
