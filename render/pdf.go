package render

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/signintech/gopdf"

	"biopilot/program"
)

// Page geometry, in points (A4).
const (
	pageW    = 595.28
	pageH    = 841.89
	marginX  = 51.0
	top      = 66.0
	bottom   = pageH - 62.0
	contentW = pageW - 2*marginX

	labelWidth     = 92.0
	halfValueWidth = (contentW - 2*labelWidth) / 2

	padX       = 4.0
	padY       = 3.5
	lineFactor = 1.42

	sizeBody    = 10.0
	sizeTable   = 8.0
	sizeSection = 15.0
	lineWidth   = 0.6
)

type rgb struct{ r, g, b uint8 }

var (
	black     = rgb{0, 0, 0}
	gray      = rgb{90, 90, 90}
	sealRed   = rgb{210, 20, 20}
	fillLabel = rgb{242, 242, 242}
	fillGroup = rgb{225, 225, 225}
	fillTitle = rgb{248, 248, 248}
)

// FormPDF writes the filled 申请表 as an A4 PDF.
func (r *Renderer) FormPDF(w io.Writer, p *program.Program, doc program.Document, m Meta) error {
	f, err := r.build(p, doc, m)
	if err != nil {
		return err
	}
	pw := &pdfw{r: r, gp: &gopdf.GoPdf{}}
	pw.gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	// Fast compression: a form of text and rules compresses well at level 1, and
	// rendering (and so every package export) is twice as fast as at the default.
	pw.gp.SetCompressLevel(1)
	pw.gp.SetInfo(gopdf.PdfInfo{Title: f.Title, Subject: f.Applicant, Creator: "biopilot", Producer: "biopilot"})
	if err := pw.gp.AddTTFFontFromFontContainer(fontFamily, r.fonts); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	// nothing may be drawn before the first page: gopdf would make a content
	// stream that belongs to no page, and SetPage would count it.
	pw.cover(f)
	pw.instructions(f)
	for _, s := range f.Sections {
		if s.NewPage {
			pw.newPage()
		}
		pw.section(s)
	}
	pw.pageFurniture(f)
	if pw.err != nil {
		return pw.err
	}
	_, err = pw.gp.WriteTo(w)
	return err
}

// pdfw lays the form out on pages.
type pdfw struct {
	r     *Renderer
	gp    *gopdf.GoPdf
	y     float64
	pages int
	size  float64
	err   error
}

func (w *pdfw) newPage() {
	w.gp.AddPage()
	w.gp.SetLineWidth(lineWidth)
	w.pages++
	w.y = top
	w.size = 0
}

func (w *pdfw) setSize(size float64) {
	if w.size == size {
		return
	}
	if err := w.gp.SetFont(fontFamily, "", size); err != nil && w.err == nil {
		w.err = err
	}
	w.size = size
}

// text draws one line of text whose line box starts at top.
func (w *pdfw) text(x, top float64, s string, size float64, c rgb) {
	if s == "" {
		return
	}
	// gopdf paints text with the fill colour: set both.
	w.gp.SetFillColor(c.r, c.g, c.b)
	w.gp.SetTextColor(c.r, c.g, c.b)
	base := w.baseline(top, size)
	if !strings.ContainsAny(s, "□■") {
		w.show(x, base, s, size)
		return
	}
	start := 0
	for i, ch := range s {
		if !isBox(ch) {
			continue
		}
		x += w.show(x, base, s[start:i], size)
		x += w.show(x, base+boxDrop*size, string(ch), size*boxScale)
		start = i + len(string(ch))
	}
	w.show(x, base, s[start:], size)
}

// show draws s with its baseline at y and returns its width.
func (w *pdfw) show(x, y float64, s string, size float64) float64 {
	if s == "" {
		return 0
	}
	w.setSize(size)
	w.gp.SetXY(x, y)
	if err := w.gp.Text(s); err != nil && w.err == nil {
		w.err = err
	}
	return w.r.width(s, size)
}

// baseline of a line of text in a line box of lineFactor × size starting at top.
func (w *pdfw) baseline(top, size float64) float64 {
	lh := size * lineFactor
	em := w.r.ascent - w.r.descent
	return top + (lh-em*size)/2 + w.r.ascent*size
}

func (w *pdfw) textCenter(cx, top float64, s string, size float64, c rgb) {
	w.text(cx-w.r.width(s, size)/2, top, s, size, c)
}

func (w *pdfw) textRight(rx, top float64, s string, size float64, c rgb) {
	w.text(rx-w.r.width(s, size), top, s, size, c)
}

func (w *pdfw) fillRect(x, y, wd, h float64, c rgb) {
	w.gp.SetFillColor(c.r, c.g, c.b)
	w.gp.RectFromUpperLeftWithStyle(x, y, wd, h, "F")
	w.gp.SetFillColor(0, 0, 0)
}

func (w *pdfw) strokeRect(x, y, wd, h float64) {
	w.gp.SetStrokeColor(0, 0, 0)
	w.gp.SetLineWidth(lineWidth)
	w.gp.RectFromUpperLeftWithStyle(x, y, wd, h, "D")
}

func (w *pdfw) hline(x1, x2, y float64, c rgb, width float64) {
	w.gp.SetStrokeColor(c.r, c.g, c.b)
	w.gp.SetLineWidth(width)
	w.gp.Line(x1, y, x2, y)
	w.gp.SetLineWidth(lineWidth)
	w.gp.SetStrokeColor(0, 0, 0)
}

// cover draws the first page: title, applicant and platform, date, QR code, seal.
func (w *pdfw) cover(f *form) {
	w.newPage()
	w.textCenter(pageW/2, 150, f.Program, 14, black)
	w.textCenter(pageW/2, 190, f.Title, 24, black)

	x := marginX + 24
	right := pageW - marginX - 24
	y := 400.0
	nameY := y
	y = w.underlined(x, right, y, "申请单位名称（加盖公章）：", f.Applicant)
	y = w.underlined(x, right, y+18, f.PlatformLabel+"：", f.Platform)
	date := f.Date
	if date == "" {
		date = blankDate
	}
	w.textCenter(pageW/2, y+70, date, 15, black)

	if len(f.Seals) > 0 {
		// stamped over the end of the applicant's name, as on paper
		lw := w.r.width("申请单位名称（加盖公章）：", 15)
		cx := math.Min(x+lw+w.r.width(f.Applicant, 15)+30, right-40)
		w.seal(cx, nameY+10, 58, f.Seals[0])
	}
	if f.VerifyData != "" {
		const s = 84.0
		qx, qy := pageW-marginX-s, bottom-s-18
		w.qr(qx, qy, s, f.VerifyData)
		w.textCenter(qx+s/2, qy+s+3, "扫码核验", 8, gray)
	}
}

// underlined draws "label value" with the value on ruled lines; returns the next y.
func (w *pdfw) underlined(x, right, y float64, label, value string) float64 {
	const size = 15.0
	lh := size * 1.9
	w.text(x, y, label, size, black)
	vx := x + w.r.width(label, size)
	lines := w.r.wrap(value, size, right-vx-4)
	for i, l := range lines {
		w.text(vx+4, y+(lh-size*lineFactor)/2, l, size, black)
		w.hline(vx, right, y+lh-2, black, 0.8)
		if i < len(lines)-1 {
			y += lh
		}
	}
	return y + lh
}

// instructions draws 填写说明 on its own page.
func (w *pdfw) instructions(f *form) {
	if len(f.Instructions) == 0 {
		return
	}
	w.newPage()
	w.textCenter(pageW/2, 110, "填写说明", 18, black)
	y := 160.0
	const size = 13.0
	for i, s := range f.Instructions {
		num := fmt.Sprintf("%d．", i+1)
		nw := w.r.width(num, size)
		w.text(marginX+24, y, num, size, black)
		for _, l := range w.r.wrap(s, size, contentW-48-nw) {
			w.text(marginX+24+nw, y, l, size, black)
			y += size * 1.9
		}
		y += 6
	}
}

// pageFurniture writes the header (application number, snapshot hash) and the
// footer (第 N 页 共 M 页) on every page, once the page count is known.
func (w *pdfw) pageFurniture(f *form) {
	no := f.ApplicationNo
	if no == "" {
		no = "草稿（未提交）"
	}
	hash := f.Hash
	if hash == "" {
		hash = "无（未提交，无快照）"
	}
	left := "申请编号：" + no
	right := "快照 SM3：" + hash
	for i := 1; i <= w.pages; i++ {
		if err := w.gp.SetPage(i); err != nil {
			w.err = err
			return
		}
		w.size = 0
		w.text(marginX, 28, left, 7.5, gray)
		w.textRight(pageW-marginX, 28, right, 7, gray)
		w.hline(marginX, pageW-marginX, 41, gray, 0.4)
		w.textCenter(pageW/2, pageH-44, fmt.Sprintf("第 %d 页 共 %d 页", i, w.pages), 9, black)
	}
}
