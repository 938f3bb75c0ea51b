// Package render prints an application document as the filled 申请表: a PDF laid
// out like 附件3 of the notice (cover, 填写说明, the numbered sections as ruled
// tables, the province's opinion) and a print-ready HTML page with the same content.
//
// Everything is driven by the program's form definition: sections, fields, labels,
// units, options and derived values. Text is set in an embedded, subset TrueType
// font covering GBK; a character the font lacks is an error naming the character
// and the field, never a blank box.
package render

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"
	"unicode"

	"github.com/signintech/gopdf"
	"github.com/signintech/gopdf/fontmaker/core"

	"biopilot"
)

//go:embed fonts/wqy-microhei-gbk.ttf
var fontData []byte

// fontFamily is the font's name in the PDF. The six-letter tag marks the embedded
// font as a subset (PDF 32000-1 §9.6.4).
const fontFamily = "BPFORM+WenQuanYiMicroHei"

// Renderer prints application forms. It holds the parsed font and is safe for
// concurrent use; make one per process.
type Renderer struct {
	fonts *gopdf.FontContainer
	adv   map[rune]float64 // advance width of each character, in em
	// ascent and descent of the font, in em (descent negative).
	ascent, descent float64
}

// New parses the embedded font.
func New() (*Renderer, error) {
	var p core.TTFParser
	if err := p.ParseFontData(fontData); err != nil {
		return nil, fmt.Errorf("render: 解析字体：%w", err)
	}
	upem := float64(p.UnitsPerEm())
	widths := p.Widths()
	adv := make(map[rune]float64, len(p.Chars()))
	for code, gid := range p.Chars() {
		if gid == 0 {
			continue
		}
		w := widths[len(widths)-1]
		if int(gid) < len(widths) {
			w = widths[gid]
		}
		adv[rune(code)] = float64(w) / upem
	}
	fc := &gopdf.FontContainer{}
	if err := fc.AddTTFFontData(fontFamily, fontData); err != nil {
		return nil, fmt.Errorf("render: 载入字体：%w", err)
	}
	return &Renderer{
		fonts:   fc,
		adv:     adv,
		ascent:  float64(p.TypoAscender()) / upem,
		descent: float64(p.TypoDescender()) / upem,
	}, nil
}

// Meta is what the document does not hold: the application's number and snapshot,
// the seals applied to it, and the province's opinion.
type Meta struct {
	// ApplicationNo is printed on every page; empty for a draft.
	ApplicationNo string
	// SnapshotHash is the SM3 (hex) of the submitted snapshot, printed on every
	// page; empty for a draft.
	SnapshotHash string
	// Date is the cover date when the document has no declaration.date.
	Date time.Time
	// VerifyData is the content of the cover's QR code (what a verifier needs);
	// no QR code when empty.
	VerifyData string
	// Seals are the applicant's seals: printed on the cover and in the declaration.
	Seals []Seal
	// ProvinceOpinion fills 五、省级工业和信息化主管部门推荐意见; empty lines when nil.
	ProvinceOpinion *Opinion
	// Location is the time zone of printed times; Beijing time when nil.
	Location *time.Location
}

// Seal is an electronic seal applied to the document.
type Seal struct {
	// Holder is the sealing organisation, printed around the drawn seal.
	Holder string
	// Signer is the person who applied it.
	Signer string
	// Image is a PNG or JPEG of the seal; when empty a red round seal is drawn.
	Image []byte
	// SignedAt is when it was applied.
	SignedAt time.Time
}

// Opinion is the province's recommendation opinion (推荐意见).
type Opinion struct {
	Text   string
	Signer string
	Date   time.Time
	// Seals are the province's seals, printed beside its opinion.
	Seals []Seal
}

var beijing = time.FixedZone("CST", 8*3600)

func (m *Meta) loc() *time.Location {
	if m.Location != nil {
		return m.Location
	}
	return beijing
}

// checkText returns an error naming the first character of s that the font lacks.
// field names where the text comes from (a key path of the document).
func (r *Renderer) checkText(s, field string) error {
	for _, c := range s {
		if c == '\n' || c == '\t' || skipRune(c) {
			continue
		}
		if _, ok := r.adv[c]; !ok {
			return &biopilot.Error{
				Code:    biopilot.EINVALID,
				Field:   field,
				Message: fmt.Sprintf("字体缺少字符「%c」（U+%04X），位于 %s", c, c, field),
			}
		}
	}
	return nil
}

// skipRune reports whether a character is dropped from printed text: control
// characters and invisible formatting characters (zero-width spaces and joiners,
// variation selectors, the byte-order mark) that have no glyph of their own.
func skipRune(c rune) bool {
	switch {
	case c == '\t':
		return false
	case unicode.IsControl(c):
		return true
	case c >= 0x200B && c <= 0x200F, c >= 0xFE00 && c <= 0xFE0F, c == 0xFEFF, c == 0x2060:
		return true
	}
	return false
}

// clean returns the printable form of a text value: CR and invisible characters
// removed, tabs as spaces.
func clean(s string) string {
	var b bytes.Buffer
	for _, c := range s {
		switch {
		case c == '\t':
			b.WriteRune(' ')
		case c == '\n':
			b.WriteRune(c)
		case skipRune(c):
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// The font's check boxes (□ ■) are less than half an em: they are printed this
// much larger, lowered by boxDrop em to sit centred on the line.
const (
	boxScale = 1.75
	boxDrop  = 0.31
)

func isBox(c rune) bool { return c == '□' || c == '■' }

// width returns the width of s at the given font size, in points.
func (r *Renderer) width(s string, size float64) float64 {
	w := 0.0
	for _, c := range s {
		a, ok := r.adv[c]
		switch {
		case !ok:
			a = 1
		case isBox(c):
			a *= boxScale
		}
		w += a
	}
	return w * size
}
