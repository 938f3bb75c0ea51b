// Package chart renders small charts as SVG on the server: a bar chart with a target
// line, bars grouped or stacked by year, and a progress bar. The output is plain SVG
// with no script: a <title> and <desc> (the figures in words, for screen readers)
// referenced by aria-labelledby, every bar labelled with its number, Chinese text,
// and the same bytes for the same input (golden-file tested).
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Palette is the series colours, in order (Okabe–Ito, distinguishable with the
// common colour-vision deficiencies).
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D1F", "#555555"}

// Colours of the fixed parts.
const (
	targetColour = "#C00000"
	axisColour   = "#595959"
	gridColour   = "#D9D9D9"
	textColour   = "#262626"
	trackColour  = "#E7E6E6"
	fontFamily   = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"
)

// svg accumulates one SVG document.
type svg struct {
	b strings.Builder
}

// open starts the document: its size, role and the title and description every
// chart carries.
func (s *svg) open(id string, w, h int, title, desc string) {
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-title %s-desc" font-family="%s" font-size="12">`+"\n",
		w, h, w, h, esc(id), esc(id), esc(fontFamily))
	fmt.Fprintf(&s.b, `<title id="%s-title">%s</title>`+"\n", esc(id), esc(title))
	fmt.Fprintf(&s.b, `<desc id="%s-desc">%s</desc>`+"\n", esc(id), esc(desc))
}

func (s *svg) close() string {
	s.b.WriteString("</svg>\n")
	return s.b.String()
}

func (s *svg) printf(format string, args ...any) {
	fmt.Fprintf(&s.b, format, args...)
	s.b.WriteByte('\n')
}

// text writes a text element in the text colour; anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, extra, content string) {
	s.textFill(x, y, anchor, textColour, extra, content)
}

// textFill writes a text element in a colour of its own.
func (s *svg) textFill(x, y float64, anchor, fill, extra, content string) {
	s.printf(`<text x="%s" y="%s" text-anchor="%s" fill="%s"%s>%s</text>`, n(x), n(y), anchor, fill, extra, esc(content))
}

// heading writes the visible title at the top left.
func (s *svg) heading(title string) {
	s.text(8, 20, "start", ` font-size="15" font-weight="bold"`, title)
}

// esc escapes text for SVG (XML) content and attributes.
func esc(s string) string { return html.EscapeString(s) }

// n formats a coordinate: at most one decimal, no trailing zeros.
func n(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

// Num formats a figure as the charts print it: whole numbers without decimals,
// others with at most two.
func Num(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// withUnit is a figure followed by its unit (家, 个, 万元).
func withUnit(f float64, unit string) string { return Num(f) + unit }

// Percent formats a ratio as a whole percentage (0.385 → 39%).
func Percent(r float64) string { return strconv.FormatFloat(math.Round(r*100), 'f', 0, 64) + "%" }

// niceMax returns a round upper bound of the axis (1, 2 or 5 × 10^k per step) and
// its step, for about four steps.
func niceMax(max float64) (top, step float64) {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return 4, 1
	}
	raw := max / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if step < 1 {
		step = 1 // counts and 万元 read best with whole steps
	}
	top = math.Ceil(max/step) * step
	return top, step
}

// toHTML wraps a rendered document for html/template: the charts escape every text
// they print, so the markup is safe to insert as is.
func toHTML(s string) template.HTML { return template.HTML(s) } //nolint:gosec // every text is escaped by esc

// idOr is the chart's id, or a default one.
func idOr(id, def string) string {
	if id == "" {
		return def
	}
	return id
}

// clean returns a non-negative finite value (charts draw no negative bars).
func clean(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0
	}
	return f
}
