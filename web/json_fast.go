package web

// PERF: answering with an application's document without re-validating it (issue 7).
//
// encoding/json validates and compacts every json.RawMessage it writes, a pass over
// the whole ~11 KB document on each autosave and each view of an application (about
// 4% of a loaded server's CPU). The stored documents are already valid (the store
// refuses anything else) and, having been written by json.Marshal, compact with the
// HTML characters escaped: for them, writeAppJSON copies the bytes, and its answer is
// byte for byte what writeJSON would write. Any other document takes writeJSON's path.

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// writeAppJSON writes an application as writeJSON would.
func writeAppJSON(w http.ResponseWriter, status int, a appJSON) {
	doc := a.Document
	if len(doc) == 0 || !compactEscaped(doc) {
		writeJSON(w, status, a)
		return
	}
	a.Document = nil
	b, err := json.Marshal(a) // escapes HTML, as writeJSON's encoder does
	if err != nil {
		a.Document = doc
		writeJSON(w, status, a)
		return
	}
	// Put the document where encoding/json puts it, as the last member (the last
	// field of appJSON), and end with the encoder's newline.
	head := b[:len(b)-1]
	out := make([]byte, 0, len(head)+len(doc)+16)
	out = append(out, head...)
	out = append(out, `,"document":`...)
	out = append(out, doc...)
	out = append(out, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// compactEscaped reports whether JSON text, assumed valid, is as encoding/json
// writes it with HTML escaping: no space between tokens, and none of <, >, &, U+2028
// or U+2029 inside strings (which it would escape).
func compactEscaped(b []byte) bool {
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			return false
		case c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9):
			return false
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return false
		}
	}
	return !inString
}
