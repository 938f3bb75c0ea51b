package national

import "biopilot/program"

// PublicView returns the part of an application document that the public directory
// may show: only the values named by the program's public_fields, in the document's
// own nested shape, copied (the result shares nothing with doc). A pattern segment
// "*" matches any key at its level; "key[]" walks each row of a table or list, rows
// keeping their positions (a row with nothing public is an empty object). A program
// without public fields shows nothing.
func PublicView(p *program.Program, doc program.Document) map[string]any {
	out := make(map[string]any)
	for _, segs := range p.PublicFieldPatterns() {
		if v, ok := pick(map[string]any(doc), segs); ok {
			if m, ok := v.(map[string]any); ok {
				merge(out, m)
			}
		}
	}
	return out
}

// pick selects what segs names in v.
func pick(v any, segs []string) (any, bool) {
	if v == nil {
		return nil, false
	}
	if len(segs) == 0 {
		return clone(v), true
	}
	seg, rest := segs[0], segs[1:]
	switch seg {
	case "[]":
		list, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := make([]any, len(list))
		found := false
		for i, el := range list {
			if r, ok := pick(el, rest); ok {
				out[i] = r
				found = true
			} else {
				out[i] = map[string]any{}
			}
		}
		return out, found
	case "*":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		out := make(map[string]any)
		for k, el := range m {
			if r, ok := pick(el, rest); ok {
				out[k] = r
			}
		}
		return out, len(out) > 0
	default:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		r, ok := pick(m[seg], rest)
		if !ok {
			return nil, false
		}
		return map[string]any{seg: r}, true
	}
}

// merge merges src into dst: objects key by key, lists row by row.
func merge(dst, src map[string]any) {
	for k, sv := range src {
		dv, ok := dst[k]
		if !ok {
			dst[k] = sv
			continue
		}
		dst[k] = mergeValue(dv, sv)
	}
}

func mergeValue(dv, sv any) any {
	switch d := dv.(type) {
	case map[string]any:
		if s, ok := sv.(map[string]any); ok {
			merge(d, s)
			return d
		}
	case []any:
		if s, ok := sv.([]any); ok && len(s) == len(d) {
			for i := range d {
				d[i] = mergeValue(d[i], s[i])
			}
			return d
		}
	}
	return sv // the same leaf picked twice
}

// clone deep-copies a document value.
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			out[k] = clone(el)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = clone(el)
		}
		return out
	}
	return v
}
