package render

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"biopilot/program"
)

// Check marks of options: the chosen one and the others.
const (
	boxOn  = "■"
	boxOff = "□"
)

// blankDate is printed where a date is to be written by hand.
const blankDate = "　　年　　月　　日"

// form is the printed content of one document, shared by the PDF and the HTML.
type form struct {
	Program       string // the call's title, above the form's title
	Title         string // 生物制造中试能力建设平台申请表
	Applicant     string
	PlatformLabel string
	Platform      string
	Date          string
	Instructions  []string
	Sections      []section
	ApplicationNo string
	Hash          string
	VerifyData    string
	Seals         []sealInfo // the applicant's
}

// section is one part of the form. Either Rows (a ruled table) or Block (fixed
// text with a signature: the declaration and the province's opinion).
type section struct {
	Title string
	// NewPage starts the section on a new page (all but the opinion, which
	// follows the declaration).
	NewPage bool
	Rows    []row
	Block   *signBlock
}

// signBlock is a declaration or an opinion: text, then signature lines, the seal
// and the date.
type signBlock struct {
	Heading string   // "（申报单位）… 郑重声明："
	Text    string   // the fixed text or the opinion; empty: lines to write on
	Lines   []string // printed left-aligned after the text
	Sign    []string // right-aligned: "负责人：…"
	Date    string
	Seals   []sealInfo
}

type sealInfo struct {
	Holder  string
	Image   []byte
	Caption string // 签章人 and time
}

type rowKind int

const (
	rowPairs rowKind = iota // one or two label/value pairs
	rowGroup                // a group heading across the table
	rowTable                // a table of the form
)

type row struct {
	Kind  rowKind
	Title string
	Pairs []pair
	Table *table
}

type pair struct {
	Label   string
	Value   string
	Derived bool // computed, never typed
}

type table struct {
	Title  string
	Cols   []string
	Center []bool // centre the column (numbers, dates, choices)
	Rows   [][]string
}

// builder turns a document into a form, checking every printed character.
type builder struct {
	r   *Renderer
	p   *program.Program
	doc program.Document
	loc *time.Location
	err error
}

// txt cleans a text and checks that the font has each of its characters.
func (b *builder) txt(s, where string) string {
	s = clean(s)
	if b.err == nil {
		b.err = b.r.checkText(s, where)
	}
	return s
}

func (r *Renderer) build(p *program.Program, doc program.Document, m Meta) (*form, error) {
	if p == nil || p.Form == nil {
		return nil, fmt.Errorf("render: 没有申请表定义")
	}
	if doc == nil {
		doc = program.Document{}
	}
	b := &builder{r: r, p: p, doc: doc, loc: m.loc()}
	f := &form{
		Program:       b.txt(p.Title, "program.title"),
		Title:         b.txt(p.ShortTitle+"申请表", "program.short_title"),
		Applicant:     b.str("applicant.name"),
		PlatformLabel: "中试能力建设平台名称",
		Platform:      b.str("platform.name"),
		ApplicationNo: b.txt(m.ApplicationNo, "meta.application_no"),
		Hash:          b.txt(m.SnapshotHash, "meta.snapshot_hash"),
		VerifyData:    m.VerifyData,
	}
	if fl := p.Form.Field("platform.name"); fl != nil {
		f.PlatformLabel = b.txt(fl.Label, "platform.name（标签）")
	}
	f.Date = b.str("declaration.date")
	if f.Date == "" && !m.Date.IsZero() {
		f.Date = cnDate(m.Date.In(b.loc))
	}
	for i, s := range p.Form.Instructions {
		f.Instructions = append(f.Instructions, b.txt(s, fmt.Sprintf("instructions[%d]", i)))
	}
	f.Seals = b.seals(m.Seals, "meta.seals")

	numbered := 0
	var appendix []section
	for _, s := range p.Form.Sections {
		sec := b.section(s, f)
		if isNumbered(s.Title) {
			numbered++
			f.Sections = append(f.Sections, sec)
		} else {
			appendix = append(appendix, sec)
		}
	}
	f.Sections = append(f.Sections, b.opinion(numbered+1, m.ProvinceOpinion))
	f.Sections = append(f.Sections, appendix...)
	for i := range f.Sections {
		f.Sections[i].NewPage = i == 0 || f.Sections[i].Block == nil || f.Sections[i-1].Block == nil
	}
	if b.err != nil {
		return nil, b.err
	}
	return f, nil
}

// str returns the printed value of a field by key ("" when absent or unknown).
func (b *builder) str(key string) string {
	fl := b.p.Form.Field(key)
	v, ok := program.Lookup(b.doc, key)
	if fl == nil || !ok {
		return ""
	}
	return b.value(fl, v, key, true)
}

func (b *builder) seals(ss []Seal, where string) []sealInfo {
	var out []sealInfo
	for i, s := range ss {
		w := fmt.Sprintf("%s[%d]", where, i)
		si := sealInfo{Holder: b.txt(s.Holder, w+".holder"), Image: s.Image}
		var parts []string
		if s.Signer != "" {
			parts = append(parts, "签章人："+b.txt(s.Signer, w+".signer"))
		}
		if !s.SignedAt.IsZero() {
			t := s.SignedAt.In(b.loc)
			parts = append(parts, fmt.Sprintf("%s %s（北京时间）", cnDate(t), t.Format("15:04")))
		}
		si.Caption = strings.Join(parts, "　")
		out = append(out, si)
	}
	return out
}

// section builds one section of the form definition.
func (b *builder) section(s program.Section, f *form) section {
	sec := section{Title: b.txt(s.Title, "sections."+s.ID+".title")}
	fields := b.p.Form.SectionFields(s.ID)
	if s.Text != "" {
		sec.Block = b.declaration(s, fields, f)
		return sec
	}
	derived := b.derivedAfter(fields)
	group := ""
	var pending []pair
	flush := func() {
		for len(pending) > 0 {
			n := min(2, len(pending))
			sec.Rows = append(sec.Rows, row{Kind: rowPairs, Pairs: pending[:n]})
			pending = pending[n:]
		}
	}
	for _, fl := range fields {
		if fl.Group != group {
			flush()
			group = fl.Group
			if group != "" {
				sec.Rows = append(sec.Rows, row{Kind: rowGroup, Title: b.txt(group, fl.Key+"（分组）")})
			}
		}
		label := b.txt(fl.Label, fl.Key+"（标签）")
		switch fl.Type {
		case program.TypeTable, program.TypeAttachments:
			flush()
			t := b.table(fl, label)
			if t.Title == sec.Title {
				t.Title = "" // the section's title says it
			}
			sec.Rows = append(sec.Rows, row{Kind: rowTable, Table: t})
		default:
			v, ok := program.Lookup(b.doc, fl.Key)
			val := ""
			if ok || hasChoices(fl) {
				val = b.value(fl, v, fl.Key, false)
			}
			pr := pair{Label: label, Value: val}
			if b.short(fl, val) {
				pending = append(pending, pr)
			} else {
				flush()
				sec.Rows = append(sec.Rows, row{Kind: rowPairs, Pairs: []pair{pr}})
			}
		}
		for _, dv := range derived[fl.Key] {
			pending = append(pending, pair{Label: b.txt(dv.Label, dv.Key+"（标签）"), Value: dv.Text, Derived: true})
		}
	}
	flush()
	return sec
}

// derivedAfter places each derived value after the last of its inputs in the section.
func (b *builder) derivedAfter(fields []*program.Field) map[string][]program.DerivedValue {
	pos := make(map[string]int, len(fields))
	for i, fl := range fields {
		pos[fl.Key] = i
	}
	out := make(map[string][]program.DerivedValue)
	values := b.p.Form.Derive(b.doc)
	for i, d := range b.p.Form.Derived {
		last := -1
		for _, k := range append(append([]string{}, d.Ratio...), d.AllOf...) {
			if j, ok := pos[k]; ok && j > last {
				last = j
			}
		}
		if last >= 0 {
			out[fields[last].Key] = append(out[fields[last].Key], values[i])
		}
	}
	return out
}

// short reports whether a field's value fits half a row of the grid.
func (b *builder) short(fl *program.Field, val string) bool {
	switch fl.Type {
	case program.TypeText:
		return !fl.Multiline && b.r.width(val, sizeBody) <= halfValueWidth-2*padX
	case program.TypeInteger, program.TypeNumber, program.TypeDate, program.TypeMonth, program.TypeBool:
		return b.r.width(val, sizeBody) <= halfValueWidth-2*padX
	}
	return false
}

func hasChoices(fl *program.Field) bool {
	switch fl.Type {
	case program.TypeBool, program.TypeEnum, program.TypeSet:
		return true
	}
	return false
}

// options returns a field's options, the program's domains for options_from.
func (b *builder) options(fl *program.Field) []program.Option {
	if fl.OptionsFrom == "domains" {
		return b.p.Domains
	}
	return fl.Options
}

// declaration builds a section with fixed text: the declaration of 附件3 四.
func (b *builder) declaration(s program.Section, fields []*program.Field, f *form) *signBlock {
	who := f.Applicant
	if who == "" {
		who = "（申报单位）"
	}
	blk := &signBlock{
		Heading: who + " 郑重声明：",
		Text:    b.txt(s.Text, "sections."+s.ID+".text"),
		Date:    blankDate,
		Seals:   f.Seals,
	}
	for _, fl := range fields {
		label := b.txt(fl.Label, fl.Key+"（标签）")
		v, ok := program.Lookup(b.doc, fl.Key)
		switch fl.Type {
		case program.TypeDate:
			if ok {
				blk.Date = b.value(fl, v, fl.Key, false)
			}
		case program.TypeBool, program.TypeEnum, program.TypeSet:
			blk.Lines = append(blk.Lines, label+"："+b.value(fl, v, fl.Key, false))
		default:
			val := ""
			if ok {
				val = b.value(fl, v, fl.Key, false)
			}
			blk.Sign = append(blk.Sign, label+"："+val)
		}
	}
	return blk
}

// opinion builds 五、省级工业和信息化主管部门推荐意见, which is not the applicant's.
func (b *builder) opinion(n int, o *Opinion) section {
	blk := &signBlock{Sign: []string{"负责人："}, Date: blankDate}
	if o != nil {
		blk.Text = b.txt(o.Text, "meta.province_opinion.text")
		blk.Sign[0] += b.txt(o.Signer, "meta.province_opinion.signer")
		if !o.Date.IsZero() {
			blk.Date = cnDate(o.Date.In(b.loc))
		}
		blk.Seals = b.seals(o.Seals, "meta.province_opinion.seals")
	}
	return section{Title: cnNumeral(n) + "、省级工业和信息化主管部门推荐意见", Block: blk}
}

var numerals = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

func cnNumeral(n int) string {
	if n >= 0 && n < len(numerals) {
		return numerals[n]
	}
	return strconv.Itoa(n)
}

// isNumbered reports whether a section title starts with a numeral and "、".
func isNumbered(title string) bool {
	for _, n := range numerals[1:] {
		if strings.HasPrefix(title, n) {
			rest := strings.TrimPrefix(title, n)
			for _, m := range numerals[1:] {
				rest = strings.TrimPrefix(rest, m)
			}
			return strings.HasPrefix(rest, "、")
		}
	}
	return false
}

func cnDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}
