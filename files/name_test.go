package files

import (
	"net/url"
	"strings"
	"testing"
)

func TestCleanFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"营业执照.pdf", "营业执照.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\张三\Desktop\场地证明.png`, "场地证明.png"},
		{"a\x00b\x1b[31mc.pdf", "ab[31mc.pdf"},
		{"invoice\u202egpj.exe", "invoicegpj.exe"}, // right-to-left override dropped
		{"  合同   汇总\t表.xlsx  ", "合同 汇总 表.xlsx"},
		{"report.pdf...", "report.pdf"},
		{"..", Unnamed},
		{"/", Unnamed},
		{"", Unnamed},
		{"\xff\xfe.pdf", ".pdf"},
		{strings.Repeat("长", 100) + ".pdf", strings.Repeat("长", 78) + ".pdf"},
	}
	for _, tt := range tests {
		if got := CleanFilename(tt.in); got != tt.want {
			t.Errorf("CleanFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := CleanFilename(tt.in); len(got) > maxNameBytes || strings.ContainsAny(got, "/\\\x00") {
			t.Errorf("CleanFilename(%q) = %q: not a safe display name", tt.in, got)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`},
		{"营业执照.pdf", `attachment; filename="download.pdf"; filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf`},
		{"2024年 合同.xlsx", `attachment; filename="2024_ __.xlsx"; filename*=UTF-8''2024%E5%B9%B4%20%E5%90%88%E5%90%8C.xlsx`},
		{`a"b\c.pdf`, `attachment; filename="c.pdf"; filename*=UTF-8''c.pdf`},
		{"say \"hi\";\r\nSet-Cookie: x=1.pdf", `attachment; filename="say hi; Set-Cookie: x=1.pdf"; filename*=UTF-8''say%20%22hi%22%3B%20Set-Cookie%3A%20x%3D1.pdf`},
		{"", `attachment; filename="download"; filename*=UTF-8''%E6%9C%AA%E5%91%BD%E5%90%8D%E6%96%87%E4%BB%B6`},
	}
	for _, tt := range tests {
		got := ContentDisposition(tt.in)
		if got != tt.want {
			t.Errorf("ContentDisposition(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
		if strings.ContainsAny(got, "\r\n\x00") {
			t.Errorf("ContentDisposition(%q) has control characters", tt.in)
		}
		// The extended value decodes back to the cleaned name.
		ext := got[strings.Index(got, "UTF-8''")+len("UTF-8''"):]
		if dec, err := url.PathUnescape(ext); err != nil || dec != CleanFilename(tt.in) {
			t.Errorf("filename* of %q decodes to %q, %v", tt.in, dec, err)
		}
	}
}
