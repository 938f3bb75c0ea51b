package store_test

import (
	"context"
	"reflect"
	"testing"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestApplicationHead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "头部单位", "440100")
		u := newApplicant(t, db, org, "head")
		app := newApp(t, db, org, u, "酶工程平台", "enzymes")
		full, err := db.Application(ctx, app.ID)
		must(t, err)
		head, err := db.ApplicationHead(ctx, app.ID)
		must(t, err)
		if len(head.Document) != 0 || head.Snapshot != nil || head.Domains != nil {
			t.Errorf("head carries documents or domains: %+v", head)
		}
		full.Document, full.Snapshot, full.Domains = nil, nil, nil
		if !reflect.DeepEqual(head, full) {
			t.Errorf("head %+v\nwant %+v", head, full)
		}
		if _, err := db.ApplicationHead(ctx, app.ID+1000); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
			t.Errorf("missing application: %v, want ENOTFOUND", err)
		}
	})
}
