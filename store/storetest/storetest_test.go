package storetest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB whose Fatalf and Skipf are recorded, and end the
// goroutine as the real ones do.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func run(t *testing.T, fn func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); fn(r) }()
	<-done
	return r
}

func TestPostgresUnset(t *testing.T) {
	t.Setenv(PostgresEnv, "")
	r := run(t, func(tb testing.TB) { Postgres(tb) })
	if r.skip == "" || r.fatal != "" {
		t.Errorf("unset: skip %q, fatal %q; want a skip", r.skip, r.fatal)
	}
}

func TestPostgresUnreachableFails(t *testing.T) {
	t.Setenv(PostgresEnv, "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	r := run(t, func(tb testing.TB) { Postgres(tb) })
	if r.fatal == "" || r.skip != "" {
		t.Fatalf("unreachable: skip %q, fatal %q; want a failure", r.skip, r.fatal)
	}
	if strings.Contains(r.fatal, "secret") {
		t.Errorf("the failure shows the password: %q", r.fatal)
	}
}

func TestSQLite(t *testing.T) {
	db := SQLite(t)
	if db.Dialect() != "sqlite" {
		t.Fatalf("Dialect() = %q", db.Dialect())
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("not migrated: %d, %v", n, err)
	}
}

func TestWithSearchPath(t *testing.T) {
	got, err := withSearchPath("postgres://u@h:5432/db?sslmode=disable", "s1")
	if err != nil || got != "postgres://u@h:5432/db?search_path=s1&sslmode=disable" {
		t.Errorf("withSearchPath = %q, %v", got, err)
	}
	if _, err := withSearchPath("host=h dbname=db", "s1"); err == nil {
		t.Error("key=value DSN accepted")
	}
}
