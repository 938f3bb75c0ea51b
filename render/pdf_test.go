package render

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot"
	"biopilot/program"
)

// printed is how the test expects a table cell to read: written independently of
// the renderer's formatting code.
func printed(col *program.Field, v any) string {
	switch x := v.(type) {
	case string:
		switch col.Type {
		case program.TypeEnum:
			return col.OptionLabel(x)
		case program.TypeMonth:
			t, _ := time.Parse("2006-01", x)
			return fmt.Sprintf("%d年%d月", t.Year(), t.Month())
		case program.TypeDate:
			t, _ := time.Parse("2006-01-02", x)
			return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
		}
		return strings.TrimSpace(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func TestFormPDFExample(t *testing.T) {
	p, doc := example(t)
	m := sampleMeta()
	pdf := writePDF(t, p, doc, m)

	// page count, and the furniture of every page
	info := tool(t, "pdfinfo", pdf)
	mm := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(info)
	if mm == nil {
		t.Fatalf("pdfinfo gave no page count:\n%s", info)
	}
	n, _ := strconv.Atoi(mm[1])
	if n < 6 || n > 14 {
		t.Errorf("pages = %d, want a form of 6 to 14 pages", n)
	}
	if !strings.Contains(info, "A4") {
		t.Errorf("page size is not A4:\n%s", info)
	}
	pages := pageTexts(t, pdf)
	if len(pages) != n {
		t.Fatalf("pdftotext found %d pages, pdfinfo %d", len(pages), n)
	}
	for i, pg := range pages {
		s := squeeze(pg)
		if want := fmt.Sprintf("第%d页共%d页", i+1, n); !strings.Contains(s, want) {
			t.Errorf("page %d lacks the footer %q", i+1, want)
		}
		if !strings.Contains(s, m.ApplicationNo) || !strings.Contains(s, m.SnapshotHash) {
			t.Errorf("page %d lacks the application number or the snapshot hash", i+1)
		}
	}
	if !strings.Contains(pages[0], "申请单位名称（加盖公章）") || !strings.Contains(pages[0], "2025年7月1日") {
		t.Errorf("cover lacks the applicant line or the date:\n%s", pages[0])
	}
	if !strings.Contains(squeeze(pages[1]), "填写说明") {
		t.Errorf("page 2 is not 填写说明:\n%s", pages[1])
	}

	all := squeeze(strings.Join(pages, ""))
	titles := []string{"生物制造中试能力建设平台申请表", "填写说明", "五、省级工业和信息化主管部门推荐意见"}
	for _, s := range p.Form.Sections {
		titles = append(titles, s.Title)
	}
	for _, g := range []string{"基本情况", "技术设备条件", "公共基础条件", "运营管理", "知识产权保护", "市场服务"} {
		titles = append(titles, g)
	}
	for _, s := range titles {
		if !strings.Contains(all, squeeze(s)) {
			t.Errorf("section title %q not in the PDF", s)
		}
	}
	for i, s := range p.Form.Instructions {
		if !strings.Contains(all, squeeze(s)) {
			t.Errorf("instruction %d not in the PDF", i+1)
		}
	}

	raw := rawText(t, pdf)
	cells := 0
	for _, fl := range p.Form.Fields {
		v, ok := program.Lookup(doc, fl.Key)
		if !ok {
			continue
		}
		switch fl.Type {
		case program.TypeTable:
			for _, c := range fl.Columns {
				if !strings.Contains(raw, squeeze(c.Label)) {
					t.Errorf("%s: column header %q not in the PDF", fl.Key, c.Label)
				}
			}
			for i, r := range v.([]any) {
				for _, c := range fl.Columns {
					cv, ok := r.(map[string]any)[c.Key]
					if !ok {
						continue
					}
					want := squeeze(printed(c, cv))
					if want == "" {
						continue
					}
					cells++
					if !strings.Contains(raw, want) {
						t.Errorf("%s[%d].%s: %q not in the PDF", fl.Key, i, c.Key, want)
					}
				}
			}
		case program.TypeText:
			if s := squeeze(v.(string)); s != "" && !strings.Contains(raw, s) {
				t.Errorf("%s: %q not in the PDF", fl.Key, s)
			}
		}
		if !strings.Contains(raw, squeeze(fl.Label)) {
			t.Errorf("%s: label %q not in the PDF", fl.Key, fl.Label)
		}
	}
	if cells < 200 {
		t.Errorf("checked only %d table cells", cells)
	}
	// derived values are printed: 16 of 22 people, every facility and its rules
	for _, s := range []string{"占总人数比重72.7%", "具备中试现场条件是"} {
		if !strings.Contains(raw, s) {
			t.Errorf("derived value %q not in the PDF", s)
		}
	}
	// check boxes: 民营企业 chosen, the other kinds not
	if !strings.Contains(raw, "高校□科研机构□国有企业□民营企业■") {
		t.Errorf("申报单位属性 check boxes not as expected")
	}
	// the seal's caption and the verification QR caption
	for _, s := range []string{"电子签章：广东示例酶工程有限公司", "签章人：陈立新", "2025年7月1日10:20（北京时间）", "扫码核验"} {
		if !strings.Contains(raw, s) {
			t.Errorf("%q not in the PDF", s)
		}
	}

	// every font embedded, subset, with a ToUnicode map
	fonts := tool(t, "pdffonts", pdf)
	lines := strings.Split(strings.TrimSpace(fonts), "\n")
	if len(lines) < 3 {
		t.Fatalf("pdffonts lists no font:\n%s", fonts)
	}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) < 7 || f[len(f)-5] != "yes" || f[len(f)-4] != "yes" || f[len(f)-3] != "yes" {
			t.Errorf("font not embedded, subset and mapped to Unicode: %s", l)
		}
	}

	// page images for a person to look at: the cover and the equipment page
	keepPNG(t, pdf, 1, "example-page1")
	for i, pg := range pages {
		if strings.Contains(pg, "检验设备") {
			keepPNG(t, pdf, i+1, "example-equipment")
			break
		}
	}
}

func TestRareCharacters(t *testing.T) {
	p, doc := example(t)
	program.Set(doc, "applicant.name", "广州堃喆生物科技有限公司")
	program.Set(doc, "applicant.legal_rep.name", "王昇珺")
	program.Set(doc, "platform.head.name", "欧阳堃")
	pdf := writePDF(t, p, doc, Meta{})
	raw := rawText(t, pdf)
	for _, s := range []string{"广州堃喆生物科技有限公司", "王昇珺", "欧阳堃"} {
		if !strings.Contains(raw, s) {
			t.Errorf("%q not in the PDF", s)
		}
	}
	keepPNG(t, pdf, 3, "rare-characters-page3")
}

func TestMissingGlyphIsAnError(t *testing.T) {
	r := renderer(t)
	tests := []struct {
		key, value, field string
	}{
		{"applicant.name", "王𠀾科技有限公司", "applicant.name"},
		{"platform.business_scope", "发酵\u2603服务", "platform.business_scope"},
		{"equipment.testing", "", "equipment.testing[1].name"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			p, doc := example(t)
			want := "「𠀾」（U+2003E）"
			if tt.value != "" {
				program.Set(doc, tt.key, tt.value)
				if strings.ContainsRune(tt.value, '\u2603') {
					want = "「☃」（U+2603）"
				}
			} else {
				rows, _ := program.Lookup(doc, tt.key)
				rows.([]any)[1].(map[string]any)["name"] = "𠀾色谱仪"
			}
			for _, format := range []string{"pdf", "html"} {
				var buf bytes.Buffer
				var err error
				if format == "pdf" {
					err = r.FormPDF(&buf, p, doc, Meta{})
				} else {
					err = r.FormHTML(&buf, p, doc, Meta{})
				}
				var be *biopilot.Error
				if !errors.As(err, &be) {
					t.Fatalf("%s: err = %v, want *biopilot.Error", format, err)
				}
				if be.Code != biopilot.EINVALID || be.Field != tt.field {
					t.Errorf("%s: code %s field %q, want invalid %q", format, be.Code, be.Field, tt.field)
				}
				if msg := "字体缺少字符" + want + "，位于 " + tt.field; be.Message != msg {
					t.Errorf("%s: message %q, want %q", format, be.Message, msg)
				}
				if buf.Len() != 0 {
					t.Errorf("%s: %d bytes written despite the error", format, buf.Len())
				}
			}
		})
	}
}

// overview800 is 800 characters of prose with Latin words, digits and
// punctuation where lines may break.
func overview800() string {
	base := "平台依托公司酶制剂研发中心建设，2019年建成投运，拥有发酵、提取纯化、制剂和检测四个功能区（总面积2600平方米），面向酶制剂和食品配料企业提供菌种发酵放大、工艺优化、分离纯化和样品试制等开放中试服务；采用DCS控制系统与MES平台，已形成从5L到5000L的逐级放大能力。"
	var b strings.Builder
	n := 0
	for n < 800 {
		for _, c := range base {
			if n == 800 {
				break
			}
			b.WriteRune(c)
			n++
		}
	}
	return b.String()
}

func TestLongOverviewWraps(t *testing.T) {
	p, doc := example(t)
	ov := overview800()
	if program.CountChars(ov) != 800 {
		t.Fatalf("overview has %d characters", program.CountChars(ov))
	}
	program.Set(doc, "overview", ov)
	pdf := writePDF(t, p, doc, Meta{})
	raw := rawText(t, pdf)
	if !strings.Contains(raw, squeeze(ov)) {
		i := 0
		for i < len(ov) && strings.Contains(raw, squeeze(ov[:i+1])) {
			i++
		}
		t.Errorf("the 800-character overview did not come back whole; first difference near byte %d: %q", i, ov[max(0, i-12):min(len(ov), i+12)])
	}
}

func TestRepeatedTableHeader(t *testing.T) {
	p, doc := example(t)
	var rows []any
	for i := 1; i <= 60; i++ {
		rows = append(rows, map[string]any{
			"name": fmt.Sprintf("检验仪器%03d", i), "brand": "示例", "model": fmt.Sprintf("M-%d", i),
			"key_params": "检测限0.1μg/L", "quantity": int64(1), "gap_level": "small",
			"domestic_suppliers": "国内多家", "purchased_on": "2021-05", "price_10k_yuan": 12.5,
		})
	}
	program.Set(doc, "equipment.testing", rows)
	pdf := writePDF(t, p, doc, Meta{})
	pages := pageTexts(t, pdf)
	seen := map[string]bool{}
	spans := 0
	for i, pg := range pages {
		names := regexp.MustCompile(`检验仪器\d{3}`).FindAllString(pg, -1)
		if len(names) == 0 {
			continue
		}
		spans++
		for _, n := range names {
			seen[n] = true
		}
		s := squeeze(pg)
		if !strings.Contains(s, "仪器名称") || !strings.Contains(s, "主要参数") || !strings.Contains(s, "购买价格（万元）") {
			t.Errorf("page %d has rows of 检验设备 without the table header", i+1)
		}
		if spans > 1 && !strings.Contains(s, "检验设备（续）") {
			t.Errorf("page %d continues 检验设备 without saying so", i+1)
		}
	}
	if spans < 2 {
		t.Errorf("60 rows spanned %d page(s), want at least 2", spans)
	}
	if len(seen) != 60 {
		t.Errorf("%d of 60 rows printed", len(seen))
	}
	for i, pg := range pages {
		if strings.Contains(pg, "检验设备（续）") {
			keepPNG(t, pdf, i, "testing-60-rows-a")
			keepPNG(t, pdf, i+1, "testing-60-rows-b")
			break
		}
	}
}

// redSquare is a PNG seal image.
func redSquare(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for y := range 40 {
		for x := range 40 {
			img.Set(x, y, color.RGBA{200, 0, 0, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSealsAndProvinceOpinion(t *testing.T) {
	p, doc := example(t)
	m := sampleMeta()
	m.Seals = append(m.Seals, Seal{Holder: "图片印章", Image: redSquare(t)})
	m.ProvinceOpinion = &Opinion{
		Text:   "经复核，该平台符合培育指南要求，同意推荐。",
		Signer: "张某某",
		Date:   time.Date(2025, 7, 20, 9, 0, 0, 0, beijing),
		Seals:  []Seal{{Holder: "广东省工业和信息化厅", Signer: "张某某", SignedAt: time.Date(2025, 7, 20, 1, 0, 0, 0, time.UTC)}},
	}
	pdf := writePDF(t, p, doc, m)
	raw := rawText(t, pdf)
	for _, s := range []string{"经复核，该平台符合培育指南要求，同意推荐。", "负责人：张某某", "2025年7月20日", "电子签章：广东省工业和信息化厅", "电子签章：图片印章", "2025年7月20日09:00（北京时间）"} {
		if !strings.Contains(raw, s) {
			t.Errorf("%q not in the PDF", s)
		}
	}
	pages := pageTexts(t, pdf)
	for i, pg := range pages {
		if strings.Contains(pg, "推荐意见") {
			keepPNG(t, pdf, i+1, "declaration-opinion")
		}
	}

	m.Seals = []Seal{{Holder: "坏图片", Image: []byte("not an image")}}
	if err := renderer(t).FormPDF(&bytes.Buffer{}, p, doc, m); err == nil || !strings.Contains(err.Error(), "坏图片") {
		t.Errorf("a bad seal image: err = %v, want an error naming the seal", err)
	}
}

func TestDraftAndEmptyDocument(t *testing.T) {
	p, _ := example(t)
	pdf := writePDF(t, p, program.Document{}, Meta{})
	raw := rawText(t, pdf)
	for _, s := range []string{"申请编号：草稿（未提交）", "快照SM3：无（未提交，无快照）", "年月日", "高校□科研机构□国有企业□民营企业□"} {
		if !strings.Contains(raw, s) {
			t.Errorf("%q not in the PDF of an empty draft", s)
		}
	}
}

func TestNextEditionPrintsWithoutCodeChanges(t *testing.T) {
	p := nextEdition(t)
	_, doc := example(t)
	program.Set(doc, "platform.website", "https://pilot.example.cn")
	pdf := writePDF(t, p, doc, Meta{})
	raw := rawText(t, pdf)
	for _, s := range []string{"平台网址", "https://pilot.example.cn", "五、附加说明", "六、省级工业和信息化主管部门推荐意见", "补充材料说明"} {
		if !strings.Contains(raw, squeeze(s)) {
			t.Errorf("%q not in the next edition's PDF", s)
		}
	}
}

func TestConcurrentRenders(t *testing.T) {
	p, doc := example(t)
	r := renderer(t)
	var want bytes.Buffer
	if err := r.FormPDF(&want, p, doc, sampleMeta()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			if err := r.FormPDF(&buf, p, doc, sampleMeta()); err != nil {
				errs <- err
				return
			}
			if buf.Len() < want.Len()/2 {
				errs <- fmt.Errorf("a concurrent render gave %d bytes, the first %d", buf.Len(), want.Len())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkFormPDF renders the full example 申请表; the font is parsed once.
// Target: ≤ 50 ms median on one core (go test -bench FormPDF -cpu 1 -count 5).
func BenchmarkFormPDF(b *testing.B) {
	p, doc := example(b)
	r := renderer(b)
	m := sampleMeta()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := r.FormPDF(&buf, p, doc, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFormHTML renders the example as HTML.
func BenchmarkFormHTML(b *testing.B) {
	p, doc := example(b)
	r := renderer(b)
	m := sampleMeta()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := r.FormHTML(&buf, p, doc, m); err != nil {
			b.Fatal(err)
		}
	}
}
