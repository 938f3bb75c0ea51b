package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"biopilot/store"
	"biopilot/store/storetest"
)

func TestOpenSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "sub", "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect() != store.DialectSQLite {
		t.Fatalf("Dialect() = %q", db.Dialect())
	}
	// Several connections: the pragmas must hold on each, not only the first.
	conns := make([]interface{ Close() error }, 0, 3)
	for i := 0; i < 3; i++ {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for pragma, want := range map[string]string{
			"foreign_keys": "1", "journal_mode": "wal", "busy_timeout": "5000", "synchronous": "1",
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("conn %d: PRAGMA %s = %q, want %q", i, pragma, got, want)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

func TestOpenBareSQLitePath(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "bare.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect() != store.DialectSQLite {
		t.Fatalf("Dialect() = %q", db.Dialect())
	}
}

func TestOpenBadDSN(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{"sqlite:", "sqlite::memory:", "sqlite:" + dir + "/x.db?_pragma=foo"} {
		if db, err := store.Open(context.Background(), dsn); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", dsn)
		}
	}
}

func TestOpenUnreachablePostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5e9)
	defer cancel()
	db, err := store.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err == nil {
		db.Close()
		t.Fatal("Open of an unreachable server succeeded")
	}
	if !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("error %q does not say unreachable", err)
	}
}

func TestMigrationsMatch(t *testing.T) {
	lite, err := store.Migrations(store.DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("%d sqlite migrations, %d postgres", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != i+1 {
			t.Errorf("sqlite migration %s: version %d, want %d (no gaps)", lite[i].Name, lite[i].Version, i+1)
		}
		if lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %s, postgres %s", i+1, lite[i].Name, pg[i].Name)
		}
	}
}

func TestMigrateIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		want, _ := store.Migrations(db.Dialect())
		for i := 0; i < 2; i++ { // storetest migrated once already
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		got, err := db.AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("applied %v, want %d migrations", got, len(want))
		}
		for i, v := range got {
			if v != want[i].Version {
				t.Errorf("applied[%d] = %d, want %d", i, v, want[i].Version)
			}
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMigrateConcurrent starts several "instances" at once on one empty database.
func TestMigrateConcurrent(t *testing.T) {
	storetest.EachDSN(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		const n = 3
		dbs := make([]*store.DB, n)
		for i := range dbs {
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs[i] = db
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, db := range dbs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = db.Migrate(ctx) }()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("instance %d: %v", i, err)
			}
		}
		got, err := dbs[0].AppliedMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := store.Migrations(dbs[0].Dialect())
		if len(got) != len(want) {
			t.Errorf("applied %v, want %d migrations", got, len(want))
		}
	})
}
