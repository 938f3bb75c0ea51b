package store_test

import (
	"context"
	"testing"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

// TestOrgHasPlatform: an organisation has a platform once one of its applications
// is listed, and keeps it (for its annual reports' records) when removed.
func TestOrgHasPlatform(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广州酶工程有限公司", "440100")
		app := newApp(t, db, org, newApplicant(t, db, org, "gz"), "广州平台", "enzymes")
		has := func() bool {
			t.Helper()
			ok, err := db.OrgHasPlatform(ctx, org.ID)
			must(t, err)
			return ok
		}
		if has() {
			t.Fatal("a draft counts as a platform")
		}
		path := []biopilot.State{biopilot.StateSubmitted, biopilot.StateCityRecommended, biopilot.StateAtProvince,
			biopilot.StateRecommendedToMinistry, biopilot.StateExpertReview, biopilot.StatePublicized,
			biopilot.StateListed, biopilot.StateRemoved}
		from := biopilot.StateDraft
		for _, to := range path {
			_, err := db.Transition(ctx, store.TransitionRequest{ApplicationID: app.ID, From: from, To: to})
			must(t, err)
			from = to
			if want := to == biopilot.StateListed || to == biopilot.StateRemoved; has() != want {
				t.Errorf("in state %s: has platform %v, want %v", to, !want, want)
			}
		}
	})
}
