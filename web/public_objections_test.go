package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// PUBLIC: the objection form's anti-spam, validation and attachments.

func TestObjectionAccepted(t *testing.T) {
	f := newPublicFixture(t)
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	w := f.submit(f.anon(), nil, filepart{"现场照片.png", tinyPNG(t)}, filepart{"说明.pdf", pdf})
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	os, err := f.db.Objections(context.Background(), f.notice.ID)
	if err != nil || len(os) != 1 {
		t.Fatalf("objections: %v %v", os, err)
	}
	o := os[0]
	if want := fmt.Sprintf("YY-%d-%05d", f.notice.ID, o.ID); !strings.Contains(body, want) || !strings.Contains(body, "异议已受理") {
		t.Errorf("receipt page lacks %s: %.600s", want, body)
	}
	if o.Name != "张三" || o.Contact != "13800001111" || o.ApplicationID != f.appA.ID || len(o.Files) != 2 {
		t.Errorf("stored objection: %+v", o)
	}
	if o.Files[0].MediaType != "image/png" || o.Files[1].MediaType != "application/pdf" {
		t.Errorf("file types: %+v", o.Files)
	}
	if len(o.ClientKey) != 32 || strings.Contains(o.ClientKey, "192.0.2.1") {
		t.Errorf("client key %q: want an HMAC, never the address", o.ClientKey)
	}
	// The same address gives the same key; another address another.
	other := f.anon()
	other.addr = "198.51.100.7:999"
	if f.srv.clientKey(f.anon().req("GET", "/", nil)) != o.ClientKey || f.srv.clientKey(other.req("GET", "/", nil)) == o.ClientKey {
		t.Error("client keys do not identify addresses")
	}
}

func TestObjectionRefusals(t *testing.T) {
	html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
	cases := []struct {
		name   string
		edit   func(url.Values)
		parts  []filepart
		status int
		field  string // the re-rendered form marks it
		msg    string
	}{
		{"honeypot", func(v url.Values) { v.Set("website", "http://spam.example") }, nil, http.StatusBadRequest, "", "未通过校验"},
		{"forged token", func(v url.Values) { v.Set("form_token", v.Get("form_token")[:20]+"AAAA") }, nil, http.StatusUnprocessableEntity, "", "表单已失效"},
		{"no name", func(v url.Values) { v.Set("name", " ") }, nil, http.StatusUnprocessableEntity, "name", "请填写姓名"},
		{"bad contact", func(v url.Values) { v.Set("contact", "微信 abc") }, nil, http.StatusUnprocessableEntity, "contact", "联系方式格式不正确"},
		{"bad e-mail", func(v url.Values) { v.Set("contact", "someone@localhost") }, nil, http.StatusUnprocessableEntity, "contact", "联系方式格式不正确"},
		{"platform not on notice", func(v url.Values) { v.Set("application_id", "999999") }, nil, http.StatusUnprocessableEntity, "application_id", "请选择异议平台"},
		{"short grounds", func(v url.Values) { v.Set("grounds", "不符合条件") }, nil, http.StatusUnprocessableEntity, "grounds", "至少 20 个字"},
		{"long grounds", func(v url.Values) { v.Set("grounds", strings.Repeat("长", 5001)) }, nil, http.StatusUnprocessableEntity, "grounds", "不能超过 5000 个字"},
		{"html named pdf", nil, []filepart{{"证据.pdf", html}}, http.StatusUnprocessableEntity, "files", "只能上传 PDF"},
		{"xlsx", nil, []filepart{{"表.xlsx", xlsxBytes(t)}}, http.StatusUnprocessableEntity, "files", "只能上传 PDF"},
		{"four files", nil, []filepart{{"1.png", tinyPNG(t)}, {"2.png", tinyPNG(t)}, {"3.png", tinyPNG(t)}, {"4.png", tinyPNG(t)}},
			http.StatusUnprocessableEntity, "files", "附件最多 3 个"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newPublicFixture(t)
			w := f.submit(f.anon(), tc.edit, tc.parts...)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.msg) {
				t.Fatalf("status %d, want %d with %q: %.800s", w.Code, tc.status, tc.msg, w.Body.String())
			}
			if n := f.objections(); n != 0 {
				t.Errorf("%d objections stored", n)
			}
			body := w.Body.String()
			if !strings.Contains(body, `name="form_token"`) {
				t.Error("the form is not shown again")
			}
			if tc.field != "" && tc.field != "name" && !strings.Contains(body, `value="张三"`) {
				t.Error("the name entered is lost")
			}
			if tc.field != "" && !strings.Contains(body, `class="invalid"><span>`+map[string]string{"name": "姓名", "contact": "联系方式",
				"application_id": "异议平台", "grounds": "异议理由", "files": "附件"}[tc.field]) {
				t.Errorf("field %s not marked", tc.field)
			}
		})
	}
}

func TestObjectionToken(t *testing.T) {
	f := newPublicFixture(t)
	c := f.anon()

	// Too fast: posted at once.
	tok := f.objectionToken(c)
	w := f.postObjection(c, f.validObjection(tok))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "提交过快") {
		t.Fatalf("too fast: %d %.400s", w.Code, w.Body.String())
	}
	// The same token later is fine, once.
	f.clock.Add(4 * time.Second)
	wantStatus(t, f.postObjection(c, f.validObjection(tok)), http.StatusOK)
	w = f.postObjection(c, f.validObjection(tok))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "已经提交过") {
		t.Fatalf("reused token: %d %.400s", w.Code, w.Body.String())
	}
	// Too old.
	tok = f.objectionToken(c)
	f.clock.Add(2*time.Hour + time.Minute)
	w = f.postObjection(c, f.validObjection(tok))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "已超过 2 小时") {
		t.Fatalf("old token: %d %.400s", w.Code, w.Body.String())
	}
	// No token at all.
	v := f.validObjection("")
	if w := f.postObjection(c, v); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("no token: %d", w.Code)
	}
	// A token of another server (another master key) is refused.
	g := newPublicFixture(t)
	g.srv.masterKey[0] ^= 0xff
	tok = g.objectionToken(g.anon())
	f.clock.Add(5 * time.Second)
	if w := f.postObjection(c, f.validObjection(tok)); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("foreign token: %d", w.Code)
	}
	if n := f.objections(); n != 1 {
		t.Errorf("%d objections, want 1", n)
	}
}

func TestObjectionRateLimit(t *testing.T) {
	f := newPublicFixture(t)
	c := f.anon()
	for i := 0; i < objectionsPerHour; i++ {
		wantStatus(t, f.submit(c, nil), http.StatusOK)
	}
	w := f.submit(c, nil)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "每小时最多提交 3 件") {
		t.Fatalf("4th in an hour: %d %.400s", w.Code, w.Body.String())
	}
	// Another client is not affected.
	other := f.anon()
	other.addr = "198.51.100.7:999"
	wantStatus(t, f.submit(other, nil), http.StatusOK)
	// Over the day: three an hour until ten.
	for n := objectionsPerHour; n < objectionsPerDay; n++ {
		if n%objectionsPerHour == 0 {
			f.clock.Add(time.Hour)
		}
		wantStatus(t, f.submit(c, nil), http.StatusOK)
	}
	f.clock.Add(time.Hour)
	w = f.submit(c, nil)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "每天最多提交 10 件") {
		t.Fatalf("11th in a day: %d %.400s", w.Code, w.Body.String())
	}
	f.clock.Add(24 * time.Hour)
	wantStatus(t, f.submit(c, nil), http.StatusOK)
}

func TestObjectionAfterEnd(t *testing.T) {
	f := newPublicFixture(t)
	tok := f.objectionToken(f.anon())
	f.clock.Set(f.notice.EndsAt)
	w := f.postObjection(f.anon(), f.validObjection(tok))
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "公示期已结束") {
		t.Fatalf("after the end: %d %.400s", w.Code, w.Body.String())
	}
	if w := f.anon().do("GET", "/public/objections/new", nil); w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "公示期已结束") {
		t.Errorf("form after the end: %d", w.Code)
	}
	body := f.anon().do("GET", "/public/notice", nil).Body.String()
	if !strings.Contains(body, "公示期已结束，不再受理异议") || strings.Contains(body, "/public/objections/new") {
		t.Errorf("notice page after the end: %.600s", body)
	}
	if n := f.objections(); n != 0 {
		t.Errorf("%d objections", n)
	}
}

func TestObjectionCSRF(t *testing.T) {
	f := newPublicFixture(t)
	// A logged-in visitor's form carries the session's CSRF token too.
	c := f.as("applicantB")
	wantStatus(t, f.submit(c, nil), http.StatusOK)
	tok := f.objectionToken(c)
	f.clock.Add(5 * time.Second)
	v := f.validObjection(tok)
	v.Set("csrf_token", "wrong")
	if w := f.postObjection(c, v); w.Code != http.StatusForbidden {
		t.Errorf("wrong session CSRF token: %d", w.Code)
	}
	// A cross-site POST is refused before anything else.
	tok = f.objectionToken(f.anon())
	f.clock.Add(5 * time.Second)
	r := f.anon().req("POST", "/public/objections", f.validObjection(tok))
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if w := f.anon().send(r); w.Code != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", w.Code)
	}
	if n := f.objections(); n != 1 {
		t.Errorf("%d objections, want 1", n)
	}
}

func TestValidContact(t *testing.T) {
	for c, want := range map[string]bool{
		"13800138000": true, "+86 13800138000": true, "020-12345678": true, "0757-2234567": true,
		"020-12345678-123": true, "li@example.cn": true, "张三 <li@example.cn>": false, "li@localhost": false,
		"12800138000": false, "abc": false, "": false, "li@.cn": false,
	} {
		if got := validContact(c); got != want {
			t.Errorf("validContact(%q) = %v, want %v", c, got, want)
		}
	}
}

// xlsxBytes is a real workbook: accepted as evidence, not as an objection's
// attachment.
func xlsxBytes(t *testing.T) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestObjectionAttachmentSize: a scanned attachment of a few megabytes is accepted
// (each file up to 5 MB, the request up to three of them); a larger file is refused
// with a message naming the field, and nothing is stored.
func TestObjectionAttachmentSize(t *testing.T) {
	scan := func(n int) []byte {
		b := append([]byte("%PDF-1.4\n1 0 obj<<>>endobj\n"), bytes.Repeat([]byte("0"), n)...)
		return append(b, "\ntrailer<<>>\n%%EOF\n"...)
	}
	f := newPublicFixture(t)
	w := f.submit(f.anon(), nil, filepart{"扫描件一.pdf", scan(3 << 20)}, filepart{"扫描件二.pdf", scan(3 << 20)})
	wantStatus(t, w, http.StatusOK)
	if n := f.objections(); n != 1 {
		t.Fatalf("%d objections stored, want 1", n)
	}

	f = newPublicFixture(t)
	w = f.submit(f.anon(), nil, filepart{"过大.pdf", scan(6 << 20)})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "超过 5 MB") {
		t.Fatalf("status %d, want 422 naming the limit: %.600s", w.Code, w.Body.String())
	}
	if n := f.objections(); n != 0 {
		t.Errorf("%d objections stored", n)
	}
}
