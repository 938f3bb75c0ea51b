package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// PUBLIC: handler tests of the public notice and the objection form.

var formTokenRe = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// objectionToken opens the objection form as c and returns its form token.
func (f *pubFixture) objectionToken(c *client) string {
	f.t.Helper()
	w := c.do("GET", idPath("/public/objections/new?platform=%d", f.appA.ID), nil)
	wantStatus(f.t, w, http.StatusOK)
	m := formTokenRe.FindStringSubmatch(w.Body.String())
	if m == nil {
		f.t.Fatalf("no form token in the form: %.500s", w.Body.String())
	}
	return m[1]
}

// filepart is an attachment of a multipart POST.
type filepart struct {
	name string
	data []byte
}

// postObjection posts the objection form as c (multipart, as the browser does).
func (f *pubFixture) postObjection(c *client, fields url.Values, parts ...filepart) *httptest.ResponseRecorder {
	f.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if c.csrf != "" && fields.Get("csrf_token") == "" {
		fields = cloneValues(fields)
		fields.Set("csrf_token", c.csrf)
	}
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for _, p := range parts {
		fw, err := mw.CreateFormFile("files", p.name)
		if err != nil {
			f.t.Fatal(err)
		}
		_, _ = fw.Write(p.data)
	}
	_ = mw.Close()
	r := httptest.NewRequest("POST", "/public/objections", &buf)
	r.RemoteAddr = c.addr
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if c.cookie != "" {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	}
	return c.send(r)
}

// validObjection is a complete objection to 广州's platform with token tok.
func (f *pubFixture) validObjection(tok string) url.Values {
	return url.Values{"form_token": {tok}, "name": {"张三"}, "contact": {"13800001111"},
		"application_id": {fmt.Sprint(f.appA.ID)},
		"grounds":        {"该平台申报的发酵罐实际并未建成投用，现场仍为空置厂房，与申报材料不符，请核实。"}}
}

// submit opens the form as c, waits past the minimum age and posts it, edited.
func (f *pubFixture) submit(c *client, edit func(url.Values), parts ...filepart) *httptest.ResponseRecorder {
	f.t.Helper()
	tok := f.objectionToken(c)
	f.clock.Add(5 * time.Second)
	v := f.validObjection(tok)
	if edit != nil {
		edit(v)
	}
	return f.postObjection(c, v, parts...)
}

func (f *pubFixture) objections() int {
	f.t.Helper()
	os, err := f.db.Objections(context.Background(), f.notice.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(os)
}

func TestPublicNoticePage(t *testing.T) {
	f := newPublicFixture(t)
	w := f.anon().do("GET", "/public/notice", nil)
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	for _, want := range []string{f.notice.Title, "公示期：5 个工作日", "广州酶制剂公示中试平台", "佛山食品配料公示中试平台",
		"广州某生物科技有限公司", "广州市", idPath("/public/objections/new?platform=%d", f.appB.ID), "如何提出异议",
		`href="/public/directory"`, `href="/login"`, "2025年6月20日 10:00", "2025年6月26日 24:00"} {
		if !strings.Contains(body, want) {
			t.Errorf("notice page lacks %q", want)
		}
	}
	if strings.Contains(body, "退出登录") || strings.Contains(body, "审核工作台") {
		t.Error("the public page shows the logged-in navigation")
	}
	assertNoConfidential(t, "notice page", body)

	// A logged-in visitor sees the public layout too.
	if b := f.as("citygz").do("GET", "/public/notice", nil).Body.String(); strings.Contains(b, "退出登录") || !strings.Contains(b, "广州酶制剂公示中试平台") {
		t.Errorf("notice page for a logged-in visitor: %.300s", b)
	}

	// Without any notice.
	g := newFixture(t)
	w = g.anon().do("GET", "/public/notice", nil)
	wantStatus(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), "目前没有公示") {
		t.Errorf("no notice: %.400s", w.Body.String())
	}
	if w := g.anon().do("GET", "/public/objections/new", nil); w.Code != http.StatusNotFound {
		t.Errorf("form without a notice: %d", w.Code)
	}
}

func assertNoConfidential(t *testing.T, where, body string) {
	t.Helper()
	for _, c := range confidential {
		if strings.Contains(body, c) {
			t.Errorf("%s shows the confidential value %q", where, c)
		}
	}
}
