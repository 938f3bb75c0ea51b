package files

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The kinds of evidence file that are accepted.
const (
	KindPDF  = "pdf"
	KindJPEG = "jpeg"
	KindPNG  = "png"
	KindOFD  = "ofd"
	KindXLSX = "xlsx"
	KindDOCX = "docx"
)

// kindZIP is the provisional kind of a head that starts a ZIP container: which
// container it is needs the central directory, at the end of the file.
const kindZIP = "zip"

// HeadSize is how many leading bytes Detect looks at. Fewer are fine for short files.
const HeadSize = 8 << 10

// Limits on a ZIP container's central directory, so that inspecting a crafted archive
// cannot take more than a little memory whatever the size of the file.
const (
	maxZipEntries   = 20000
	maxZipDirectory = 4 << 20
	maxContentTypes = 1 << 20
)

// Accepted is the list of accepted types, in the words of the refusal messages.
const Accepted = "PDF、JPEG、PNG、OFD、XLSX 或 DOCX"

var mediaTypes = map[string]string{
	KindPDF:  "application/pdf",
	KindJPEG: "image/jpeg",
	KindPNG:  "image/png",
	KindOFD:  "application/ofd",
	KindXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	KindDOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

// MediaType returns the media type of an accepted kind, or "application/octet-stream".
func MediaType(kind string) string {
	if t, ok := mediaTypes[kind]; ok {
		return t
	}
	return "application/octet-stream"
}

// Previewable reports whether files of the kind may be shown inline in a browser
// (PDF and images); every other kind is only ever downloaded as an attachment.
func Previewable(kind string) bool {
	return kind == KindPDF || kind == KindJPEG || kind == KindPNG
}

// RefusedError is the error of Detect for content that may not be uploaded. What says
// in Chinese what the content is ("HTML 网页", "可执行程序", …), or is "" when the type
// is not recognised at all.
type RefusedError struct {
	What string
}

func (e *RefusedError) Error() string {
	if e.What == "" {
		return "无法识别的文件类型"
	}
	return "内容是" + e.What
}

func refused(what string) error { return &RefusedError{What: what} }

// Detect decides the kind of a file by its content, never by its name. head is the
// start of the file (HeadSize bytes, or the whole file when shorter). zipAt is called
// only when head starts a ZIP container, to read the whole file (a ZIP's directory is
// at its end); it returns the file and its size. It returns one of the Kind constants,
// or a *RefusedError for content that is not accepted (HTML, SVG, scripts,
// executables, other archives, macro-enabled Office files, anything unknown), or
// another error when zipAt fails.
func Detect(head []byte, zipAt func() (io.ReaderAt, int64, error)) (kind string, err error) {
	kind, err = sniff(head)
	if err != nil || kind != kindZIP {
		return kind, err
	}
	if zipAt == nil {
		return "", errors.New("files: Detect needs the whole file to inspect a ZIP container")
	}
	ra, size, err := zipAt()
	if err != nil {
		return "", err
	}
	return inspectZip(ra, size)
}

// sniff decides by the first bytes alone; it returns kindZIP for a ZIP container.
func sniff(head []byte) (string, error) {
	switch {
	case len(head) == 0:
		return "", refused("空文件")
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return KindPDF, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return KindJPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZIP, nil
	}
	if what := binaryKind(head); what != "" {
		return "", refused(what)
	}
	if what := markupKind(head); what != "" {
		return "", refused(what)
	}
	return "", refused("")
}

// binaryKind names refused content recognised by its magic bytes.
func binaryKind(b []byte) string {
	has := func(p string) bool { return bytes.HasPrefix(b, []byte(p)) }
	switch {
	case has("#!"):
		return "脚本程序"
	case has("MZ"):
		return "Windows 可执行程序"
	case has("\x7fELF"):
		return "Linux 可执行程序"
	case has("\xfe\xed\xfa\xce"), has("\xfe\xed\xfa\xcf"), has("\xce\xfa\xed\xfe"), has("\xcf\xfa\xed\xfe"):
		return "macOS 可执行程序"
	case has("\xca\xfe\xba\xbe"):
		// A Java class has its major version (≥ 45) here; a universal Mach-O binary has
		// its small count of architectures.
		if len(b) >= 8 && binary.BigEndian.Uint32(b[4:8]) < 45 {
			return "macOS 可执行程序"
		}
		return "Java 程序"
	case has("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
		return "旧版 Office 文档或加密的文档（请另存为 DOCX、XLSX 或 PDF）"
	case has("GIF87a"), has("GIF89a"):
		return "GIF 图片"
	case has("BM") && len(b) >= 14 && binary.LittleEndian.Uint32(b[10:14]) < 1<<16:
		return "BMP 图片"
	case has("II*\x00"), has("MM\x00*"):
		return "TIFF 图片"
	case has("RIFF") && len(b) >= 12 && string(b[8:12]) == "WEBP":
		return "WebP 图片"
	case has("Rar!\x1a\x07"), has("7z\xbc\xaf\x27\x1c"), has("\x1f\x8b"), has("BZh"), has("\xfd7zXZ\x00"):
		return "压缩包"
	case has("{\\rtf"):
		return "RTF 文档（请另存为 DOCX 或 PDF）"
	}
	return ""
}

// markupKind names HTML, SVG and XML content, after any byte-order mark and white space.
func markupKind(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf16 := utf16ASCII(b); utf16 != nil {
		b = utf16
	}
	b = bytes.TrimLeft(b, " \t\r\n\f\v")
	lower := strings.ToLower(string(b))
	if !strings.HasPrefix(lower, "<") {
		return ""
	}
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<meta", "<style", "<title", "<div", "<a ", "<p>", "<form", "<object", "<embed", "<img"} {
		if strings.HasPrefix(lower, p) {
			return "HTML 网页"
		}
	}
	if strings.HasPrefix(lower, "<svg") || strings.HasPrefix(lower, "<!doctype svg") ||
		strings.Contains(lower, "<svg") {
		return "SVG 图形"
	}
	if strings.Contains(lower, "<html") || strings.Contains(lower, "<script") ||
		strings.Contains(lower, "xmlns=\"http://www.w3.org/1999/xhtml\"") {
		return "HTML 网页"
	}
	if strings.HasPrefix(lower, "<?xml") {
		return "XML 文件"
	}
	if strings.HasPrefix(lower, "<!--") {
		return "HTML 网页"
	}
	return ""
}

// utf16ASCII returns the ASCII bytes of UTF-16 text that starts with a byte-order
// mark, so that markup in UTF-16 is recognised too; nil otherwise.
func utf16ASCII(b []byte) []byte {
	var hi int
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		hi = 1
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		hi = 0
	default:
		return nil
	}
	b = b[2:]
	out := make([]byte, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		if b[i+hi] != 0 {
			out = append(out, '?')
			continue
		}
		out = append(out, b[i+1-hi])
	}
	return out
}

// inspectZip decides which ZIP container a file is from its central directory.
func inspectZip(ra io.ReaderAt, size int64) (string, error) {
	if err := checkZipDirectory(ra, size); err != nil {
		return "", err
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return "", refused("损坏的或结构异常的压缩包")
	}
	var ofd, contentTypes, xl, word, ppt, macro, jar, apk bool
	var ct *zip.File
	for _, f := range zr.File {
		name := f.Name
		lower := strings.ToLower(name)
		switch {
		case name == "OFD.xml":
			ofd = true
		case name == "[Content_Types].xml":
			contentTypes, ct = true, f
		case strings.HasPrefix(name, "xl/"):
			xl = true
		case strings.HasPrefix(name, "word/"):
			word = true
		case strings.HasPrefix(name, "ppt/"):
			ppt = true
		case name == "META-INF/MANIFEST.MF":
			jar = true
		case name == "AndroidManifest.xml", name == "classes.dex":
			apk = true
		}
		if strings.HasSuffix(lower, "vbaproject.bin") || strings.HasSuffix(lower, "vbadata.xml") {
			macro = true
		}
	}
	if contentTypes && (xl || word) && !macro {
		m, err := macroContentTypes(ct)
		if err != nil {
			return "", err
		}
		macro = m
	}
	switch {
	case macro && xl:
		return "", refused("启用宏的 Excel 工作簿")
	case macro && word:
		return "", refused("启用宏的 Word 文档")
	case macro:
		return "", refused("含宏的 Office 文件")
	case ofd && !contentTypes:
		return KindOFD, nil
	case contentTypes && xl && !word:
		return KindXLSX, nil
	case contentTypes && word && !xl:
		return KindDOCX, nil
	case contentTypes && ppt:
		return "", refused("PowerPoint 演示文稿（请另存为 PDF）")
	case apk:
		return "", refused("安卓安装包")
	case jar:
		return "", refused("Java 程序包")
	}
	return "", refused("ZIP 压缩包")
}

// macroContentTypes reports whether [Content_Types].xml declares a macro-enabled
// document or a VBA project. It reads at most maxContentTypes bytes of it.
func macroContentTypes(f *zip.File) (bool, error) {
	rc, err := f.Open()
	if err != nil {
		return false, refused("损坏的或结构异常的压缩包")
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxContentTypes))
	if err != nil {
		return false, refused("损坏的或结构异常的压缩包")
	}
	s := strings.ToLower(string(b))
	return strings.Contains(s, "macroenabled") || strings.Contains(s, "vbaproject"), nil
}

// checkZipDirectory reads the end-of-central-directory record (and its ZIP64
// variant) and refuses archives whose directory is too large, or does not end where
// the record begins: archive/zip reads directory entries until one fails to parse, so
// without this check a crafted archive could make it hold far more entries in memory
// than it claims.
func checkZipDirectory(ra io.ReaderAt, size int64) error {
	const eocdLen = 22
	bad := refused("损坏的或结构异常的压缩包")
	if size < eocdLen {
		return bad
	}
	tail := int64(eocdLen + 65535)
	if tail > size {
		tail = size
	}
	buf := make([]byte, tail)
	if _, err := ra.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return fmt.Errorf("files: read zip directory: %w", err)
	}
	at := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == 0x06054b50 &&
			i+eocdLen+int(binary.LittleEndian.Uint16(buf[i+20:])) == len(buf) {
			at = i
			break
		}
	}
	if at < 0 {
		return bad
	}
	rec := buf[at:]
	eocd := size - tail + int64(at)
	entries := uint64(binary.LittleEndian.Uint16(rec[10:]))
	dirSize := uint64(binary.LittleEndian.Uint32(rec[12:]))
	dirOffset := uint64(binary.LittleEndian.Uint32(rec[16:]))
	dirEnd := uint64(eocd)
	if entries == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF {
		// ZIP64: a locator of 20 bytes just before the record points at the ZIP64 record.
		if at < 20 || binary.LittleEndian.Uint32(buf[at-20:]) != 0x07064b50 {
			return bad
		}
		off := binary.LittleEndian.Uint64(buf[at-20+8:])
		if off > uint64(size)-56 {
			return bad
		}
		var z [56]byte
		if _, err := ra.ReadAt(z[:], int64(off)); err != nil {
			return bad
		}
		if binary.LittleEndian.Uint32(z[:]) != 0x06064b50 {
			return bad
		}
		entries = binary.LittleEndian.Uint64(z[32:])
		dirSize = binary.LittleEndian.Uint64(z[40:])
		dirOffset = binary.LittleEndian.Uint64(z[48:])
		dirEnd = off
	}
	if entries > maxZipEntries || dirSize > maxZipDirectory {
		return refused("条目过多的压缩包")
	}
	if dirOffset+dirSize != dirEnd {
		return bad
	}
	return nil
}
