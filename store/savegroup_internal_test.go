package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"biopilot"
)

// openSaves opens a migrated SQLite database with one organisation, one user and n
// draft applications (version 1).
func openSaves(t *testing.T, n int) (*DB, *biopilot.User, []int64) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "saves.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org := &biopilot.Organisation{Name: "甲单位", USCC: "91440100MA50000001", CityCode: "440100"}
	if err := db.CreateOrganisation(ctx, org); err != nil {
		t.Fatal(err)
	}
	u := &biopilot.User{Username: "saver", DisplayName: "保存人", Role: biopilot.RoleApplicant, OrgID: org.ID, PasswordHash: "x"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := 0; i < n; i++ {
		a := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, CreatedBy: u.ID}
		if err := db.CreateApplication(ctx, a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return db, u, ids
}

// TestRunSaveGroup runs one group of saves with every outcome in one transaction:
// each save gets its own result, and a refused or failed save leaves its application
// untouched while the others are stored.
func TestRunSaveGroup(t *testing.T) {
	db, u, ids := openSaves(t, 6)
	ctx := context.Background()
	// Application 5's version 2 is already in the history: its save fails after its
	// UPDATE, which must be undone.
	if _, err := db.sql.Exec(`INSERT INTO application_versions (application_id, version, document, saved_at)
		VALUES (?, 2, '{}', 0)`, ids[5]); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	req := func(ctx context.Context, id, base, user int64, text string) *saveReq {
		return &saveReq{ctx: ctx, u: DocumentUpdate{ApplicationID: id, BaseVersion: base, UserID: user,
			Domains: []string{"enzymes"}}, doc: `{"t":"` + text + `"}`, at: db.now()}
	}
	group := []*saveReq{
		req(ctx, ids[0], 1, u.ID, "甲"),       // stored
		req(ctx, ids[1], 7, u.ID, "乙"),       // stale: ECONFLICT
		req(ctx, ids[2], 1, 999999, "丙"),     // unknown user: refused, rolled back
		req(ctx, ids[3], 1, u.ID, "丁"),       // stored
		req(cancelled, ids[4], 1, u.ID, "戊"), // its request ended: not run
		req(ctx, ids[5], 1, u.ID, "己"),       // fails after its UPDATE: rolled back
	}
	db.runSaveGroup(group)

	for i, want := range []struct {
		code    string
		version int64
		doc     string
		field   string
	}{
		{"", 2, `{"t":"甲"}`, ""},
		{biopilot.ECONFLICT, 1, `{}`, ""},
		{biopilot.EINVALID, 1, `{}`, "user_id"},
		{"", 2, `{"t":"丁"}`, ""},
		{"cancelled", 1, `{}`, ""},
		{"failed", 1, `{}`, ""},
	} {
		r := group[i]
		switch {
		case want.code == "" && (r.err != nil || r.app == nil || r.app.Version != 2):
			t.Errorf("save %d: %v, %+v; want stored as version 2", i, r.err, r.app)
		case want.code == "cancelled" && r.err != context.Canceled:
			t.Errorf("save %d: %v, want context.Canceled", i, r.err)
		case want.code == "failed" && (r.err == nil || r.app != nil):
			t.Errorf("save %d: %v, %+v; want an error", i, r.err, r.app)
		case want.code != "" && want.code != "cancelled" && want.code != "failed" && biopilot.ErrorCode(r.err) != want.code:
			t.Errorf("save %d: %v, want %s", i, r.err, want.code)
		case want.field != "" && biopilot.AsError(r.err).Field != want.field:
			t.Errorf("save %d: field %q, want %q", i, biopilot.AsError(r.err).Field, want.field)
		}
		got, err := db.Application(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != want.version || string(got.Document) != want.doc {
			t.Errorf("application %d: version %d %s, want %d %s", i, got.Version, got.Document, want.version, want.doc)
		}
		var versions int
		if err := db.sql.QueryRow(`SELECT COUNT(*) FROM application_versions WHERE application_id = ?`, ids[i]).Scan(&versions); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			versions-- // the row put there first
		}
		if versions != int(want.version) {
			t.Errorf("application %d: %d versions in the history, want %d", i, versions, want.version)
		}
	}
}

// TestSaveGroupConcurrent saves many applications at once, each many times in a
// row: every save is acknowledged with the next version, and none is lost.
func TestSaveGroupConcurrent(t *testing.T) {
	const apps, rounds = 24, 15
	db, u, ids := openSaves(t, apps)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, apps)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			version := int64(1)
			for i := 0; i < rounds; i++ {
				doc, _ := json.Marshal(map[string]int{"round": i})
				a, err := db.SaveDocument(ctx, DocumentUpdate{ApplicationID: id, BaseVersion: version, Document: doc, UserID: u.ID})
				if err != nil {
					errs <- err
					return
				}
				version = a.Version
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		a, err := db.Application(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Version != rounds+1 || string(a.Document) != `{"round":14}` {
			t.Errorf("application %d: version %d %s, want %d {\"round\":14}", id, a.Version, a.Document, rounds+1)
		}
	}
	if db.saves.busy || len(db.saves.pending) != 0 {
		t.Errorf("group left busy=%v with %d pending", db.saves.busy, len(db.saves.pending))
	}
}

// TestInTxPanicReleasesWriter checks that a panic inside a transaction rolls it
// back and frees the one write connection: later saves go through.
func TestInTxPanicReleasesWriter(t *testing.T) {
	db, u, ids := openSaves(t, 1)
	ctx := context.Background()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not go on")
			}
		}()
		_ = db.inTx(ctx, func(q q) error {
			if _, err := q.exec(ctx, `UPDATE applications SET platform_name = 'x' WHERE id = ?`, ids[0]); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	done := make(chan error, 1)
	go func() {
		_, err := db.SaveDocument(ctx, DocumentUpdate{ApplicationID: ids[0], BaseVersion: 1, Document: []byte(`{}`), UserID: u.ID})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the write connection is still held after the panic")
	}
	a, err := db.ApplicationHead(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if a.PlatformName == "x" {
		t.Error("the panicking transaction was committed")
	}
}
