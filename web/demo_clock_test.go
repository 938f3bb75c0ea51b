package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
)

// TestDemoClock: the demo's clock moves forward by whole days for the ministry and
// the administrator only, refuses bad input with a message naming the field, is
// audited, and shows on every page of the demo.
func TestDemoClock(t *testing.T) {
	f := newFixture(t)
	dc := biopilot.NewOffsetClock(f.clock)
	f.srv.demoClock = dc
	f.srv.clock = dc
	f.user("ministry", biopilot.RoleMinistry, 0, biopilot.CountryCode, false)
	before := dc.Now()

	w := f.as("applicantA").do("POST", "/demo/clock", url.Values{"days": {"8"}})
	wantStatus(t, w, http.StatusForbidden)
	if dc.Offset() != 0 {
		t.Fatalf("an applicant moved the clock by %v", dc.Offset())
	}

	for _, bad := range []string{"0", "-3", "abc", "401"} {
		w = f.as("ministry").do("POST", "/demo/clock", url.Values{"days": {bad}})
		wantStatus(t, w, http.StatusUnprocessableEntity)
		if !strings.Contains(w.Body.String(), "快进天数") {
			t.Errorf("days=%q: the message does not name the field:\n%s", bad, w.Body.String())
		}
	}

	w = f.as("ministry").do("POST", "/demo/clock", url.Values{"days": {"8"}})
	wantStatus(t, w, http.StatusSeeOther)
	if got, want := dc.Now().Sub(before), 8*24*time.Hour; got != want {
		t.Fatalf("moved by %v, want %v", got, want)
	}
	w = f.as("admin").do("GET", "/demo/clock", nil)
	wantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, beijing(dc.Now())) || !strings.Contains(body, `id="demo-clock"`) {
		t.Errorf("the page does not show the demo time %s:\n%s", beijing(dc.Now()), body)
	}
	recs, _, err := f.db.AuditRecords(context.Background(), store.AuditFilter{Action: "demo.clock.advance", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Errorf("%d audit records of the move, want 1", len(recs))
	}
}
