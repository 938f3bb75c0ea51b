package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

// TestSaveDocumentReturnsStoredRow: the application a save returns (built from the
// UPDATE's RETURNING, not read back) is exactly what a later read gives, domains
// and all, for a draft and for a returned application.
func TestSaveDocumentReturnsStoredRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "乙单位", "440300")
		li := newApplicant(t, db, org, "li")
		a := newApp(t, db, org, li, "名称", "enzymes")
		check := func(got *biopilot.Application) {
			t.Helper()
			again, err := db.Application(ctx, a.ID)
			must(t, err)
			if !reflect.DeepEqual(got, again) {
				t.Errorf("save returned\n%+v\nstored\n%+v", got, again)
			}
		}
		got, err := db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 1,
			Document: json.RawMessage(`{"a":1}`), PlatformName: "名称二", Domains: []string{"energy", "", "energy"},
			Verdict: "incomplete", UserID: li.ID, At: t0})
		must(t, err)
		check(got)
		got, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 2,
			Document: json.RawMessage(`{"a":2}`), UserID: li.ID, At: t0})
		must(t, err)
		if len(got.Domains) != 0 {
			t.Errorf("domains %v", got.Domains)
		}
		check(got)
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateDraft, To: biopilot.StateSubmitted})
		must(t, err)
		_, err = db.Transition(ctx, store.TransitionRequest{ApplicationID: a.ID, From: biopilot.StateSubmitted, To: biopilot.StateReturned})
		must(t, err)
		got, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 3,
			Document: json.RawMessage(`{"a":3}`), Domains: []string{"chemicals"}, UserID: li.ID, At: t0})
		must(t, err)
		check(got)
	})
}
