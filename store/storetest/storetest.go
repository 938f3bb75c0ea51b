// Package storetest gives tests a fresh, migrated store: SQLite in a temporary
// directory, and PostgreSQL in a schema of its own in the database named by
// BIOPILOT_TEST_POSTGRES.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"biopilot/store"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresEnv names the variable holding the PostgreSQL DSN of the tests.
const PostgresEnv = "BIOPILOT_TEST_POSTGRES"

// SQLite returns a fresh migrated SQLite database in t.TempDir(), closed at
// cleanup.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, SQLiteDSN(t))
}

// Postgres returns a fresh migrated PostgreSQL database: a new schema in the
// database named by BIOPILOT_TEST_POSTGRES, dropped at cleanup. It skips the test
// when the variable is empty and fails it when the server cannot be reached.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, PostgresDSN(t))
}

// SQLiteDSN returns the DSN of a new, empty (unmigrated) SQLite database in
// t.TempDir(), for tests of opening and migrating.
func SQLiteDSN(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "biopilot.db")
}

// PostgresDSN returns the DSN of a new, empty (unmigrated) schema in the database
// named by BIOPILOT_TEST_POSTGRES, dropped at cleanup: the DSN sets search_path to
// it. It skips the test when the variable is empty and fails it when the server
// cannot be reached.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skipf("storetest: %s is not set", PostgresEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("storetest: %s: %v", PostgresEnv, err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		t.Fatalf("storetest: PostgreSQL at %s unreachable: %v", PostgresEnv, err)
	}
	schema := "biopilot_test_" + randomHex(8)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("storetest: create schema: %v", err)
	}
	// Cleanups run last-registered first: the tests' own connections to the
	// schema are closed before it is dropped.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	scoped, err := withSearchPath(dsn, schema)
	if err != nil {
		t.Fatalf("storetest: %s: %v", PostgresEnv, err)
	}
	return scoped
}

// openMigrated opens dsn, closes it at cleanup, and migrates it.
func openMigrated(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate %s: %v", db.Dialect(), err)
	}
	return db
}

// Each runs fn as the subtests "sqlite" and "postgres", each with a fresh
// database. The postgres subtest is skipped only when BIOPILOT_TEST_POSTGRES is
// unset.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachDSN runs fn as the subtests "sqlite" and "postgres", each with the DSN of a
// new, empty database (see SQLiteDSN and PostgresDSN).
func EachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresDSN(t)) })
}

// withSearchPath adds search_path=schema to a PostgreSQL URL; pgx sends it as a
// run-time parameter on every connection.
func withSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return "", fmt.Errorf("want a postgres:// URL, not %q", dsn)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
