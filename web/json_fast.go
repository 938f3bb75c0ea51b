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
	"unicode/utf8"
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

// writeAppList writes a list of applications as writeJSON writes
// {"items": items, "limit": limit, "offset": offset, "total": total}, without
// reflection (a list of 50 spent ~130 µs in encoding/json). The items carry no
// document.
func writeAppList(w http.ResponseWriter, items []appJSON, total, limit, offset int) {
	out := make([]byte, 0, 512*len(items)+64)
	out = append(out, `{"items":[`...)
	for i := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendAppJSON(out, &items[i])
	}
	out = append(out, `],"limit":`...)
	out = strconv.AppendInt(out, int64(limit), 10)
	out = append(out, `,"offset":`...)
	out = strconv.AppendInt(out, int64(offset), 10)
	out = append(out, `,"total":`...)
	out = strconv.AppendInt(out, int64(total), 10)
	out = append(out, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// appendAppJSON appends a as encoding/json encodes appJSON (its fields in order,
// omitempty as tagged); a document, if any, is left to encoding/json.
func appendAppJSON(out []byte, a *appJSON) []byte {
	if len(a.Document) > 0 {
		b, _ := json.Marshal(a)
		return append(out, b...)
	}
	str := func(name, v string) {
		out = append(out, ',', '"')
		out = append(out, name...)
		out = append(out, '"', ':')
		out = appendJSONString(out, v)
	}
	out = append(out, `{"id":`...)
	out = strconv.AppendInt(out, a.ID, 10)
	str("program_id", a.ProgramID)
	out = append(out, `,"org_id":`...)
	out = strconv.AppendInt(out, a.OrgID, 10)
	str("org_name", a.OrgName)
	str("city_code", a.CityCode)
	str("city_name", a.CityName)
	str("state", a.State)
	str("state_label", a.StateLabel)
	out = append(out, `,"version":`...)
	out = strconv.AppendInt(out, a.Version, 10)
	str("platform_name", a.PlatformName)
	out = append(out, `,"domains":`...)
	if a.Domains == nil {
		out = append(out, "null"...)
	} else {
		out = append(out, '[')
		for i, d := range a.Domains {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendJSONString(out, d)
		}
		out = append(out, ']')
	}
	str("verdict", a.Verdict)
	str("verdict_label", a.VerdictLabel)
	if a.SnapshotHash != "" {
		str("snapshot_hash", a.SnapshotHash)
	}
	str("created_at", a.CreatedAt)
	str("updated_at", a.UpdatedAt)
	if a.SubmittedAt != "" {
		str("submitted_at", a.SubmittedAt)
	}
	if a.Source != "" {
		str("document_source", a.Source)
	}
	return append(out, '}')
}

// appendJSONString appends s as a JSON string the way encoding/json writes it with
// HTML escaping: \" \\ \b \f \n \r \t, other control characters and < > & as
// \u00XX, U+2028 and U+2029 escaped, invalid UTF-8 as \ufffd.
func appendJSONString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch c {
			case '"', '\\':
				out = append(out, '\\', c)
			case '\b':
				out = append(out, '\\', 'b')
			case '\f':
				out = append(out, '\\', 'f')
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, s[start:i]...)
			out = append(out, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			out = append(out, s[start:i]...)
			out = append(out, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}
