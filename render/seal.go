package render

import (
	"fmt"
	"math"

	"github.com/signintech/gopdf"
	qrcode "github.com/skip2/go-qrcode"
)

// seal draws a seal centred at (cx, cy): the given image, or a red round seal with
// the holder's name along the top of the ring and a star in the middle.
func (w *pdfw) seal(cx, cy, radius float64, s sealInfo) {
	if len(s.Image) > 0 {
		img, err := gopdf.ImageHolderByBytes(s.Image)
		if err == nil {
			err = w.gp.ImageByHolder(img, cx-radius, cy-radius, &gopdf.Rect{W: 2 * radius, H: 2 * radius})
		}
		if err != nil && w.err == nil {
			w.err = fmt.Errorf("render: 签章图片（%s）无法使用：%w", s.Holder, err)
		}
		return
	}
	c := sealRed
	w.gp.SetStrokeColor(c.r, c.g, c.b)
	w.gp.SetLineWidth(radius * 0.055)
	w.gp.Oval(cx-radius, cy-radius, cx+radius, cy+radius)
	w.gp.SetLineWidth(lineWidth)
	w.gp.SetStrokeColor(0, 0, 0)

	// five-pointed star
	var pts []gopdf.Point
	outer, inner := radius*0.3, radius*0.3*0.382
	for i := range 10 {
		rr := outer
		if i%2 == 1 {
			rr = inner
		}
		a := math.Pi/2 + float64(i)*math.Pi/5
		pts = append(pts, gopdf.Point{X: cx + rr*math.Cos(a), Y: cy - rr*math.Sin(a)})
	}
	w.gp.SetFillColor(c.r, c.g, c.b)
	w.gp.Polygon(pts, "F")
	w.gp.SetFillColor(0, 0, 0)

	// the holder's name along the ring, upright towards the outside
	name := []rune(s.Holder)
	if len(name) == 0 {
		return
	}
	size := math.Min(radius*0.3, 2*math.Pi*radius*0.7*(250.0/360)/float64(len(name))*0.92)
	rt := radius*0.93 - radius*0.055 - size*0.55
	step := math.Min(250.0/float64(len(name)), size*1.08/rt*180/math.Pi)
	span := step * float64(len(name)-1)
	for i, ch := range name {
		deg := 90 + span/2 - float64(i)*step
		a := deg * math.Pi / 180
		px, py := cx+rt*math.Cos(a), cy-rt*math.Sin(a)
		cw := w.r.width(string(ch), size)
		w.gp.Rotate(deg-90, px, py)
		w.text(px-cw/2, py-size*lineFactor/2, string(ch), size, c)
		w.gp.RotateReset()
	}
}

// qr draws a QR code of data as filled squares, size points wide, at (x, y).
func (w *pdfw) qr(x, y, size float64, data string) {
	q, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("render: 核验二维码：%w", err)
		}
		return
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	m := size / float64(len(bm))
	w.gp.SetFillColor(0, 0, 0)
	for j, line := range bm {
		for i := 0; i < len(line); {
			if !line[i] {
				i++
				continue
			}
			k := i
			for k < len(line) && line[k] {
				k++
			}
			// a hair wider and taller, so that neighbouring squares leave no seam
			w.gp.RectFromUpperLeftWithStyle(x+float64(i)*m, y+float64(j)*m, float64(k-i)*m+0.05, m+0.05, "F")
			i = k
		}
	}
}
