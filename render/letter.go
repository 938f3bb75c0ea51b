package render

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/signintech/gopdf"

	"biopilot"
	"biopilot/program"
)

// Letter is a city's recommendation letter (推荐函) to the province, jointly issued
// by the city's two authorities (联合行文).
type Letter struct {
	// Number is the 发文字号, e.g. "穗工信函〔2025〕12号".
	Number string
	// City is the city's name (广州市).
	City string
	// Addressee is the 主送机关; 广东省工业和信息化厅 when empty.
	Addressee string
	// Title is the letter's title; 关于推荐生物制造中试能力建设平台的函 when empty.
	Title string
	// Intro is the body's opening paragraph(s), before the list; a sentence citing
	// the program's notice when empty.
	Intro string
	// Items are the recommended applications, in the city's order.
	Items []LetterItem
	// Opinion is the two authorities' joint opinion (推荐意见), after the list.
	Opinion string
	// Authorities are the issuing authorities in order (the city's 工业和信息化局 first,
	// then its 发展和改革局): Holder is the authority's name, printed as the 署名
	// with its seal pressed over it.
	Authorities []Seal
	// Date is the 成文日期.
	Date time.Time
	// CC are the 抄送机关 (广东省发展和改革委员会).
	CC []string
	// Location is the time zone of the date; Beijing time when nil.
	Location *time.Location
}

// LetterItem is one recommended application in a letter.
type LetterItem struct {
	// Order is the city's ranking, from 1.
	Order int
	// OrgName is the applicant's name.
	OrgName string
	// PlatformName is the platform's name.
	PlatformName string
	// Domains are the labels of the domains applied for.
	Domains []string
	// ApplicationNo is the application's number.
	ApplicationNo string
}

// Default texts of a letter.
const (
	DefaultLetterAddressee = "广东省工业和信息化厅"
	DefaultLetterTitle     = "关于推荐生物制造中试能力建设平台的函"
)

// Letter page geometry (GB/T 9704-2012: A4, 版心 156 mm × 225 mm, top margin 37 mm,
// left margin 28 mm), in points.
const (
	mm          = 72 / 25.4
	ltLeft      = 28 * mm
	ltTop       = 37 * mm
	ltWidth     = 156 * mm
	ltBottom    = ltTop + 225*mm
	ltRight     = ltLeft + ltWidth
	ltBody      = 16.0 // 三号
	ltLine      = 26.0 // line pitch of body text
	ltHead      = 24.0 // 发文机关标志
	ltTitleSize = 22.0 // 二号
	ltTable     = 10.5 // 五号
	ltSmall     = 14.0 // 四号: 版记 and page numbers
)

var (
	docRed  = rgb{225, 0, 0}
	ltCols  = []float64{26, 100, 114, 92, ltWidth - 26 - 100 - 114 - 92}
	ltHeads = []string{"序号", "申报单位", "平台名称", "申报领域", "申请编号"}
)

// LetterPDF writes a city's recommendation letter as an A4 PDF in the official
// letter style of GB/T 9704: the red 发文机关标志 with both authorities' names and a
// red rule, the 发文字号, the title, the addressee, the body with a ruled table of
// the recommended applications in order and the joint opinion, both seals pressed
// over the authorities' names and the date, the 抄送 line at the foot of the last
// page, and page numbers "— N —".
func (r *Renderer) LetterPDF(w io.Writer, p *program.Program, l Letter) error {
	lt, err := r.buildLetter(p, l)
	if err != nil {
		return err
	}
	pw := &pdfw{r: r, gp: &gopdf.GoPdf{}}
	pw.gp.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	pw.gp.SetInfo(gopdf.PdfInfo{Title: lt.Title, Subject: lt.Number, Author: strings.Join(lt.Names, "、"),
		Creator: "biopilot", Producer: "biopilot"})
	if err := pw.gp.AddTTFFontFromFontContainer(fontFamily, r.fonts); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	lw := &letterw{pdfw: pw}
	lw.layout(lt)
	if pw.err != nil {
		return pw.err
	}
	_, err = pw.gp.WriteTo(w)
	return err
}

// letter is a Letter checked and cleaned for printing.
type letter struct {
	Number, Title, Addressee string
	Intro, Opinion           []string // paragraphs
	Rows                     [][]string
	Names                    []string
	Seals                    []sealInfo
	Date                     string
	CC                       string
}

func (r *Renderer) buildLetter(p *program.Program, l Letter) (*letter, error) {
	b := &builder{r: r, p: p}
	if len(l.Authorities) == 0 {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "authorities", Message: "推荐函缺少发文机关"}
	}
	if l.Date.IsZero() {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "date", Message: "推荐函缺少成文日期"}
	}
	loc := l.Location
	if loc == nil {
		loc = beijing
	}
	lt := &letter{
		Number:    b.txt(strings.TrimSpace(l.Number), "letter.number"),
		Title:     b.txt(orDefault(l.Title, DefaultLetterTitle), "letter.title"),
		Addressee: b.txt(orDefault(l.Addressee, DefaultLetterAddressee), "letter.addressee"),
		Date:      cnDate(l.Date.In(loc)),
	}
	intro := strings.TrimSpace(l.Intro)
	if intro == "" {
		intro = defaultIntro(p, l)
	}
	lt.Intro = paragraphs(b.txt(intro, "letter.intro"))
	lt.Opinion = paragraphs(b.txt(strings.TrimSpace(l.Opinion), "letter.opinion"))
	for i, it := range l.Items {
		where := fmt.Sprintf("letter.items[%d]", i)
		order := it.Order
		if order <= 0 {
			order = i + 1
		}
		lt.Rows = append(lt.Rows, []string{
			fmt.Sprint(order),
			b.txt(it.OrgName, where+".org_name"),
			b.txt(it.PlatformName, where+".platform_name"),
			b.txt(strings.Join(it.Domains, "、"), where+".domains"),
			b.txt(it.ApplicationNo, where+".application_no"),
		})
	}
	for i, a := range l.Authorities {
		where := fmt.Sprintf("letter.authorities[%d]", i)
		name := b.txt(strings.TrimSpace(a.Holder), where+".holder")
		if name == "" {
			return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: where + ".holder", Message: "推荐函发文机关名称不能为空"}
		}
		lt.Names = append(lt.Names, name)
		lt.Seals = append(lt.Seals, sealInfo{Holder: name, Image: a.Image})
	}
	if len(l.CC) > 0 {
		lt.CC = b.txt("抄送："+strings.Join(l.CC, "，")+"。", "letter.cc")
	}
	if b.err != nil {
		return nil, b.err
	}
	return lt, nil
}

func orDefault(s, def string) string {
	if s = strings.TrimSpace(s); s == "" {
		return def
	}
	return s
}

// defaultIntro cites the program's notice and counts the recommendations.
func defaultIntro(p *program.Program, l Letter) string {
	notice := ""
	if p != nil && p.NoticeTitle != "" {
		notice = "《" + p.NoticeTitle + "》"
		if p.Notice != "" {
			notice += "（" + p.Notice + "）"
		}
	}
	city := l.City
	if city == "" {
		city = "我市"
	}
	return fmt.Sprintf("根据%s要求，%s对申报材料的真实性、完整性、有效性进行了审核，现将推荐的%d个平台（按推荐顺序排列）函报如下：",
		notice, city, len(l.Items))
}

// paragraphs splits text at blank-or-not newlines into non-empty paragraphs.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// letterw lays a letter out.
type letterw struct {
	*pdfw
}

func (w *letterw) page() {
	w.newPage()
	w.y = ltTop
}

// need starts a new page unless h points fit below the cursor.
func (w *letterw) need(h float64) {
	if w.y+h > ltBottom {
		w.page()
	}
}

func (w *letterw) layout(lt *letter) {
	w.page()
	w.header(lt)
	// title: centred, wrapped, a blank line before and after
	w.y += 10
	for _, l := range w.r.wrap(lt.Title, ltTitleSize, ltWidth-2*ltBody) {
		w.textCenter(pageW/2, w.y, l, ltTitleSize, black)
		w.y += ltTitleSize * 1.6
	}
	w.y += ltLine * 0.6
	w.text(ltLeft, w.y, lt.Addressee+"：", ltBody, black)
	w.y += ltLine
	for _, p := range lt.Intro {
		w.paragraph(p)
	}
	w.table(lt.Rows)
	for _, p := range lt.Opinion {
		w.paragraph(p)
	}
	w.signature(lt)
	w.footer(lt)
}

// header draws the 发文机关标志 (the authorities' names, red, centred, with 文件 for a
// joint issue), the red rule and the 发文字号.
func (w *letterw) header(lt *letter) {
	// the longest name sets the size, so that every name fits one line
	size := ltHead
	for _, n := range lt.Names {
		if wd := w.r.width(n, size); wd > ltWidth-60 {
			size = math.Floor(size * (ltWidth - 60) / wd)
		}
	}
	y := 30*mm - 4 // the letter format's 发文机关标志 starts 30 mm from the top
	for _, n := range lt.Names {
		w.textCenter(pageW/2, y, n, size, docRed)
		y += size * 1.3
	}
	y += 8
	// 红色双线: a thick line over a thin one
	w.hline(ltLeft, ltRight, y, docRed, 2.2)
	w.hline(ltLeft, ltRight, y+3.2, docRed, 0.7)
	y += 10
	if lt.Number != "" {
		w.textRight(ltRight-ltBody, y, lt.Number, ltBody, black)
		y += ltLine
	}
	w.y = y
}

// paragraph prints a body paragraph with the first line indented two characters.
func (w *letterw) paragraph(p string) {
	lines := w.r.wrap("\u3000\u3000"+p, ltBody, ltWidth)
	for _, l := range lines {
		w.need(ltLine)
		w.text(ltLeft, w.y+(ltLine-ltBody*lineFactor)/2, l, ltBody, black)
		w.y += ltLine
	}
}

// table draws the ruled list of recommended applications, repeating its heading row
// on each new page.
func (w *letterw) table(rows [][]string) {
	const lh = ltTable * 1.5
	w.y += 4
	heading := func() {
		h := lh + 2*padY
		x := ltLeft
		w.fillRect(ltLeft, w.y, ltWidth, h, fillLabel)
		for i, c := range ltHeads {
			w.strokeRect(x, w.y, ltCols[i], h)
			w.textCenter(x+ltCols[i]/2, w.y+padY+(lh-ltTable*lineFactor)/2, c, ltTable, black)
			x += ltCols[i]
		}
		w.y += h
	}
	w.need(2 * (lh + 2*padY))
	heading()
	if len(rows) == 0 {
		h := lh + 2*padY
		w.strokeRect(ltLeft, w.y, ltWidth, h)
		w.textCenter(pageW/2, w.y+padY+(lh-ltTable*lineFactor)/2, "（无）", ltTable, black)
		w.y += h
	}
	for _, row := range rows {
		cells := make([][]string, len(row))
		n := 1
		for i, c := range row {
			cells[i] = w.r.wrap(c, ltTable, ltCols[i]-2*padX)
			n = max(n, len(cells[i]))
		}
		h := float64(n)*lh + 2*padY
		if w.y+h > ltBottom {
			w.page()
			heading()
		}
		x := ltLeft
		for i, lines := range cells {
			w.strokeRect(x, w.y, ltCols[i], h)
			top := w.y + padY + (float64(n-len(lines))*lh)/2
			for j, l := range lines {
				ty := top + float64(j)*lh + (lh-ltTable*lineFactor)/2
				if i == 0 || i == 4 {
					w.textCenter(x+ltCols[i]/2, ty, l, ltTable, black)
				} else {
					w.text(x+padX, ty, l, ltTable, black)
				}
			}
			x += ltCols[i]
		}
		w.y += h
	}
	w.y += ltLine * 0.5
}

// signature prints the authorities' names side by side in the right part of the
// page with the date under the last, each seal pressed over its name (the last one
// over the name and the date), as GB/T 9704 §7.3.5.2 has it for a joint issue.
func (w *letterw) signature(lt *letter) {
	const radius = 44.0
	n := len(lt.Names)
	// a blank line, the names and the date; the seals reach up into the blank line
	// and the text above it ("上距正文一行之内")
	w.need(3*ltLine + radius/2)
	w.y += ltLine
	colW := ltWidth / float64(max(n, 2))
	nameY := w.y
	centres := make([]float64, n)
	for i, name := range lt.Names {
		cx := ltRight - colW*float64(n-i) + colW/2
		centres[i] = cx
		size := ltBody
		if wd := w.r.width(name, size); wd > colW-8 {
			size = math.Floor(size * (colW - 8) / wd)
		}
		w.textCenter(cx, nameY, name, size, black)
	}
	dateY := nameY + ltLine
	w.textCenter(centres[n-1], dateY, lt.Date, ltBody, black)
	// seals last, over the text: each centred on its name, the last one on its name
	// and the date
	for i, s := range lt.Seals {
		cy := nameY + ltBody*lineFactor/2
		if i == n-1 {
			cy = (nameY + dateY + ltBody*lineFactor) / 2
		}
		w.seal(centres[i], cy, radius, s)
	}
	w.y = dateY + ltLine
}

// footer draws the 版记 (the 抄送 line between two rules) at the foot of the last
// page, and the page numbers "— N —" on every page (right on odd pages, left on
// even ones).
func (w *letterw) footer(lt *letter) {
	if lt.CC != "" {
		lines := w.r.wrap(lt.CC, ltSmall, ltWidth-2*ltSmall)
		h := float64(len(lines))*ltSmall*1.8 + 8
		if w.y+h > ltBottom {
			w.page()
		}
		y := ltBottom - h
		w.hline(ltLeft, ltRight, y, black, 0.8)
		for i, l := range lines {
			w.text(ltLeft+ltSmall, y+4+float64(i)*ltSmall*1.8, l, ltSmall, black)
		}
		w.hline(ltLeft, ltRight, ltBottom, black, 0.8)
	}
	for i := 1; i <= w.pages; i++ {
		if err := w.gp.SetPage(i); err != nil {
			w.err = err
			return
		}
		w.size = 0
		num := fmt.Sprintf("— %d —", i)
		y := ltBottom + 7*mm
		if i%2 == 1 {
			w.textRight(ltRight-ltSmall, y, num, ltSmall, black)
		} else {
			w.text(ltLeft+ltSmall, y, num, ltSmall, black)
		}
	}
}
