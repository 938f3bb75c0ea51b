package web

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"biopilot"
	"biopilot/authz"
	"biopilot/store"
)

func TestCreateAndGetApplication(t *testing.T) {
	f := newFixture(t)
	c := f.as("applicantB")
	w := c.do("POST", "/api/v1/applications", nil)
	wantStatus(t, w, 201)
	m := decode(t, w)
	if m["state"] != "draft" || m["city_code"] != "440600" || m["city_name"] != "佛山市" || m["version"] != float64(1) || m["org_name"] != f.orgB.Name {
		t.Errorf("created %v", m)
	}
	// Prefilled from the organisation.
	doc := m["document"].(map[string]any)["applicant"].(map[string]any)
	if doc["name"] != f.orgB.Name || doc["uscc"] != f.orgB.USCC || doc["kind"] != "private" {
		t.Errorf("prefill %v", doc)
	}
	id := int64(m["id"].(float64))
	if loc := w.Header().Get("Location"); loc != idPath("/api/v1/applications/%d", id) {
		t.Errorf("Location %q", loc)
	}
	wantStatus(t, c.do("GET", idPath("/api/v1/applications/%d", id), nil), 200)

	// With an initial document: validated, derived values computed.
	w = c.do("POST", "/api/v1/applications", map[string]any{"document": json.RawMessage(example(t))})
	wantStatus(t, w, 201)
	m = decode(t, w)
	if m["platform_name"] == "" || len(m["domains"].([]any)) == 0 || m["verdict"] == "" {
		t.Errorf("derived values missing: %v", m)
	}
	w = c.do("POST", "/api/v1/applications", map[string]any{"document": map[string]any{"site": map[string]any{"area_m2": "大"}}})
	wantStatus(t, w, 422)
	if e := apiErr(t, w); e["field"] != "site.area_m2" {
		t.Errorf("%v", e)
	}
	w = c.do("POST", "/api/v1/applications", `{"documnet":{}}`)
	wantStatus(t, w, 400)
	if e := apiErr(t, w); !strings.Contains(e["message"].(string), "documnet") {
		t.Errorf("%v", e)
	}
}

func TestReviewerSeesSnapshotNotDraft(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The applicant sends the submitted application back to draft? No: a returned
	// application is editable again and its live draft diverges from the snapshot.
	app, err := f.db.Transition(ctx, store.TransitionRequest{ApplicationID: f.appSub.ID,
		From: biopilot.StateSubmitted, To: biopilot.StateReturned})
	if err != nil {
		t.Fatal(err)
	}
	a := f.as("applicantA")
	w := a.do("PUT", idPath("/api/v1/applications/%d/document", app.ID),
		map[string]any{"base_version": app.Version, "document": map[string]any{"platform": map[string]any{"name": "修改中的名称"}}})
	wantStatus(t, w, 200)

	m := decode(t, f.as("citygz").do("GET", idPath("/api/v1/applications/%d", app.ID), nil))
	if m["document_source"] != "snapshot" || !strings.Contains(mustJSON(m["document"]), "已提交平台") {
		t.Errorf("city sees %v", m)
	}
	m = decode(t, a.do("GET", idPath("/api/v1/applications/%d", app.ID), nil))
	if m["document_source"] != "draft" || !strings.Contains(mustJSON(m["document"]), "修改中的名称") {
		t.Errorf("applicant sees %v", m)
	}
	w = f.as("citygz").do("GET", idPath("/api/v1/applications/%d/export", app.ID), nil)
	wantStatus(t, w, 200)
	if !strings.Contains(w.Body.String(), "已提交平台") || strings.Contains(w.Body.String(), "修改中") {
		t.Errorf("city export %s", w.Body.String())
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSaveDocumentStaleAndInvalid(t *testing.T) {
	f := newFixture(t)
	c := f.as("applicantA")
	path := idPath("/api/v1/applications/%d/document", f.appDraft.ID)
	docV2 := map[string]any{"platform": map[string]any{"name": "第二版"}, "domains": []string{"enzymes"}}
	w := c.do("PUT", path, map[string]any{"base_version": 1, "document": docV2})
	wantStatus(t, w, 200)
	m := decode(t, w)
	if m["version"] != float64(2) || m["platform_name"] != "第二版" || m["domains"].([]any)[0] != "enzymes" {
		t.Errorf("saved %v", m)
	}

	// Another window still at version 1: 409 with the current document, nothing overwritten.
	w = c.do("PUT", path, map[string]any{"base_version": 1, "document": map[string]any{"platform": map[string]any{"name": "旧窗口"}}})
	wantStatus(t, w, 409)
	m = decode(t, w)
	if e := m["error"].(map[string]any); e["code"] != "conflict" || !hasHan(e["message"].(string)) {
		t.Errorf("error %v", e)
	}
	cur, ok := m["current"].(map[string]any)
	if !ok || cur["version"] != float64(2) || cur["updated_at"] == "" ||
		cur["document"].(map[string]any)["platform"].(map[string]any)["name"] != "第二版" {
		t.Errorf("current %v", m["current"])
	}
	stored, _ := f.db.Application(context.Background(), f.appDraft.ID)
	if stored.Version != 2 || stored.PlatformName != "第二版" {
		t.Errorf("stale save overwrote: %+v", stored)
	}

	// Invalid documents: 422 naming the key path, in Chinese.
	for _, tc := range []struct{ doc, field, msg string }{
		{`{"site":{"area_m2":"大"}}`, "site.area_m2", "用房面积"},
		{`{"applicant":{"nmae":"x"}}`, "applicant.nmae", "未知的字段"},
		{`{"team":{"fixed_technical":-3}}`, "team.fixed_technical", "不能小于"},
		{`{"equipment":{"fermentation":[{"volume_l":"big"}]}}`, "equipment.fermentation[0].volume_l", "体积"},
	} {
		w = c.do("PUT", path, `{"base_version":2,"document":`+tc.doc+`}`)
		wantStatus(t, w, 422)
		e := apiErr(t, w)
		if e["code"] != "invalid" || e["field"] != tc.field || !strings.Contains(e["message"].(string), tc.msg) {
			t.Errorf("%s: %v", tc.doc, e)
		}
		if fs, _ := e["fields"].([]any); len(fs) == 0 {
			t.Errorf("%s: no fields list", tc.doc)
		}
	}
	w = c.do("PUT", path, `{"document":{}}`)
	wantStatus(t, w, 422)
	if e := apiErr(t, w); e["field"] != "base_version" {
		t.Errorf("missing base_version: %v", e)
	}
	w = c.do("PUT", path, `{"base_version":"two","document":{}}`)
	wantStatus(t, w, 422)
	w = c.do("PUT", path, `{"base_version":2,`)
	wantStatus(t, w, 400)
	// An incomplete draft is fine.
	wantStatus(t, c.do("PUT", path, `{"base_version":2,"document":{"overview":"只写了概况"}}`), 200)
}

func TestBodyTooLarge(t *testing.T) {
	f := newFixture(t)
	c := f.as("applicantA")
	big := `{"base_version":1,"document":{"overview":"` + strings.Repeat("长", MaxBodyBytes/3+10) + `"}}`
	w := c.do("PUT", idPath("/api/v1/applications/%d/document", f.appDraft.ID), big)
	wantStatus(t, w, 413)
	if e := apiErr(t, w); e["code"] != "too_large" {
		t.Errorf("%v", e)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	f := newFixture(t)
	c := f.as("applicantA")
	w := c.do("POST", "/api/v1/applications", map[string]any{"document": json.RawMessage(example(t))})
	wantStatus(t, w, 201)
	src := int64(decode(t, w)["id"].(float64))

	w = c.do("GET", idPath("/api/v1/applications/%d/export", src), nil)
	wantStatus(t, w, 200)
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".json") {
		t.Errorf("Content-Disposition %q", cd)
	}
	exported := w.Body.Bytes()

	w = c.do("POST", idPath("/api/v1/applications/%d/import?base_version=1", f.appDraft.ID), exported)
	wantStatus(t, w, 200)
	if v := decode(t, w)["version"]; v != float64(2) {
		t.Errorf("version after import %v", v)
	}
	w = c.do("GET", idPath("/api/v1/applications/%d/export", f.appDraft.ID), nil)
	var a, b any
	if err := json.Unmarshal(exported, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("round trip differs:\n%s\n%s", exported, w.Body.String())
	}
	// The round trip also equals the example itself.
	var ex any
	_ = json.Unmarshal(example(t), &ex)
	if !reflect.DeepEqual(stripNulls(ex), a) {
		t.Errorf("export differs from the imported example")
	}

	// Import follows the save rules: stale → 409, bad → 422, no base → 422.
	w = c.do("POST", idPath("/api/v1/applications/%d/import?base_version=1", f.appDraft.ID), exported)
	wantStatus(t, w, 409)
	if _, ok := decode(t, w)["current"]; !ok {
		t.Error("stale import lacks current")
	}
	wantStatus(t, c.do("POST", idPath("/api/v1/applications/%d/import?base_version=2", f.appDraft.ID), `{"foo":1}`), 422)
	wantStatus(t, c.do("POST", idPath("/api/v1/applications/%d/import", f.appDraft.ID), exported), 422)
	wantStatus(t, c.do("POST", idPath("/api/v1/applications/%d/import?base_version=2", f.appDraft.ID), `{not json`), 422)
}

// stripNulls drops null members (the store keeps documents without them).
func stripNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e != nil {
				out[k] = stripNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripNulls(e)
		}
		return out
	}
	return v
}

func TestEligibilityEndpoints(t *testing.T) {
	f := newFixture(t)
	c := f.as("applicantA")
	want := f.srv.eng.Evaluate(mustDecode(t, f, example(t)))

	w := c.do("POST", "/api/v1/eligibility/preview", example(t))
	wantStatus(t, w, 200)
	m := decode(t, w)
	if m["verdict"] != want.Verdict || m["verdict_label"] != verdictLabel(want.Verdict) || len(m["rules"].([]any)) != len(want.Rules) {
		t.Errorf("preview %v, want verdict %s with %d rules", m["verdict"], want.Verdict, len(want.Rules))
	}
	w = c.do("POST", "/api/v1/eligibility/preview", `{"site":{"area_m2":"大"}}`)
	wantStatus(t, w, 422)
	if e := apiErr(t, w); e["field"] != "site.area_m2" {
		t.Errorf("%v", e)
	}
	// Preview saves nothing.
	if a, _ := f.db.Application(context.Background(), f.appDraft.ID); a.Version != 1 {
		t.Error("preview changed a stored application")
	}

	// Stored: the applicant's draft.
	wantStatus(t, c.do("PUT", idPath("/api/v1/applications/%d/document", f.appDraft.ID),
		`{"base_version":1,"document":`+string(example(t))+`}`), 200)
	w = c.do("GET", idPath("/api/v1/applications/%d/eligibility", f.appDraft.ID), nil)
	wantStatus(t, w, 200)
	m = decode(t, w)
	if m["verdict"] != want.Verdict || m["document_source"] != "draft" || m["version"] != float64(2) {
		t.Errorf("eligibility %v", m)
	}
	// The list shows the verdict computed at save time.
	w = c.do("GET", "/api/v1/applications?verdict="+want.Verdict, nil)
	if items := decode(t, w)["items"].([]any); len(items) != 1 {
		t.Errorf("verdict filter: %d items", len(items))
	}

	// Reviewers: the snapshot.
	w = f.as("citygz").do("GET", idPath("/api/v1/applications/%d/eligibility", f.appSub.ID), nil)
	wantStatus(t, w, 200)
	if decode(t, w)["document_source"] != "snapshot" {
		t.Error("city's eligibility is not of the snapshot")
	}
}

func mustDecode(t *testing.T, f *fixture, data []byte) map[string]any {
	t.Helper()
	d, err := f.prog.Form.DecodeDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHistory(t *testing.T) {
	f := newFixture(t)
	w := f.as("citygz").do("GET", idPath("/api/v1/applications/%d/history", f.appSub.ID), nil)
	wantStatus(t, w, 200)
	items := decode(t, w)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("history %v", items)
	}
	it := items[0].(map[string]any)
	if it["from"] != "draft" || it["to"] != "submitted" || it["to_label"] != "已提交，待地市审核" || !strings.HasSuffix(it["at"].(string), "+08:00") {
		t.Errorf("transition %v", it)
	}
}

func TestListScopeAndFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// orgB files an application that reaches the province.
	b := f.app(f.orgB, `{"platform":{"name":"佛山平台"},"domains":["biopharma"]}`)
	for _, st := range [][2]biopilot.State{{"draft", "submitted"}, {"submitted", "city_recommended"}, {"city_recommended", "at_province"}} {
		var err error
		if b, err = f.db.Transition(ctx, store.TransitionRequest{ApplicationID: b.ID, From: st[0], To: st[1], Snapshot: b.Document}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(c *client, q string) []int64 {
		t.Helper()
		w := c.do("GET", "/api/v1/applications"+q, nil)
		wantStatus(t, w, 200)
		m := decode(t, w)
		var out []int64
		for _, it := range m["items"].([]any) {
			out = append(out, int64(it.(map[string]any)["id"].(float64)))
		}
		if int(m["total"].(float64)) != len(out) {
			t.Errorf("%s%s: total %v for %d items", c.name, q, m["total"], len(out))
		}
		return out
	}
	same := func(got []int64, want ...int64) bool {
		if len(got) != len(want) {
			return false
		}
		seen := map[int64]bool{}
		for _, g := range got {
			seen[g] = true
		}
		for _, w := range want {
			if !seen[w] {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		who, q string
		want   []int64
	}{
		{"applicantA", "", []int64{f.appDraft.ID, f.appSub.ID}},
		{"applicantA", "?state=draft", []int64{f.appDraft.ID}},
		{"applicantB", "", []int64{b.ID}},
		{"citygz", "", []int64{f.appSub.ID}}, // never the draft
		{"citygz", "?state=draft", nil},      // not even when asked for
		{"cityfs", "", []int64{b.ID}},
		{"province", "", []int64{b.ID}},
		{"province", "?city=440100", nil},
		{"province", "?city=440600", []int64{b.ID}},
		{"province", "?domain=biopharma", []int64{b.ID}},
		{"province", "?domain=enzymes", nil},
		{"citygz", "?q=已提交", []int64{f.appSub.ID}},
		{"admin", "", nil},
		{"auditor", "", nil},
	} {
		if got := ids(f.as(tc.who), tc.q); !same(got, tc.want...) {
			t.Errorf("%s %q: %v, want %v", tc.who, tc.q, got, tc.want)
		}
	}
	// Every listed item is one the caller may view: list and authz agree.
	for _, who := range []string{"applicantA", "applicantB", "citygz", "cityfs", "province"} {
		c := f.as(who)
		for _, id := range ids(c, "") {
			a, _ := f.db.Application(ctx, id)
			if err := authz.Check(f.users[who], authz.View, a); err != nil {
				t.Errorf("%s lists %d but may not view it: %v", who, id, err)
			}
		}
	}
	for _, tc := range []struct{ who, q, field string }{
		{"citygz", "?city=440600", "city"},
		{"province", "?city=999999", "city"},
		{"province", "?state=flying", "state"},
		{"province", "?limit=0", "limit"},
		{"province", "?limit=501", "limit"},
		{"province", "?offset=-1", "offset"},
		{"province", "?sort=random", "sort"},
		{"province", "?verdict=maybe", "verdict"},
		{"province", "?domain=moon", "domain"},
	} {
		w := f.as(tc.who).do("GET", "/api/v1/applications"+tc.q, nil)
		wantStatus(t, w, 422)
		if e := apiErr(t, w); e["field"] != tc.field || !hasHan(e["message"].(string)) {
			t.Errorf("%s %s: %v", tc.who, tc.q, e)
		}
	}
	// The province reads what reached it, and still never a draft.
	wantStatus(t, f.as("province").do("GET", idPath("/api/v1/applications/%d", b.ID), nil), 200)
	wantStatus(t, f.as("province").do("GET", idPath("/api/v1/applications/%d", f.appDraft.ID), nil), 404)
	wantStatus(t, f.as("citygz").do("GET", idPath("/api/v1/applications/%d", f.appDraft.ID), nil), 404)
	wantStatus(t, f.as("citygz").do("GET", "/api/v1/applications/999999", nil), 404)
	wantStatus(t, f.as("citygz").do("GET", "/api/v1/applications/abc", nil), 404)
}

func TestProgram(t *testing.T) {
	f := newFixture(t)
	w := f.anon().do("GET", "/api/v1/program", nil)
	wantStatus(t, w, 200)
	m := decode(t, w)
	d := m["deadlines"].(map[string]any)
	if m["id"] != f.prog.ID || m["title"] != f.prog.Title || d["applicant"] != "2025-07-05T00:00:00+08:00" || d["city"] != "2025-07-11T00:00:00+08:00" {
		t.Errorf("program %v %v", m["id"], d)
	}
	if len(m["cities"].([]any)) != 21 || len(m["domains"].([]any)) != 9 {
		t.Error("cities or domains missing")
	}
	form := m["form"].(map[string]any)
	if len(form["sections"].([]any)) == 0 || len(form["fields"].([]any)) == 0 {
		t.Error("form missing")
	}
}
