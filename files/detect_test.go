package files

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

// detect runs Detect on a whole file held in memory.
func detect(data []byte) (string, error) {
	head := data
	if len(head) > HeadSize {
		head = head[:HeadSize]
	}
	return Detect(head, func() (io.ReaderAt, int64, error) {
		return bytes.NewReader(data), int64(len(data)), nil
	})
}

func TestDetectAccepted(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		kind string
	}{
		{"pdf", tinyPDF(t), KindPDF},
		{"png", tinyPNG(t), KindPNG},
		{"jpeg", tinyJPEG(t), KindJPEG},
		{"xlsx", tinyXLSX(t), KindXLSX},
		{"docx", tinyDOCX(t), KindDOCX},
		{"ofd", tinyOFD(t), KindOFD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, err := detect(tt.data)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if kind != tt.kind {
				t.Errorf("kind = %q, want %q", kind, tt.kind)
			}
			if MediaType(kind) == "application/octet-stream" {
				t.Errorf("MediaType(%q) is not specific", kind)
			}
		})
	}
}

func TestDetectRefused(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		what string // "" for unknown
	}{
		{"html", []byte("<!DOCTYPE html><html><body>x</body></html>"), "HTML 网页"},
		{"html after BOM and space", []byte("\xef\xbb\xbf \r\n\t<HTML><script>alert(1)</script>"), "HTML 网页"},
		{"bare script", []byte("<script>fetch('/api')</script>"), "HTML 网页"},
		{"html utf-16", []byte("\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00"), "HTML 网页"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "SVG 图形"},
		{"svg with xml declaration", []byte("<?xml version=\"1.0\"?>\n<!-- drawn -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"), "SVG 图形"},
		{"xhtml", []byte(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"></html>`), "HTML 网页"},
		{"plain xml", []byte(`<?xml version="1.0"?><data/>`), "XML 文件"},
		{"shell script", []byte("#!/bin/sh\nrm -rf /\n"), "脚本程序"},
		{"elf", elf(), "Linux 可执行程序"},
		{"pe", pe(), "Windows 可执行程序"},
		{"mach-o", append([]byte("\xcf\xfa\xed\xfe"), make([]byte, 28)...), "macOS 可执行程序"},
		{"java class", []byte("\xca\xfe\xba\xbe\x00\x00\x00\x41rest"), "Java 程序"},
		{"universal mach-o", []byte("\xca\xfe\xba\xbe\x00\x00\x00\x02rest"), "macOS 可执行程序"},
		{"ole", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), "旧版 Office 文档或加密的文档（请另存为 DOCX、XLSX 或 PDF）"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "GIF 图片"},
		{"plain zip", zipOf(t, "a.txt", "hello"), "ZIP 压缩包"},
		{"jar", zipOf(t, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", "A.class", "\xca\xfe\xba\xbe"), "Java 程序包"},
		{"apk", zipOf(t, "AndroidManifest.xml", "x", "classes.dex", "dex"), "安卓安装包"},
		{"macro xlsx", macroXLSX(t), "启用宏的 Excel 工作簿"},
		{"macro docx by content types", macroDOCX(t), "启用宏的 Word 文档"},
		{"pptx", zipOf(t, "[Content_Types].xml", "<Types/>", "ppt/presentation.xml", "<p/>"), "PowerPoint 演示文稿（请另存为 PDF）"},
		{"truncated zip", zipOf(t, "OFD.xml", "<x/>")[:40], "损坏的或结构异常的压缩包"},
		{"text", []byte("申报单位：某某公司\n"), ""},
		{"empty", nil, "空文件"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, err := detect(tt.data)
			var r *RefusedError
			if !errors.As(err, &r) {
				t.Fatalf("Detect = %q, %v; want a refusal", kind, err)
			}
			if r.What != tt.what {
				t.Errorf("refused as %q, want %q", r.What, tt.what)
			}
		})
	}
}

// The name never decides; Detect does not even see it. A file whose first bytes are
// not enough (a ZIP) needs the rest.
func TestDetectZipNeedsFile(t *testing.T) {
	if _, err := Detect(tinyOFD(t)[:4], nil); err == nil || errors.As(err, new(*RefusedError)) {
		t.Fatalf("Detect(zip head, nil) = %v, want a plain error", err)
	}
}

// A crafted archive whose end record lies about its directory is refused before
// archive/zip reads any entry.
func TestDetectZipDirectoryChecked(t *testing.T) {
	good := tinyDOCX(t)
	eocd := bytes.LastIndex(good, []byte("PK\x05\x06"))
	if eocd < 0 {
		t.Fatal("no end record")
	}
	tests := []struct {
		name   string
		mutate func(b []byte)
		what   string
	}{
		{"directory offset too small", func(b []byte) {
			off := binary.LittleEndian.Uint32(b[eocd+16:])
			binary.LittleEndian.PutUint32(b[eocd+16:], off-1)
		}, "损坏的或结构异常的压缩包"},
		{"too many entries", func(b []byte) {
			binary.LittleEndian.PutUint16(b[eocd+10:], 0xFFFE)
			binary.LittleEndian.PutUint16(b[eocd+8:], 0xFFFE)
		}, "条目过多的压缩包"},
		{"zip64 marker without locator", func(b []byte) {
			binary.LittleEndian.PutUint32(b[eocd+16:], 0xFFFFFFFF)
		}, "损坏的或结构异常的压缩包"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(good)
			tt.mutate(b)
			_, err := detect(b)
			var r *RefusedError
			if !errors.As(err, &r) || r.What != tt.what {
				t.Fatalf("Detect = %v, want refusal %q", err, tt.what)
			}
		})
	}
}

func TestPreviewable(t *testing.T) {
	for kind, want := range map[string]bool{
		KindPDF: true, KindJPEG: true, KindPNG: true,
		KindOFD: false, KindXLSX: false, KindDOCX: false, "html": false, "": false,
	} {
		if got := Previewable(kind); got != want {
			t.Errorf("Previewable(%q) = %v, want %v", kind, got, want)
		}
	}
}

func TestRefusedErrorText(t *testing.T) {
	if got := (&RefusedError{}).Error(); !strings.Contains(got, "无法识别的文件类型") {
		t.Errorf("unknown refusal = %q", got)
	}
}
