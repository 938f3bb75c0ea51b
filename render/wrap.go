package render

import (
	"strings"
	"unicode/utf8"
)

// noLineStart are characters that may not begin a line (closing punctuation):
// they stay at the end of the previous line, past its edge if need be.
const noLineStart = "，。、；：？！）》」』”’】〕…—%,.;:?!)]}·"

// maxKeep is the longest space-separated run, in characters, that is moved whole
// to the next line rather than broken (an option with its check box, a name).
const maxKeep = 16

// wrap breaks text into lines no wider than width at the given size. Newlines
// break lines; CJK text breaks between any two characters, Latin words and short
// space-separated runs are kept whole when they fit a line. No character other
// than spaces at a break is lost.
func (r *Renderer) wrap(s string, size, width float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		lines = append(lines, r.wrapPara(para, size, width)...)
	}
	return lines
}

func isSep(c rune) bool { return c == ' ' || c == '\u3000' }

func (r *Renderer) wrapPara(para string, size, width float64) []string {
	if para == "" {
		return []string{""}
	}
	var lines []string
	var cur strings.Builder
	curW := 0.0
	push := func() {
		line := cur.String()
		if len(lines) > 0 || strings.TrimLeft(line, " \u3000") == "" {
			line = strings.TrimLeft(line, " ")
		}
		lines = append(lines, strings.TrimRight(line, " \u3000"))
		cur.Reset()
		curW = 0
	}
	add := func(s string, w float64) {
		cur.WriteString(s)
		curW += w
	}
	for _, seg := range segments(para) {
		body := strings.TrimRight(seg, " \u3000")
		bw := r.width(body, size)
		sw := r.width(seg, size)
		if curW+bw <= width {
			add(seg, sw)
			continue
		}
		if utf8.RuneCountInString(body) <= maxKeep && bw <= width && curW > 0 {
			push()
			add(seg, sw)
			continue
		}
		for _, u := range units(seg) {
			uw := r.width(u, size)
			switch {
			case curW+uw <= width || (isSep([]rune(u)[0]) && curW > 0):
				add(u, uw)
			case curW > 0 && strings.ContainsRune(noLineStart, []rune(u)[0]) && utf8.RuneCountInString(u) == 1:
				add(u, uw)
			case uw > width:
				// a Latin word wider than the line: break it by character
				for _, c := range u {
					cw := r.width(string(c), size)
					if curW+cw > width && curW > 0 {
						push()
					}
					add(string(c), cw)
				}
			default:
				if curW > 0 {
					push()
				}
				add(u, uw)
			}
		}
	}
	if cur.Len() > 0 || len(lines) == 0 {
		push()
	}
	return lines
}

// segments splits a paragraph after each run of separators: "高校□　科研机构□" →
// "高校□　", "科研机构□".
func segments(s string) []string {
	var out []string
	start := 0
	prevSep := false
	for i, c := range s {
		sep := isSep(c)
		if !sep && prevSep {
			out = append(out, s[start:i])
			start = i
		}
		prevSep = sep
	}
	return append(out, s[start:])
}

// units splits a segment into unbreakable units: runs of Latin letters and digits,
// and single other characters.
func units(s string) []string {
	var out []string
	start := -1
	for i, c := range s {
		word := c < 0x80 && c != ' ' && !strings.ContainsRune(noLineStart, c) && c != '(' && c != '['
		if word {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
		out = append(out, string(c))
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}
