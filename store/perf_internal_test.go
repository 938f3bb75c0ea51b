package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"biopilot"
)

// openUpTo opens a new SQLite database with the migrations before version upTo
// applied and recorded, as a database of an earlier release would be.
func openUpTo(t *testing.T, upTo int) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migs, err := Migrations(DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	err = db.inTx(ctx, func(q q) error {
		if _, err := q.exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,
			name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
			return err
		}
		for _, m := range migs {
			if m.Version >= upTo {
				break
			}
			if _, err := q.exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := q.exec(ctx, `INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.Version, m.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// columns returns a table's column names in order.
func columns(t *testing.T, db *DB, table string) []string {
	t.Helper()
	rows, err := db.sql.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	return names
}

// TestMigration005 moves the documents to the end of the row on a database with
// data, and keeps every row, value and reference to the applications.
func TestMigration005(t *testing.T) {
	ctx := context.Background()
	db := openUpTo(t, 5)
	if cols := columns(t, db, "applications"); cols[6] != "document" {
		t.Fatalf("before 005 the columns are %v", cols)
	}
	org := &biopilot.Organisation{Name: "甲单位", USCC: "91440100MA50000001", CityCode: "440100"}
	must(t, db.CreateOrganisation(ctx, org))
	u := &biopilot.User{Username: "a", Role: biopilot.RoleApplicant, OrgID: org.ID, PasswordHash: "h"}
	must(t, db.CreateUser(ctx, u))
	doc := json.RawMessage(`{"overview":"` + strings.Repeat("中试平台", 3000) + `"}`) // 36 KB: overflow pages
	var apps []*biopilot.Application
	for i := 0; i < 3; i++ {
		a := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, CreatedBy: u.ID, Document: doc,
			PlatformName: fmt.Sprintf("平台%d", i), Domains: []string{"enzymes", "chemicals"}, Verdict: "eligible"}
		must(t, db.CreateApplication(ctx, a))
		apps = append(apps, a)
	}
	_, err := db.Transition(ctx, TransitionRequest{ApplicationID: apps[0].ID, From: biopilot.StateDraft,
		To: biopilot.StateSubmitted, Snapshot: doc, SnapshotHash: "abc"})
	must(t, err)
	before, err := db.Application(ctx, apps[0].ID)
	must(t, err)

	must(t, db.Migrate(ctx))
	cols := columns(t, db, "applications")
	if n := len(cols); n != 16 || cols[n-2] != "document" || cols[n-1] != "snapshot" {
		t.Fatalf("after 005 the columns are %v, want document and snapshot last", cols)
	}
	after, err := db.Application(ctx, apps[0].ID)
	must(t, err)
	if string(after.Document) != string(doc) || string(after.Snapshot) != string(doc) ||
		after.SnapshotHash != "abc" || after.State != biopilot.StateSubmitted ||
		after.PlatformName != "平台0" || after.Version != before.Version ||
		!after.UpdatedAt.Equal(before.UpdatedAt) || strings.Join(after.Domains, ",") != "enzymes,chemicals" {
		t.Errorf("after 005: %+v\nbefore: %+v", after, before)
	}
	if a, err := db.Application(ctx, apps[1].ID); err != nil || a.Snapshot != nil {
		t.Errorf("a draft's snapshot after 005: %v, %v", a, err)
	}
	ts, err := db.Transitions(ctx, apps[0].ID)
	if err != nil || len(ts) != 1 {
		t.Errorf("transitions after 005: %v, %v", ts, err)
	}
	if v, err := db.ApplicationVersionDocument(ctx, apps[2].ID, 1); err != nil || string(v.Document) != string(doc) {
		t.Errorf("version history after 005: %v", err)
	}
	// The tables that reference applications still do, and nothing dangles.
	for _, child := range []string{"application_domains", "application_versions", "transitions", "attachments"} {
		var parent string
		err := db.sql.QueryRow(`SELECT "table" FROM pragma_foreign_key_list(?) WHERE "from" = 'application_id'`,
			child).Scan(&parent)
		if err != nil || parent != "applications" {
			t.Errorf("%s.application_id references %q (%v)", child, parent, err)
		}
	}
	var dangling int
	if err := db.sql.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&dangling); err != nil || dangling != 0 {
		t.Errorf("foreign_key_check: %d rows (%v)", dangling, err)
	}
	// The indexes were kept, and writes still work on the new layout.
	var idx int
	must(t, db.sql.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'applications'
		AND name LIKE 'applications_%'`).Scan(&idx))
	if idx != 6 {
		t.Errorf("%d indexes on applications after 005, want 6", idx)
	}
	saved, err := db.SaveDocument(ctx, DocumentUpdate{ApplicationID: apps[1].ID, BaseVersion: 1,
		Document: json.RawMessage(`{"x":1}`), PlatformName: "新名称", Domains: []string{"foods"}})
	if err != nil || saved.Version != 2 || string(saved.Document) != `{"x":1}` || saved.PlatformName != "新名称" {
		t.Errorf("save after 005: %+v, %v", saved, err)
	}
	list, total, err := db.Applications(ctx, ApplicationFilter{Query: "新名称"})
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != apps[1].ID || list[0].Document != nil {
		t.Errorf("list after 005: %v, %d, %v", list, total, err)
	}
}

func TestIsWrite(t *testing.T) {
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"SELECT 1", false},
		{"\n\t\tselect a FROM t", false},
		{"WITH x AS (SELECT 1) SELECT * FROM x", false},
		{"INSERT INTO t VALUES (?) RETURNING id", true},
		{"  UPDATE t SET a = ?", true},
		{"DELETE FROM t", true},
		{"CREATE TABLE t (a INTEGER)", true},
	} {
		if got := isWrite(c.q); got != c.want {
			t.Errorf("isWrite(%q) = %v, want %v", c.q, got, c.want)
		}
	}
}

// TestStmtCache: queries are prepared once and reused, in and out of transactions;
// multi-statement texts are not prepared; the cache stops growing at maxStmts and
// queries past it still run.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	db := openUpTo(t, 1000)
	org := &biopilot.Organisation{Name: "甲单位", USCC: "91440100MA50000001", CityCode: "440100"}
	must(t, db.CreateOrganisation(ctx, org))
	read := db.Rebind(`SELECT name FROM organisations WHERE id = ?`)
	for i := 0; i < 3; i++ {
		var name string
		if err := db.q().queryRow(ctx, `SELECT name FROM organisations WHERE id = ?`, org.ID).Scan(&name); err != nil || name != "甲单位" {
			t.Fatalf("read %d: %q, %v", i, name, err)
		}
	}
	if db.rstmts.lookup(read) == nil {
		t.Error("a read was not prepared on the read pool")
	}
	if db.wstmts.lookup(read) != nil {
		t.Error("a read was prepared on the write pool")
	}
	// In a transaction, a new text runs unprepared and is prepared after it ends.
	update := `UPDATE organisations SET name = ? WHERE id = ?`
	for i := 0; i < 2; i++ {
		err := db.inTx(ctx, func(q q) error {
			_, err := q.exec(ctx, update, fmt.Sprintf("乙单位%d", i), org.ID)
			return err
		})
		must(t, err)
	}
	if db.wstmts.lookup(update) == nil {
		t.Error("a transaction's statement was not prepared after it")
	}
	var name string
	must(t, db.q().queryRow(ctx, `SELECT name FROM organisations WHERE id = ?`, org.ID).Scan(&name))
	if name != "乙单位1" {
		t.Errorf("name %q after the prepared update", name)
	}
	multi := `CREATE TABLE t1 (a INTEGER); CREATE TABLE t2 (b INTEGER)`
	if _, err := db.q().exec(ctx, multi); err != nil {
		t.Fatal(err)
	}
	if db.wstmts.lookup(multi) != nil {
		t.Error("a multi-statement text was prepared")
	}
	if _, err := db.q().exec(ctx, `INSERT INTO t2 (b) VALUES (1)`); err != nil {
		t.Errorf("the second statement of a multi-statement text did not run: %v", err)
	}
	for i := 0; i < maxStmts+10; i++ {
		var n int
		if err := db.q().queryRow(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d: %d, %v", i, n, err)
		}
	}
	if n := db.rstmts.len(); n != maxStmts {
		t.Errorf("%d statements cached, want the bound %d", n, maxStmts)
	}
	must(t, db.Close())
	if n := db.rstmts.len(); n != 0 {
		t.Errorf("%d statements still cached after Close", n)
	}
	var _ *sql.Stmt = db.rstmts.get(ctx, read) // a closed cache prepares nothing
	if db.rstmts.len() != 0 {
		t.Error("a closed cache prepared a statement")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
