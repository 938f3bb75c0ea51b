package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"biopilot/files"
	"biopilot/store"
)

// stale is the status of a conflict (a stale version, a lost race).
const stale = 409

// tinyPNG is a real 2×2 PNG.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{200, 30, 30, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withFiles gives the fixture's server an evidence store in a temporary directory.
func (f *fixture) withFiles() *files.Store {
	f.t.Helper()
	if f.srv.files != nil {
		return f.srv.files
	}
	fs, err := files.Open(context.Background(), files.DirURL(f.t.TempDir()))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { fs.Close() })
	f.srv.files = fs
	return fs
}

var fixtureAttachments sync.Map // *fixture → attachment id

// attachmentPath names an attachment of appSub (a stored PNG, listed in its
// snapshot's category "license"), created once per fixture.
func attachmentPath(format string) func(*fixture) string {
	return func(f *fixture) string {
		if id, ok := fixtureAttachments.Load(f); ok {
			return fmt.Sprintf(format, id.(int64))
		}
		fs := f.withFiles()
		info, err := fs.Put(context.Background(), bytes.NewReader(tinyPNG(f.t)), "营业执照.png", 0)
		if err != nil {
			f.t.Fatal(err)
		}
		a := &store.Attachment{ApplicationID: f.appSub.ID, Category: "license", SHA256: info.SHA256,
			Filename: info.Filename, Size: info.Size, Kind: info.Kind, MediaType: info.MediaType,
			UploadedBy: f.users["applicantA"].ID}
		if err := f.db.AddAttachment(context.Background(), a); err != nil {
			f.t.Fatal(err)
		}
		fixtureAttachments.Store(f, a.ID)
		return fmt.Sprintf(format, a.ID)
	}
}

// multipartBody builds a multipart body of files under the field "files".
func multipartBody(t *testing.T, parts map[string][]byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, data := range parts {
		w, err := mw.CreateFormFile("files", name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func (c *client) upload(t *testing.T, appID int64, category string, parts map[string][]byte) *httptest.ResponseRecorder {
	t.Helper()
	body, ctype := multipartBody(t, parts)
	r := c.req("POST", fmt.Sprintf("/api/v1/applications/%d/evidence/%s", appID, category), nil)
	r.Body = io.NopCloser(body)
	r.ContentLength = int64(body.Len())
	r.Header.Set("Content-Type", ctype)
	return c.send(r)
}

func TestEditorSectionSaveAndConflict(t *testing.T) {
	f := newFixture(t)
	a, b := f.as("applicantA"), f.as("colleagueA")
	path := idPath("/applications/%d/edit", f.appDraft.ID)
	// A plain form post saves the section's fields and leaves the others.
	w := a.do("POST", path, url.Values{"section": {"basic"}, "base_version": {"1"},
		"platform.name": {"草稿平台（改）"}, "staff.management": {"6"}, "__present": {"domains"}, "domains": {"enzymes"}})
	wantStatus(t, w, 303)
	app, _ := f.db.Application(context.Background(), f.appDraft.ID)
	if app.Version != 2 || app.PlatformName != "草稿平台（改）" || !strings.Contains(string(app.Document), `"management":6`) {
		t.Fatalf("after save: v%d %s", app.Version, app.Document)
	}
	// Invalid input: 422, the message beside the field, nothing saved.
	w = a.do("POST", path, url.Values{"section": {"basic"}, "base_version": {"2"}, "staff.management": {"六个"}})
	wantStatus(t, w, 422)
	if !strings.Contains(w.Body.String(), "管理人员") || !strings.Contains(w.Body.String(), `value="六个"`) {
		t.Errorf("422 page does not name the field or keep the input: %.500s", w.Body.String())
	}
	// B, on version 2, changes another field: merged automatically with A's later save.
	w = a.do("POST", path, url.Values{"section": {"basic"}, "base_version": {"2"}, "platform.name": {"A 的名称"}, "staff.management": {"6"}})
	wantStatus(t, w, 303)
	r := b.req("POST", path, url.Values{"section": {"basic"}, "base_version": {"2"}, "platform.name": {"草稿平台（改）"}, "staff.management": {"9"}})
	r.Header.Set("Accept", "application/json")
	w = b.send(r)
	wantStatus(t, w, 200)
	if m := decode(t, w); m["merged"] != true {
		t.Errorf("not merged: %v", m)
	}
	app, _ = f.db.Application(context.Background(), f.appDraft.ID)
	if app.PlatformName != "A 的名称" || !strings.Contains(string(app.Document), `"management":9`) {
		t.Fatalf("merge lost something: %s", app.Document)
	}
	// Both change the same field: 409 listing both values; nothing saved.
	r = b.req("POST", path, url.Values{"section": {"basic"}, "base_version": {"2"}, "platform.name": {"B 的名称"}})
	r.Header.Set("Accept", "application/json")
	w = b.send(r)
	wantStatus(t, w, 409)
	m := decode(t, w)
	cs, _ := m["conflicts"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["mine_text"] != "B 的名称" || cs[0].(map[string]any)["theirs_text"] != "A 的名称" {
		t.Fatalf("conflicts %v", m)
	}
	cur := int64(m["current"].(map[string]any)["version"].(float64))
	// Without script: the conflict page shows both values.
	w = b.do("POST", path, url.Values{"section": {"basic"}, "base_version": {"2"}, "platform.name": {"B 的名称"}})
	wantStatus(t, w, 409)
	if !strings.Contains(w.Body.String(), "B 的名称") || !strings.Contains(w.Body.String(), "A 的名称") || !strings.Contains(w.Body.String(), "采用对方的") {
		t.Errorf("conflict page: %.600s", w.Body.String())
	}
	// Resolved: keep mine.
	w = b.do("POST", path, url.Values{"section": {"basic"}, "base_version": {"2"}, "platform.name": {"B 的名称"},
		"__resolve": {strconv.FormatInt(cur, 10)}, "__choose.platform.name": {"mine"}})
	wantStatus(t, w, 303)
	app, _ = f.db.Application(context.Background(), f.appDraft.ID)
	if app.PlatformName != "B 的名称" || !strings.Contains(string(app.Document), `"management":9`) {
		t.Fatalf("resolution: %s", app.Document)
	}
	// The editor page renders every section.
	for _, sec := range f.prog.Form.Sections {
		w = a.do("GET", path+"?section="+sec.ID, nil)
		wantStatus(t, w, 200)
		if !strings.Contains(w.Body.String(), sec.Title) {
			t.Errorf("section %s: no title", sec.ID)
		}
	}
}

func TestEvidenceUploadAndSubmit(t *testing.T) {
	f := newFixture(t)
	f.withFiles()
	f.srv.cfg.MaxUploadBytes = 64 << 10
	a := f.as("applicantA")
	// The example document, through the JSON import, then evidence per category.
	var doc map[string]any
	json.Unmarshal(example(t), &doc)
	cats := doc["evidence"].(map[string]any)
	delete(doc, "evidence") // the example's ids are placeholders: upload real files
	w := a.do("POST", idPath("/api/v1/applications/%d/import?base_version=1", f.appDraft.ID), doc)
	wantStatus(t, w, 200)
	// Refused: a disguised HTML file and an oversized one; the message names them.
	w = a.upload(t, f.appDraft.ID, "license", map[string][]byte{"执照.pdf": []byte("<html><script>alert(1)</script></html>")})
	wantStatus(t, w, 422)
	if !strings.Contains(w.Body.String(), "执照.pdf") {
		t.Errorf("refusal does not name the file: %s", w.Body.String())
	}
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 70<<10)...)
	w = a.upload(t, f.appDraft.ID, "license", map[string][]byte{"大文件.pdf": big})
	wantStatus(t, w, 413)
	// Accepted: a PNG in every category the example lists.
	for cat := range cats {
		w = a.upload(t, f.appDraft.ID, cat, map[string][]byte{cat + ".png": tinyPNG(t)})
		wantStatus(t, w, 201)
	}
	app, _ := f.db.Application(context.Background(), f.appDraft.ID)
	if strings.Contains(string(app.Document), "att-license-1") {
		t.Errorf("the example's placeholder ids are still there")
	}
	// Download: attachment, nosniff, audited.
	as, _ := f.db.Attachments(context.Background(), app.ID)
	w = a.do("GET", fmt.Sprintf("/api/v1/attachments/%d", as[0].ID), nil)
	wantStatus(t, w, 200)
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download headers %v", w.Header())
	}
	// Submit: eligible, snapshot frozen with a hash.
	w = a.do("POST", idPath("/api/v1/applications/%d/submit", app.ID), map[string]any{"base_version": app.Version})
	if w.Code != 200 {
		t.Fatalf("submit: %d %s", w.Code, w.Body.String())
	}
	app, _ = f.db.Application(context.Background(), f.appDraft.ID)
	if app.State != "submitted" || len(app.SnapshotHash) != 64 {
		t.Errorf("after submit: %s %q", app.State, app.SnapshotHash)
	}
	// Withdraw, then the deadline passes: refused.
	wantStatus(t, a.do("POST", idPath("/api/v1/applications/%d/withdraw", app.ID), nil), 200)
	f.clock.Set(f.prog.ApplicantDeadline().Add(time.Minute))
	a = f.as("applicantA") // a fresh session on the new clock
	app, _ = f.db.Application(context.Background(), f.appDraft.ID)
	w = a.do("POST", idPath("/api/v1/applications/%d/submit", app.ID), map[string]any{"base_version": app.Version})
	wantStatus(t, w, 403)
}

func TestSubmitIncompleteListsFields(t *testing.T) {
	f := newFixture(t)
	a := f.as("applicantA")
	w := a.do("POST", idPath("/api/v1/applications/%d/submit", f.appDraft.ID), map[string]any{"base_version": 1})
	wantStatus(t, w, 422)
	e := apiErr(t, w)
	fields, _ := e["fields"].([]any)
	if len(fields) < 3 {
		t.Fatalf("missing list: %v", e)
	}
	w = a.do("GET", idPath("/applications/%d/submit", f.appDraft.ID), nil)
	wantStatus(t, w, 200)
	if !strings.Contains(w.Body.String(), "edit?section=basic#field-") {
		t.Errorf("submit page does not link the missing fields")
	}
}
