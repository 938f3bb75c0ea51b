package web

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
)

func TestLRU(t *testing.T) {
	c := newLRU[string, int](10)
	c.add("a", 1, 4)
	c.add("b", 2, 4)
	if v, ok := c.get("a"); !ok || v != 1 { // a is now the most recently used
		t.Fatalf("get a = %d, %v", v, ok)
	}
	c.add("c", 3, 4) // 12 > 10: evicts b, the least recently used
	if _, ok := c.get("b"); ok {
		t.Error("b was not evicted")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.get(k); !ok || v != want {
			t.Errorf("get %s = %d, %v", k, v, ok)
		}
	}
	c.add("a", 10, 2) // replacing updates value and cost
	if n, cost := c.stats(); n != 2 || cost != 6 {
		t.Errorf("stats = %d entries, cost %d; want 2, 6", n, cost)
	}
	c.add("huge", 4, 11) // larger than the whole cache: not kept, nothing evicted
	if _, ok := c.get("huge"); ok {
		t.Error("an entry larger than the cache was kept")
	}
	if n, _ := c.stats(); n != 2 {
		t.Errorf("%d entries after an oversized add", n)
	}
	if v, _ := c.get("a"); v != 10 {
		t.Errorf("a = %d after replacing", v)
	}
}

func TestRenderSlot(t *testing.T) {
	f := newFixture(t)
	c := f.srv.cache.init()
	var releases []func()
	for i := 0; i < cap(c.renders); i++ {
		rel, err := f.srv.renderSlot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, rel)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := f.srv.renderSlot(ctx); err == nil {
		t.Fatal("a render slot was given beyond the limit")
	}
	releases[0]()
	if rel, err := f.srv.renderSlot(context.Background()); err != nil {
		t.Fatal(err)
	} else {
		rel()
	}
}

// TestEligibilityCached: the report is computed once per document version and a
// save is seen at once (the new version is a new key).
func TestEligibilityCached(t *testing.T) {
	f := newFixture(t)
	a := f.as("applicantA")
	path := idPath("/api/v1/applications/%d/eligibility", f.appDraft.ID)
	first := decode(t, a.do("GET", path, nil))
	if first["verdict"] == "eligible" {
		t.Fatalf("verdict of a near-empty draft: %v", first["verdict"])
	}
	again := decode(t, a.do("GET", path, nil))
	if n, _ := f.srv.cache.reports.stats(); n != 1 {
		t.Errorf("%d reports cached after two reads of one version, want 1", n)
	}
	if b1, b2 := cacheJSON(t, first), cacheJSON(t, again); !bytes.Equal(b1, b2) {
		t.Error("the cached report differs from the first")
	}
	w := a.do("PUT", idPath("/api/v1/applications/%d/document", f.appDraft.ID),
		map[string]any{"base_version": f.appDraft.Version, "document": json.RawMessage(example(t))})
	wantStatus(t, w, 200)
	after := decode(t, a.do("GET", path, nil))
	if after["verdict"] != "eligible" || after["version"] != float64(f.appDraft.Version+1) {
		t.Errorf("after a save: verdict %v, version %v; want eligible, %d", after["verdict"], after["version"], f.appDraft.Version+1)
	}
	if n, _ := f.srv.cache.reports.stats(); n != 2 {
		t.Errorf("%d reports cached, want 2 (one per version)", n)
	}
}

// TestFormPDFCached: a second download is the same PDF without a render, still
// audited; a transition (which changes what the PDF prints) renders anew.
func TestFormPDFCached(t *testing.T) {
	f := newFixture(t)
	app := docApp(f)
	city := f.as("citygz")
	path := idPath("/api/v1/applications/%d/form.pdf", app.ID)
	w1 := city.do("GET", path, nil)
	wantStatus(t, w1, 200)
	w2 := city.do("GET", path, nil)
	wantStatus(t, w2, 200)
	if !bytes.Equal(w1.Body.Bytes(), w2.Body.Bytes()) || w1.Header().Get("Content-Disposition") != w2.Header().Get("Content-Disposition") {
		t.Error("the second download differs from the first")
	}
	if n, _ := f.srv.cache.pdfs.stats(); n != 1 {
		t.Errorf("%d PDFs cached after two downloads of one snapshot, want 1", n)
	}
	recs, _, err := f.db.AuditRecords(context.Background(), store.AuditFilter{Action: "download", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Errorf("%d downloads audited, want 2", len(recs))
	}
	// The applicant's draft is another document: another entry.
	wantStatus(t, f.as("applicantA").do("GET", path, nil), 200)
	if n, _ := f.srv.cache.pdfs.stats(); n != 2 {
		t.Errorf("%d PDFs cached after the draft's, want 2", n)
	}
	f.clock.Add(time.Minute)
	moved, err := f.db.Transition(context.Background(), store.TransitionRequest{ApplicationID: app.ID,
		From: app.State, To: biopilot.StateCityProposed})
	if err != nil {
		t.Fatal(err)
	}
	if moved.UpdatedAt.Equal(app.UpdatedAt) {
		t.Fatal("the transition did not move UpdatedAt")
	}
	wantStatus(t, city.do("GET", path, nil), 200)
	if n, _ := f.srv.cache.pdfs.stats(); n != 3 {
		t.Errorf("%d PDFs cached after a transition, want 3 (a new render)", n)
	}
}

func cacheJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
