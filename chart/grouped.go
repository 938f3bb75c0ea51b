package chart

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Series is one series of a grouped chart: its label and a value per category.
type Series struct {
	Label  string
	Values []float64 // aligned with GroupedChart.Categories; missing values are 0
}

// GroupedChart shows several series per category (by year: one bar per province),
// side by side or stacked, with a legend and an optional target line (meaningful
// for stacked bars: the target of the total).
type GroupedChart struct {
	ID         string
	Title      string
	Desc       string // empty: every figure in words
	Unit       string
	Categories []string // e.g. 2025年, 2026年
	Series     []Series
	// Stacked stacks the series; each stack is labelled with its total.
	Stacked     bool
	Target      float64
	TargetLabel string
	Width       int // default 640
	Height      int // default 340
}

// SVG renders the chart.
func (c GroupedChart) SVG() string {
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 340
	}
	id := idOr(c.ID, "grouped-chart")
	var s svg
	s.open(id, w, h, c.Title, c.describe())
	s.heading(c.Title)
	legendH := c.legend(&s, float64(w))
	left, right, top, bottom := 56.0, 16.0, 48.0+legendH, 52.0
	pw, ph := float64(w)-left-right, float64(h)-top-bottom
	max := c.Target
	for ci := range c.Categories {
		total := 0.0
		for _, se := range c.Series {
			v := c.value(se, ci)
			total += v
			max = maxf(max, v)
		}
		if c.Stacked {
			max = maxf(max, total)
		}
	}
	topV, step := niceMax(max)
	y := func(v float64) float64 { return top + ph - v/topV*ph }
	yAxis(&s, left, left+pw, topV, step, y, c.Unit)
	if len(c.Categories) > 0 && len(c.Series) > 0 {
		slot := pw / float64(len(c.Categories))
		for ci, cat := range c.Categories {
			x0 := left + slot*float64(ci)
			if c.Stacked {
				c.stack(&s, ci, x0, slot, y)
			} else {
				c.group(&s, ci, x0, slot, y, top+ph)
			}
			categoryLabel(&s, x0+slot/2, top+ph+16, slot-4, cat)
		}
	}
	if c.Target > 0 {
		targetLine(&s, left, left+pw, y(c.Target), c.targetText())
	}
	return s.close()
}

// HTML is SVG for html/template.
func (c GroupedChart) HTML() template.HTML { return toHTML(c.SVG()) }

func (c GroupedChart) value(se Series, ci int) float64 {
	if ci < len(se.Values) {
		return clean(se.Values[ci])
	}
	return 0
}

// group draws one category's bars side by side, each labelled with its value.
func (c GroupedChart) group(s *svg, ci int, x0, slot float64, y func(float64) float64, base float64) {
	inner := slot * 0.8
	bw := minf(inner/float64(len(c.Series)), 48)
	start := x0 + (slot-bw*float64(len(c.Series)))/2
	for si, se := range c.Series {
		v := c.value(se, ci)
		x := start + bw*float64(si)
		s.printf(`<g><title>%s %s：%s</title>`, esc(c.Categories[ci]), esc(se.Label), esc(withUnit(v, c.Unit)))
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#FFFFFF"/>`, n(x), n(y(v)), n(bw), n(base-y(v)), colour(si))
		s.text(x+bw/2, y(v)-4, "middle", ` font-size="11"`, Num(v))
		s.printf(`</g>`)
	}
}

// stack draws one category's bars stacked, segments labelled when tall enough, the
// stack labelled with its total.
func (c GroupedChart) stack(s *svg, ci int, x0, slot float64, y func(float64) float64) {
	bw := minf(slot*0.6, 72)
	x := x0 + (slot-bw)/2
	sum := 0.0
	for si, se := range c.Series {
		v := c.value(se, ci)
		y0, y1 := y(sum), y(sum+v)
		s.printf(`<g><title>%s %s：%s</title>`, esc(c.Categories[ci]), esc(se.Label), esc(withUnit(v, c.Unit)))
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#FFFFFF"/>`, n(x), n(y1), n(bw), n(y0-y1), colour(si))
		if y0-y1 >= 16 {
			s.textFill(x+bw/2, (y0+y1)/2+4, "middle", onColour(colour(si)), ` font-size="11"`, Num(v))
		}
		s.printf(`</g>`)
		sum += v
	}
	s.text(x+bw/2, y(sum)-4, "middle", ` font-weight="bold"`, Num(sum))
}

// legend draws the series' swatches and labels below the title, wrapping onto as
// many lines as needed; it returns the height used.
func (c GroupedChart) legend(s *svg, w float64) float64 {
	if len(c.Series) == 0 {
		return 0
	}
	x, y := 8.0, 36.0
	lines := 1.0
	for si, se := range c.Series {
		iw := 18 + textWidth(se.Label) + 16
		if x+iw > w-8 && x > 8 {
			x, y = 8, y+18
			lines++
		}
		s.printf(`<rect x="%s" y="%s" width="12" height="12" fill="%s"/>`, n(x), n(y-10), colour(si))
		s.text(x+16, y, "start", "", se.Label)
		x += iw
	}
	return lines * 18
}

func (c GroupedChart) targetText() string {
	label := c.TargetLabel
	if label == "" {
		label = "目标"
	}
	return label + " " + withUnit(c.Target, c.Unit)
}

func (c GroupedChart) describe() string {
	if c.Desc != "" {
		return c.Desc
	}
	var parts []string
	for ci, cat := range c.Categories {
		var items []string
		sum := 0.0
		for _, se := range c.Series {
			v := c.value(se, ci)
			sum += v
			items = append(items, se.Label+" "+withUnit(v, c.Unit))
		}
		p := cat + "：" + strings.Join(items, "，")
		if c.Stacked {
			p += "，合计 " + withUnit(sum, c.Unit)
		}
		parts = append(parts, p)
	}
	d := c.Title + "。" + strings.Join(parts, "；") + "。"
	if c.Target > 0 {
		d += c.targetText() + "。"
	}
	return d
}

// colour is the colour of series i.
func colour(i int) string { return Palette[i%len(Palette)] }

// onColour is the text colour readable on a fill: white on dark fills, the text
// colour on light ones (relative luminance above 0.3).
func onColour(fill string) string {
	var r, g, b int
	if _, err := fmt.Sscanf(fill, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return textColour
	}
	lin := func(c int) float64 {
		v := float64(c) / 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	if 0.2126*lin(r)+0.7152*lin(g)+0.0722*lin(b) > 0.3 {
		return textColour
	}
	return "#FFFFFF"
}
