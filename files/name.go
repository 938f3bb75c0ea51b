package files

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameBytes bounds a cleaned file name, as most file systems do.
const maxNameBytes = 240

// Unnamed is the display name of a file uploaded without a usable name.
const Unnamed = "未命名文件"

// CleanFilename returns the name of an uploaded file fit for display: its last path
// element (both / and \ separate), without control, format (such as right-to-left
// overrides) or invalid characters, with white space collapsed and trimmed, at most
// 240 bytes long (the extension kept). It is for display only and never a path.
// "../../etc/passwd" → "passwd"; a name with nothing left → Unnamed.
func CleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r),
			unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	name = strings.TrimRight(b.String(), ". ")
	if name == "" || strings.Trim(name, ".") == "" {
		return Unnamed
	}
	return truncateName(name, maxNameBytes)
}

// truncateName shortens name to at most max bytes on a character boundary, keeping a
// short extension.
func truncateName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
		ext = name[i:]
		name = name[:i]
	}
	cut := max - len(ext)
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + ext
}

// ContentDisposition returns the Content-Disposition header value for downloading a
// file under its display name as an attachment (RFC 6266): an ASCII fallback in
// filename="…" (other characters as "_", quotes and backslashes dropped) and the
// UTF-8 name, percent-encoded, in filename* (RFC 5987), so that Chinese names survive.
func ContentDisposition(filename string) string {
	name := CleanFilename(filename)
	var ascii strings.Builder
	for _, r := range name {
		switch {
		case r == '"' || r == '\\':
		case r < 0x20 || r == 0x7f:
		case r < utf8.RuneSelf:
			ascii.WriteRune(r)
		default:
			ascii.WriteByte('_')
		}
	}
	fallback := ascii.String()
	base, ext := fallback, ""
	if i := strings.LastIndexByte(fallback, '.'); i > 0 {
		base, ext = fallback[:i], fallback[i:]
	}
	if strings.Trim(base, "_. ") == "" {
		fallback = "download" + strings.ReplaceAll(ext, "_", "")
		if fallback == "download." {
			fallback = "download"
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, encode5987(name))
}

// encode5987 percent-encodes s as the value of an RFC 5987 ext-value: every byte but
// attr-char (ALPHA / DIGIT / "!#$&+-.^_`|~").
func encode5987(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
