package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestApplicationPageViewCached: the applicant's page lays out a version once; a
// save makes a new version, shown with its own content, never the old view.
func TestApplicationPageViewCached(t *testing.T) {
	f := newFixture(t)
	a := f.as("applicantA")
	path := idPath("/applications/%d", f.appDraft.ID)
	first := a.do("GET", path, nil)
	wantStatus(t, first, 200)
	again := a.do("GET", path, nil)
	wantStatus(t, again, 200)
	if n, _ := f.srv.cache.views.stats(); n != 1 {
		t.Errorf("%d views cached after two reads of one version, want 1", n)
	}
	if first.Body.String() != again.Body.String() {
		t.Error("the page from the cached view differs from the first")
	}
	var doc map[string]any
	if err := json.Unmarshal(example(t), &doc); err != nil {
		t.Fatal(err)
	}
	name, _ := doc["platform"].(map[string]any)["name"].(string)
	if name == "" || strings.Contains(first.Body.String(), name) {
		t.Fatalf("example platform name %q empty or already on the draft's page", name)
	}
	w := a.do("PUT", idPath("/api/v1/applications/%d/document", f.appDraft.ID),
		map[string]any{"base_version": f.appDraft.Version, "document": json.RawMessage(example(t))})
	wantStatus(t, w, 200)
	after := a.do("GET", path, nil)
	wantStatus(t, after, 200)
	if !strings.Contains(after.Body.String(), name) {
		t.Errorf("the page after a save does not show the saved platform name %q", name)
	}
	if n, _ := f.srv.cache.views.stats(); n != 2 {
		t.Errorf("%d views cached, want 2 (one per version)", n)
	}
}
