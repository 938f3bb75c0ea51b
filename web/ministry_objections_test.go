package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"biopilot"
	"biopilot/store"
)

// PUBLIC: the ministry's handling of objections.

// anObjection raises one objection with a PNG through the public form and returns it.
func (f *pubFixture) anObjection() *store.Objection {
	f.t.Helper()
	wantStatus(f.t, f.submit(f.anon(), nil, filepart{"<script>证据</script>.png", tinyPNG(f.t)}), http.StatusOK)
	os, err := f.db.Objections(context.Background(), f.notice.ID)
	if err != nil || len(os) == 0 {
		f.t.Fatalf("objections: %v", err)
	}
	return os[len(os)-1]
}

func TestMinistryObjections(t *testing.T) {
	f := newPublicFixture(t)
	o := f.anObjection()
	min := f.as("ministry")

	// The list: grounds, contact, the attachment's link, the resolve form.
	w := min.do("GET", "/ministry/objections", nil)
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	file := fmt.Sprintf("/ministry/objections/%d/files/%d", o.ID, o.Files[0].ID)
	for _, want := range []string{receiptNumber(o), "广州酶制剂公示中试平台", "13800001111", "空置厂房", file,
		idPath("/ministry/objections/%d/resolve", o.ID), `id="open-count">1<`, "异议处理"} {
		if !strings.Contains(body, want) {
			t.Errorf("objections page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>证据") {
		t.Error("the file name is not escaped")
	}
	m := decode(t, min.do("GET", "/api/v1/national/objections", nil))
	if items := m["items"].([]any); len(items) != 1 || m["open"].(float64) != 1 {
		t.Errorf("API list: %v", m)
	}

	// The attachment is only ever downloaded, and the download is audited.
	w = min.do("GET", file, nil)
	wantStatus(t, w, http.StatusOK)
	h := w.Header()
	if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("Content-Type") != "image/png" ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("download headers: %v", h)
	}
	if !strings.Contains(f.logsOfAudit(t), "objection:"+fmt.Sprint(o.ID)) {
		t.Error("the download is not audited")
	}

	// Nobody else: the province, a city, the objected applicant.
	for _, who := range []string{"province", "citygz", "applicantA"} {
		c := f.as(who)
		for _, p := range []string{"/ministry/objections", file, "/api/v1/national/objections"} {
			if w := c.do("GET", p, nil); w.Code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", who, p, w.Code)
			}
		}
		w := c.do("POST", idPath("/api/v1/national/objections/%d/resolve", o.ID), map[string]any{"outcome": "rejected", "reason": "不成立"})
		if w.Code != http.StatusForbidden {
			t.Errorf("%s resolves: %d", who, w.Code)
		}
	}

	// Validation: the outcome and the reason, named.
	for _, tc := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"outcome": "maybe", "reason": "理由"}, "outcome"},
		{map[string]any{"outcome": "rejected", "reason": "  "}, "reason"},
		{map[string]any{"outcome": "rejected", "reason": strings.Repeat("长", 2001)}, "reason"},
	} {
		w := min.do("POST", idPath("/api/v1/national/objections/%d/resolve", o.ID), tc.in)
		if w.Code != http.StatusUnprocessableEntity || apiErr(t, w)["field"] != tc.field {
			t.Errorf("%v: %d %s", tc.in, w.Code, w.Body.String())
		}
	}
	if w := min.do("POST", "/api/v1/national/objections/999999/resolve", map[string]any{"outcome": "rejected", "reason": "x"}); w.Code != http.StatusNotFound {
		t.Errorf("unknown objection: %d", w.Code)
	}

	// Resolved once; a second time is a conflict, and the first outcome stays.
	w = min.do("POST", idPath("/api/v1/national/objections/%d/resolve", o.ID), map[string]any{"outcome": "rejected", "reason": "经核实，该平台发酵罐已建成投用"})
	wantStatus(t, w, http.StatusOK)
	if m := decode(t, w); m["outcome"] != "rejected" || m["outcome_label"] != "异议不成立" || m["handled_at"] == "" {
		t.Errorf("resolved: %v", m)
	}
	w = min.do("POST", idPath("/api/v1/national/objections/%d/resolve", o.ID), map[string]any{"outcome": "upheld", "reason": "改判"})
	if w.Code != http.StatusConflict {
		t.Errorf("second resolve: %d %s", w.Code, w.Body.String())
	}
	got, err := f.db.Objection(context.Background(), o.ID)
	if err != nil || got.Outcome != "rejected" || got.HandledBy != f.users["ministry"].ID {
		t.Errorf("stored: %+v %v", got, err)
	}
	if !strings.Contains(f.logsOfAudit(t), "objection_resolve") {
		t.Error("the outcome is not audited")
	}
	// Every objection handled: the list may be published.
	f.clock.Set(f.notice.EndsAt)
	if err := f.db.Publish(context.Background(), store.PublishRequest{NoticeID: f.notice.ID, By: f.users["ministry"].ID}); err != nil {
		t.Errorf("publish after handling: %v", err)
	}
}

func TestMinistryResolvePage(t *testing.T) {
	f := newPublicFixture(t)
	o := f.anObjection()
	o2 := f.anObjection()
	// An open objection blocks publication.
	f.clock.Set(f.notice.EndsAt)
	min := f.as("ministry")
	if err := f.db.Publish(context.Background(), store.PublishRequest{NoticeID: f.notice.ID}); biopilot.ErrorCode(err) != biopilot.ECONFLICT {
		t.Fatalf("publish with open objections: %v", err)
	}
	// A missing reason shows the page again with the choice kept.
	w := min.do("POST", idPath("/ministry/objections/%d/resolve", o.ID), url.Values{"outcome": {"withdrawn"}})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "请填写异议处理理由") ||
		!strings.Contains(w.Body.String(), `value="withdrawn" checked`) {
		t.Fatalf("no reason: %d %.600s", w.Code, w.Body.String())
	}
	w = min.do("POST", idPath("/ministry/objections/%d/resolve", o.ID), url.Values{"outcome": {"withdrawn"}, "reason": {"异议人来电撤回"}})
	wantStatus(t, w, http.StatusSeeOther)
	if loc := w.Header().Get("Location"); !strings.Contains(loc, fmt.Sprintf("#objection-%d", o.ID)) {
		t.Errorf("redirect to %q", loc)
	}
	w = min.do("POST", idPath("/ministry/objections/%d/resolve", o.ID), url.Values{"outcome": {"upheld"}, "reason": {"再改"}})
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "已处理") {
		t.Errorf("twice on the page: %d", w.Code)
	}
	wantStatus(t, min.do("POST", idPath("/ministry/objections/%d/resolve", o2.ID), url.Values{"outcome": {"upheld"}, "reason": {"经核实情况属实"}}), http.StatusSeeOther)
	body := min.do("GET", fmt.Sprintf("/ministry/objections?notice=%d", f.notice.ID), nil).Body.String()
	for _, want := range []string{"异议人撤回", "异议人来电撤回", "异议成立", `id="open-count">0<`} {
		if !strings.Contains(body, want) {
			t.Errorf("page after handling lacks %q", want)
		}
	}
	if w := min.do("GET", "/ministry/objections?notice=999", nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown notice: %d", w.Code)
	}
	if err := f.db.Publish(context.Background(), store.PublishRequest{NoticeID: f.notice.ID}); err != nil {
		t.Errorf("publish once handled: %v", err)
	}
}

// logsOfAudit is the audit trail's actions and objects, one a line.
func (f *pubFixture) logsOfAudit(t *testing.T) string {
	t.Helper()
	recs, _, err := f.db.AuditRecords(context.Background(), store.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintln(&b, r.Object, r.Action, r.Result)
	}
	return b.String()
}
