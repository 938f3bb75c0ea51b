package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"biopilot/program"
)

// TestIsSpace checks the white space test against unicode.IsSpace at every
// code point.
func TestIsSpace(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := unicode.IsSpace(r)
		var got bool
		if r < utf8.RuneSelf {
			got = asciiSpace[r]
		} else {
			got = isSpace(r)
		}
		if got != want {
			t.Errorf("U+%04X: %t, want %t", r, got, want)
		}
	}
}

// TestCountChars compares countChars and present with program.CountChars on
// texts of every kind: Chinese, spaces of every sort, invalid UTF-8.
func TestCountChars(t *testing.T) {
	pieces := []string{"中", "试", "a", " ", "\t", "\n", "\u3000", "\u00a0", "\u0085", "\u2003", "\u200b", "\u202f",
		"\u1680", "\u205f", "\u2028", "é", "😀", "\xff", "\xe4\xb8", "\xc2", "\u3001", "1",
		"\xe0\x80\x80", "\xe0\xa0\x80", "\xed\xa0\x80", "\xed\x9f\xbf", "\xe4\xb8\x41", "\xef\xbf\xbf", "\xe2\x80", "\xe3\x80\x80"}
	rng := rand.New(rand.NewPCG(1, 2))
	texts := []string{"", " ", "\u3000\u3000", strings.Repeat("中试平台 ", 50)}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		want := program.CountChars(s)
		if got := countChars(s); got != want {
			t.Errorf("countChars(%q) = %d, want %d", s, got, want)
		}
		if got := present(s); got != (want > 0) {
			t.Errorf("present(%q) = %t, want %t", s, got, want > 0)
		}
	}
}

// TestWalker checks that walker finds what lookup finds, key after key, in
// any order: shared prefixes, absent sections, values that are not objects.
func TestWalker(t *testing.T) {
	doc := map[string]any{
		"a":    map[string]any{"x": "1", "y": nil, "b": map[string]any{"z": int64(2)}},
		"s":    "text",
		"n":    nil,
		"list": []any{"p"},
	}
	keys := []string{"a.x", "a.y", "a.b.z", "a.b.w", "a.x", "s", "s.x", "n.x", "n", "list.p", "a.q", "b.x", "a.b", "a.b.z", "", ".", "a."}
	w := walker{m: doc}
	for _, k := range keys {
		v, ok := w.lookup(k)
		wv, wok := lookup(doc, k)
		if ok != wok || fmt.Sprint(v) != fmt.Sprint(wv) {
			t.Errorf("walker.lookup(%q) = %v, %t; lookup gives %v, %t", k, v, ok, wv, wok)
		}
	}
}
