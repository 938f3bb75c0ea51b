package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestBackupTo(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	org := newOrg(t, db, 1, "广东示例酶工程有限公司", "440100")
	u := newApplicant(t, db, org, "chen")
	app := newApp(t, db, org, u, "示例平台")
	appendN(t, db, 4)

	path := filepath.Join(t.TempDir(), "sub", "copy.db")
	must(t, db.BackupTo(ctx, path))
	// Never overwrite.
	if e := wantCode(t, db.BackupTo(ctx, path), biopilot.EINVALID); e.Field != "path" {
		t.Errorf("field %q", e.Field)
	}

	cp, err := store.Open(ctx, "sqlite:"+path)
	must(t, err)
	defer cp.Close()
	got, err := cp.Application(ctx, app.ID)
	must(t, err)
	if string(got.Document) != string(app.Document) {
		t.Fatalf("document %s, want %s", got.Document, app.Document)
	}
	if n, err := cp.VerifyAudit(ctx); err != nil || n != 4 {
		t.Fatalf("copy's audit trail: %d, %v", n, err)
	}
	want, err := db.Counts(ctx)
	must(t, err)
	have, err := cp.Counts(ctx)
	must(t, err)
	for table, n := range want {
		if have[table] != n {
			t.Errorf("%s: %d rows in the copy, %d in the original", table, have[table], n)
		}
	}
	if want["applications"] != 1 || want["audit_log"] != 4 || want["users"] != 1 {
		t.Errorf("Counts = %v", want)
	}
	// The copy keeps the append-only triggers.
	if _, err := cp.SQL().Exec(`DELETE FROM audit_log`); err == nil {
		t.Error("the copy's audit trail can be deleted")
	}
}

func TestBackupToPostgres(t *testing.T) {
	db := storetest.Postgres(t)
	e := wantCode(t, db.BackupTo(context.Background(), filepath.Join(t.TempDir(), "x.db")), biopilot.EINVALID)
	if !strings.Contains(e.Message, "pg_dump") {
		t.Errorf("message %q does not point to pg_dump", e.Message)
	}
}
