package chart

import "html/template"

// ProgressBar shows how far a figure has come towards its target (孵化产品数 85 of
// 400): a track, the part reached, and the figures and percentage in words.
type ProgressBar struct {
	ID     string
	Label  string // 孵化产品数
	Value  float64
	Target float64
	Unit   string
	// Note follows the figures (e.g. 2027年目标).
	Note  string
	Width int // default 480
}

// SVG renders the bar; a bar past its target is full and says so.
func (c ProgressBar) SVG() string {
	w := c.Width
	if w <= 0 {
		w = 480
	}
	const h, barY, barH = 56.0, 26.0, 16.0
	id := idOr(c.ID, "progress")
	v := clean(c.Value)
	ratio := 0.0
	if t := clean(c.Target); t > 0 {
		ratio = v / t
	}
	status := "未达到目标"
	if c.Target > 0 && ratio >= 1 {
		status = "已达到目标"
	}
	figures := withUnit(v, c.Unit) + " / " + withUnit(clean(c.Target), c.Unit) + "（" + Percent(ratio) + "）"
	title := c.Label + "：" + figures
	desc := c.Label + "完成 " + withUnit(v, c.Unit) + "，目标 " + withUnit(clean(c.Target), c.Unit)
	if c.Note != "" {
		desc += "（" + c.Note + "）"
	}
	desc += "，完成 " + Percent(ratio) + "，" + status + "。"
	var s svg
	s.open(id, w, int(h), title, desc)
	s.text(0, 16, "start", ` font-weight="bold"`, c.Label)
	right := figures
	if c.Note != "" {
		right += " " + c.Note
	}
	s.text(float64(w), 16, "end", "", right)
	s.printf(`<rect x="0" y="%s" width="%d" height="%s" rx="4" fill="%s"/>`, n(barY), w, n(barH), trackColour)
	fill := Palette[0]
	if ratio >= 1 {
		fill = Palette[2]
	}
	s.printf(`<rect x="0" y="%s" width="%s" height="%s" rx="4" fill="%s"/>`, n(barY), n(float64(w)*minf(ratio, 1)), n(barH), fill)
	s.text(0, barY+barH+13, "start", ` font-size="11"`, status)
	return s.close()
}

// HTML is SVG for html/template.
func (c ProgressBar) HTML() template.HTML { return toHTML(c.SVG()) }
