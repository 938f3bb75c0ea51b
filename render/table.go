package render

import "math"

// gcell is one cell of a ruled row: its lines of text are already wrapped.
type gcell struct {
	x, w   float64
	lines  []string
	size   float64
	center bool
	fill   *rgb
}

func lineH(size float64) float64 { return size * lineFactor }

// cell makes a cell of the given width with wrapped text.
func (w *pdfw) cell(x, wd float64, s string, size float64, center bool, fill *rgb) gcell {
	return gcell{x: x, w: wd, lines: w.r.wrap(s, size, wd-2*padX), size: size, center: center, fill: fill}
}

// row draws a row of cells at the current position. A row that does not fit the
// page moves to the next one when it is short; a tall row is split between pages
// line by line, so no text is lost. cont redraws what heads a continued table.
func (w *pdfw) row(cells []gcell, cont func()) {
	off := make([]int, len(cells))
	fresh := false
	for {
		need := 0.0
		for i, c := range cells {
			need = math.Max(need, float64(max(len(c.lines)-off[i], 1))*lineH(c.size))
		}
		need += 2 * padY
		avail := bottom - w.y
		if need <= avail+0.01 {
			w.drawCells(cells, off, nil, need)
			w.y += need
			return
		}
		if !fresh && (need <= 6*lineH(sizeBody)+2*padY || avail < 3*lineH(sizeBody)+2*padY) {
			w.breakPage(cont)
			fresh = true
			continue
		}
		takes := make([]int, len(cells))
		any := false
		for i, c := range cells {
			n := int((avail - 2*padY) / lineH(c.size))
			takes[i] = max(0, min(n, len(c.lines)-off[i]))
			any = any || takes[i] > 0
		}
		if !any {
			w.breakPage(cont)
			fresh = true
			continue
		}
		w.drawCells(cells, off, takes, avail)
		for i := range off {
			off[i] += takes[i]
		}
		w.y = bottom
		w.breakPage(cont)
		fresh = true
	}
}

func (w *pdfw) breakPage(cont func()) {
	w.newPage()
	if cont != nil {
		cont()
	}
}

// drawCells draws cells of height h: lines from off, takes of them (all when nil).
func (w *pdfw) drawCells(cells []gcell, off, takes []int, h float64) {
	for i, c := range cells {
		if c.fill != nil {
			w.fillRect(c.x, w.y, c.w, h, *c.fill)
		}
		w.strokeRect(c.x, w.y, c.w, h)
		lines := c.lines[off[i]:]
		if takes != nil {
			lines = lines[:takes[i]]
		}
		lh := lineH(c.size)
		ty := w.y + (h-float64(len(lines))*lh)/2
		if takes != nil {
			ty = w.y + padY
		}
		for _, l := range lines {
			if c.center {
				w.textCenter(c.x+c.w/2, ty, l, c.size, black)
			} else {
				w.text(c.x+padX, ty, l, c.size, black)
			}
			ty += lh
		}
	}
}

// ensure starts a new page unless h points remain on this one.
func (w *pdfw) ensure(h float64) {
	if w.y+h > bottom {
		w.newPage()
	}
}

// section draws a section: its title, then its rows or its signature block.
func (w *pdfw) section(s section) {
	w.ensure(sizeSection*lineFactor + 10 + 80)
	w.text(marginX, w.y, s.Title, sizeSection, black)
	w.y += sizeSection*lineFactor + 8
	if s.Block != nil {
		w.signBlock(s.Block)
		w.y += 18
		return
	}
	for _, rw := range s.Rows {
		switch rw.Kind {
		case rowGroup:
			w.ensure(lineH(10.5) + 2*padY + 3*lineH(sizeBody))
			w.row([]gcell{w.cell(marginX, contentW, rw.Title, 10.5, true, &fillGroup)}, nil)
		case rowPairs:
			w.pairs(rw.Pairs)
		case rowTable:
			w.table(rw.Table)
		}
	}
}

// pairs draws one or two label/value pairs across the width.
func (w *pdfw) pairs(ps []pair) {
	var cells []gcell
	x := marginX
	vw := contentW - labelWidth
	if len(ps) == 2 {
		vw = halfValueWidth
	}
	for _, p := range ps {
		cells = append(cells,
			w.cell(x, labelWidth, p.Label, sizeBody, true, &fillLabel),
			w.cell(x+labelWidth, vw, p.Value, sizeBody, false, nil))
		x += labelWidth + vw
	}
	w.row(cells, nil)
}

// table draws a table of the form: its title, the header (repeated on every page
// the table spans) and the rows.
func (w *pdfw) table(t *table) {
	size := sizeTable
	widths := w.colWidths(t, size)
	header := func() []gcell {
		var cells []gcell
		x := marginX
		for i, h := range t.Cols {
			cells = append(cells, w.cell(x, widths[i], h, size, true, &fillLabel))
			x += widths[i]
		}
		return cells
	}
	title := func(s string) {
		if s == "" {
			return
		}
		w.row([]gcell{w.cell(marginX, contentW, s, 9.5, false, &fillTitle)}, nil)
	}
	hdr := header()
	hh := 0.0
	for _, c := range hdr {
		hh = math.Max(hh, float64(len(c.lines))*lineH(size))
	}
	// keep the title, the header and a first row together
	w.ensure(lineH(9.5) + hh + 2*lineH(size) + 6*padY)
	title(t.Title)
	w.row(hdr, nil)
	cont := func() {
		if t.Title != "" {
			title(t.Title + "（续）")
		}
		w.row(header(), nil)
	}
	rows := t.Rows
	if len(rows) == 0 {
		rows = [][]string{make([]string, len(t.Cols))}
	}
	for _, rv := range rows {
		var cells []gcell
		x := marginX
		for i, v := range rv {
			cells = append(cells, w.cell(x, widths[i], v, size, t.Center[i], nil))
			x += widths[i]
		}
		w.row(cells, cont)
	}
}

// colWidths shares the width among the columns like an automatic table layout:
// each column gets at least its narrowest sensible width, and the rest goes to
// the columns in proportion to how much more their longest content needs.
func (w *pdfw) colWidths(t *table, size float64) []float64 {
	n := len(t.Cols)
	minW := make([]float64, n)
	maxW := make([]float64, n)
	for i, h := range t.Cols {
		minW[i] = 2.2*size + 2*padX
		maxW[i] = w.widest(h, size) + 2*padX
		for _, rw := range t.Rows {
			maxW[i] = math.Max(maxW[i], w.widest(rw[i], size)+2*padX)
			for _, u := range units(rw[i]) {
				minW[i] = math.Max(minW[i], math.Min(w.r.width(u, size), 60)+2*padX)
			}
		}
		// a header needs at least four characters a line
		minW[i] = math.Max(minW[i], math.Min(maxW[i], 4*size+2*padX))
	}
	sumMin, sumMax := 0.0, 0.0
	for i := range minW {
		sumMin += minW[i]
		sumMax += maxW[i]
	}
	out := make([]float64, n)
	switch {
	case sumMax <= contentW:
		for i := range out {
			out[i] = maxW[i] * contentW / sumMax
		}
	case sumMin >= contentW:
		for i := range out {
			out[i] = minW[i] * contentW / sumMin
		}
	default:
		extra := contentW - sumMin
		for i := range out {
			out[i] = minW[i] + extra*(maxW[i]-minW[i])/(sumMax-sumMin)
		}
	}
	return out
}

// widest is the width of the longest line of s.
func (w *pdfw) widest(s string, size float64) float64 {
	m := 0.0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '\n' {
			m = math.Max(m, w.r.width(s[start:i], size))
			start = i + 1
		}
	}
	return m
}

// signBlock draws a declaration or an opinion: the text in a ruled box, then a
// box with the signature lines, the seal and the date.
func (w *pdfw) signBlock(b *signBlock) {
	const size = 11.0
	var lines []string
	if b.Heading != "" {
		lines = append(lines, w.r.wrap(b.Heading, size, contentW-2*padX-8)...)
	}
	if b.Text != "" {
		lines = append(lines, w.r.wrap("　　"+b.Text, size, contentW-2*padX-8)...)
	} else {
		for range 5 {
			lines = append(lines, "")
		}
	}
	for _, l := range b.Lines {
		lines = append(lines, w.r.wrap(l, size, contentW-2*padX-8)...)
	}
	w.row([]gcell{{x: marginX, w: contentW, lines: lines, size: size}}, nil)

	h := 120.0 + 11*float64(len(b.Seals))
	w.ensure(h)
	y0 := w.y
	w.strokeRect(marginX, y0, contentW, h)
	sx := marginX + contentW*0.56
	ty := y0 + 14
	for _, s := range b.Sign {
		w.text(sx, ty, s, size, black)
		ty += 26
	}
	stampY := ty
	w.text(sx, ty, "（盖章）", size, black)
	ty += 26
	w.text(sx, ty, b.Date, size, black)
	for i, s := range b.Seals {
		// beside the signature, so that it hides none of it; further seals to the
		// left of the signature lines
		cx := pageW - marginX - 54
		if i > 0 {
			cx = sx - 56 - float64(i-1)*96
		}
		w.seal(cx, stampY+8, 44, s)
	}
	cy := y0 + h - 8 - 11*float64(len(b.Seals))
	for _, s := range b.Seals {
		caption := "电子签章：" + s.Holder
		if s.Caption != "" {
			caption += "　" + s.Caption
		}
		w.text(marginX+padX+4, cy, caption, 7.5, gray)
		cy += 11
	}
	w.y = y0 + h
}
