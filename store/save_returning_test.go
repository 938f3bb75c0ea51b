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

// TestListDomains: a list row's domains (aggregated in the list's one query) are
// those a read of the application gives: in order, and an empty list when none.
func TestListDomains(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "丙单位", "440400")
		li := newApplicant(t, db, org, "li")
		a := newApp(t, db, org, li, "三域", "enzymes")
		_, err := db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: 1,
			Document: json.RawMessage(`{}`), Domains: []string{"synbio", "enzymes", "chemicals"}, UserID: li.ID})
		must(t, err)
		b := newApp(t, db, org, li, "无域")
		_, err = db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: b.ID, BaseVersion: 1,
			Document: json.RawMessage(`{}`), UserID: li.ID})
		must(t, err)
		list, total, err := db.Applications(ctx, store.ApplicationFilter{Sort: "id"})
		must(t, err)
		if total != 2 || len(list) != 2 {
			t.Fatalf("list of %d (total %d)", len(list), total)
		}
		for _, got := range list {
			one, err := db.Application(ctx, got.ID)
			must(t, err)
			if got.Domains == nil || !reflect.DeepEqual(got.Domains, one.Domains) {
				t.Errorf("application %d: list domains %#v, stored %#v", got.ID, got.Domains, one.Domains)
			}
		}
		if len(list[0].Domains) != 3 || list[0].Domains[0] != "synbio" {
			t.Errorf("domains %q", list[0].Domains)
		}
	})
}
