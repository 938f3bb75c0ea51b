package chart

import (
	"html/template"
	"strings"
	"unicode/utf8"
)

// Bar is one bar: its label and value.
type Bar struct {
	Label string
	Value float64
}

// BarChart is a bar chart with an optional target line (入选平台数 by year against
// the target of 20, …).
type BarChart struct {
	// ID is unique within the page (the title and description are referenced by id).
	ID    string
	Title string
	// Desc describes the chart in words; empty: every bar's figure and the target.
	Desc string
	// Unit follows the figures (家, 个, 万元).
	Unit string
	Bars []Bar
	// Target draws a dashed line at that value with TargetLabel (default 目标); 0 = none.
	Target      float64
	TargetLabel string
	// Horizontal lays the bars out in rows: for long labels (domains).
	Horizontal bool
	// Width and Height in pixels (default 640 × 320; a horizontal chart's height
	// follows its rows).
	Width, Height int
}

// SVG renders the chart.
func (c BarChart) SVG() string {
	w := c.Width
	if w <= 0 {
		w = 640
	}
	if c.Horizontal {
		return c.horizontal(w)
	}
	h := c.Height
	if h <= 0 {
		h = 320
	}
	id := idOr(c.ID, "bar-chart")
	var s svg
	s.open(id, w, h, c.Title, c.describe())
	s.heading(c.Title)
	const left, right, top, bottom = 56.0, 16.0, 48.0, 52.0
	pw, ph := float64(w)-left-right, float64(h)-top-bottom
	max := c.Target
	for _, b := range c.Bars {
		max = maxf(max, clean(b.Value))
	}
	topV, step := niceMax(max)
	y := func(v float64) float64 { return top + ph - v/topV*ph }
	yAxis(&s, left, left+pw, topV, step, y, c.Unit)
	if len(c.Bars) > 0 {
		slot := pw / float64(len(c.Bars))
		bw := minf(slot*0.6, 72)
		for i, b := range c.Bars {
			v := clean(b.Value)
			x := left + slot*float64(i) + (slot-bw)/2
			s.printf(`<g><title>%s：%s</title>`, esc(b.Label), esc(withUnit(v, c.Unit)))
			s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, n(x), n(y(v)), n(bw), n(top+ph-y(v)), Palette[0])
			s.text(x+bw/2, y(v)-4, "middle", ` font-weight="bold"`, Num(v))
			s.printf(`</g>`)
			categoryLabel(&s, x+bw/2, top+ph+16, slot-4, b.Label)
		}
	}
	if c.Target > 0 {
		targetLine(&s, left, left+pw, y(c.Target), c.targetText())
	}
	return s.close()
}

// HTML is SVG for html/template.
func (c BarChart) HTML() template.HTML { return toHTML(c.SVG()) }

func (c BarChart) targetText() string {
	label := c.TargetLabel
	if label == "" {
		label = "目标"
	}
	return label + " " + withUnit(c.Target, c.Unit)
}

// describe is the description: the given one, or every figure in words.
func (c BarChart) describe() string {
	if c.Desc != "" {
		return c.Desc
	}
	parts := make([]string, 0, len(c.Bars))
	for _, b := range c.Bars {
		parts = append(parts, b.Label+"："+withUnit(clean(b.Value), c.Unit))
	}
	d := c.Title + "。" + strings.Join(parts, "；") + "。"
	if c.Target > 0 {
		d += c.targetText() + "。"
	}
	return d
}

// horizontal renders the bars in rows, labels on the left.
func (c BarChart) horizontal(w int) string {
	const top, rowH, bottom, right = 48.0, 28.0, 36.0, 56.0
	labelW := 0.0
	for _, b := range c.Bars {
		labelW = maxf(labelW, textWidth(b.Label))
	}
	left := minf(labelW, 220) + 16
	h := c.Height
	if min := int(top + rowH*float64(len(c.Bars)) + bottom); h < min {
		h = min
	}
	id := idOr(c.ID, "bar-chart")
	var s svg
	s.open(id, w, h, c.Title, c.describe())
	s.heading(c.Title)
	pw := float64(w) - left - right
	ph := rowH * float64(len(c.Bars))
	max := c.Target
	for _, b := range c.Bars {
		max = maxf(max, clean(b.Value))
	}
	topV, step := niceMax(max)
	x := func(v float64) float64 { return left + v/topV*pw }
	for v := 0.0; v <= topV+step/2; v += step {
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, n(x(v)), n(top), n(x(v)), n(top+ph), gridColour)
		s.text(x(v), top+ph+16, "middle", ` fill-opacity="0.85"`, Num(v))
	}
	if c.Unit != "" {
		s.text(float64(w)-8, top+ph+30, "end", "", "单位："+c.Unit)
	}
	for i, b := range c.Bars {
		v := clean(b.Value)
		yy := top + rowH*float64(i)
		s.printf(`<g><title>%s：%s</title>`, esc(b.Label), esc(withUnit(v, c.Unit)))
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, n(left), n(yy+5), n(x(v)-left), n(rowH-10), Palette[0])
		s.text(x(v)+4, yy+rowH/2+4, "start", ` font-weight="bold"`, Num(v))
		s.printf(`</g>`)
		s.text(left-8, yy+rowH/2+4, "end", "", b.Label)
	}
	s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, n(left), n(top), n(left), n(top+ph), axisColour)
	if c.Target > 0 {
		tx := x(c.Target)
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`, n(tx), n(top-6), n(tx), n(top+ph), targetColour)
		s.textFill(tx, top-10, "middle", targetColour, ` font-weight="bold"`, c.targetText())
	}
	return s.close()
}

// yAxis draws the horizontal grid lines with their values and the unit.
func yAxis(s *svg, x0, x1, topV, step float64, y func(float64) float64, unit string) {
	for v := 0.0; v <= topV+step/2; v += step {
		stroke := gridColour
		if v == 0 {
			stroke = axisColour
		}
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, n(x0), n(y(v)), n(x1), n(y(v)), stroke)
		s.text(x0-6, y(v)+4, "end", "", Num(v))
	}
	if unit != "" {
		s.text(8, y(topV)-12, "start", "", "单位："+unit)
	}
}

// targetLine draws the dashed target line with its label at the right end.
func targetLine(s *svg, x0, x1, y float64, label string) {
	s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`, n(x0), n(y), n(x1), n(y), targetColour)
	s.textFill(x1, y-6, "end", targetColour, ` font-weight="bold"`, label)
}

// categoryLabel writes a label under a bar, wrapped onto up to three lines of at
// most width pixels (Chinese text breaks between any two characters).
func categoryLabel(s *svg, x, y, width float64, label string) {
	lines := wrap(label, width, 3)
	s.b.WriteString(`<text x="` + n(x) + `" y="` + n(y) + `" text-anchor="middle" fill="` + textColour + `">`)
	for i, l := range lines {
		dy := "0"
		if i > 0 {
			dy = "14"
		}
		s.b.WriteString(`<tspan x="` + n(x) + `" dy="` + dy + `">` + esc(l) + `</tspan>`)
	}
	s.b.WriteString("</text>\n")
}

// wrap splits text into lines of at most width pixels, at most max lines (the last
// one takes the rest).
func wrap(text string, width float64, max int) []string {
	var lines []string
	cur, curW := "", 0.0
	for _, r := range text {
		rw := runeWidth(r)
		if curW+rw > width && cur != "" && len(lines) < max-1 {
			lines = append(lines, cur)
			cur, curW = "", 0
		}
		cur += string(r)
		curW += rw
	}
	return append(lines, cur)
}

// textWidth estimates the width of text at 12 px: 12 for a wide (CJK) character,
// 7 for others.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

func runeWidth(r rune) float64 {
	if r >= 0x1100 && utf8.RuneLen(r) >= 3 {
		return 12
	}
	return 7
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

func minf(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}
