package render

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"biopilot/program"
)

//go:embed form.html.tmpl
var formHTML string

var htmlTemplate = template.Must(template.New("form").Funcs(template.FuncMap{
	"boxes":  boxesHTML,
	"add":    func(a, b int) int { return a + b },
	"qrsvg":  qrSVG,
	"seal":   sealHTML,
	"blank":  func() []int { return make([]int, 5) },
	"isLast": func(i, n int) bool { return i == n-1 },
}).Parse(formHTML))

// FormHTML writes the filled 申请表 as a print-ready HTML page (A4, the same content
// as the PDF). The web UI uses it as the preview.
func (r *Renderer) FormHTML(w io.Writer, p *program.Program, doc program.Document, m Meta) error {
	f, err := r.build(p, doc, m)
	if err != nil {
		return err
	}
	return htmlTemplate.Execute(w, f)
}

// boxesHTML escapes s and marks its check boxes, which the page prints larger.
func boxesHTML(s string) template.HTML {
	var b strings.Builder
	start := 0
	for i, c := range s {
		if !isBox(c) {
			continue
		}
		b.WriteString(template.HTMLEscapeString(s[start:i]))
		cls := "box"
		if c == '■' {
			cls = "box on"
		}
		fmt.Fprintf(&b, `<span class="%s">%c</span>`, cls, c)
		start = i + len(string(c))
	}
	b.WriteString(template.HTMLEscapeString(s[start:]))
	return template.HTML(b.String())
}

// qrSVG draws a QR code of data as an inline SVG.
func qrSVG(data string) (template.HTML, error) {
	q, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("render: 核验二维码：%w", err)
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	var path strings.Builder
	for y, line := range bm {
		for x := 0; x < len(line); {
			if !line[x] {
				x++
				continue
			}
			k := x
			for k < len(line) && line[k] {
				k++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", x, y, k-x, k-x)
			x = k
		}
	}
	n := len(bm)
	return template.HTML(fmt.Sprintf(`<svg class="qr" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="核验二维码"><path d="%s"/></svg>`, n, n, path.String())), nil
}

// sealHTML draws a seal: its image, or a red round seal as SVG. id keeps the
// seals' arcs apart on one page.
func sealHTML(s sealInfo, id string) template.HTML {
	if len(s.Image) > 0 {
		switch ct := http.DetectContentType(s.Image); ct {
		case "image/png", "image/jpeg", "image/gif":
			src := "data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(s.Image)
			return template.HTML(fmt.Sprintf(`<img class="seal" src="%s" alt="%s">`, src, template.HTMLEscapeString("印章："+s.Holder)))
		}
	}
	var star strings.Builder
	for i := range 10 {
		rr := 30.0
		if i%2 == 1 {
			rr = 30 * 0.382
		}
		a := math.Pi/2 + float64(i)*math.Pi/5
		fmt.Fprintf(&star, "%.2f,%.2f ", 100+rr*math.Cos(a), 100-rr*math.Sin(a))
	}
	name := template.HTMLEscapeString(s.Holder)
	return template.HTML(fmt.Sprintf(`<svg class="seal" viewBox="0 0 200 200" role="img" aria-label="印章：%s">`+
		`<defs><path id="%s" d="M 30 128 A 74 74 0 1 1 170 128"/></defs>`+
		`<circle cx="100" cy="100" r="94" fill="none" stroke="#d21414" stroke-width="6"/>`+
		`<polygon points="%s" fill="#d21414"/>`+
		`<text fill="#d21414" font-size="26"><textPath href="#%s" startOffset="50%%" text-anchor="middle">%s</textPath></text></svg>`,
		name, id, strings.TrimSpace(star.String()), id, name))
}

// Row kinds, for the template.
func (r row) IsGroup() bool { return r.Kind == rowGroup }
func (r row) IsTable() bool { return r.Kind == rowTable }
