// Package store keeps biopilot's data in SQLite (the default, embedded) or
// PostgreSQL, with one schema applied by numbered migrations embedded in the binary.
//
// Queries are written once, in plain SQL with ? placeholders, beside the Go that runs
// them; rebind turns the placeholders into $1, $2, … for PostgreSQL. Times are stored
// as BIGINT Unix milliseconds (UTC), the zero time as 0. Documents are stored as TEXT
// (the JSON of form.md) in both dialects.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"biopilot"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlitelib "modernc.org/sqlite/lib"
)

// Dialects.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DB is the database.
type DB struct {
	sql     *sql.DB
	dialect string // "sqlite" or "postgres"

	mu    sync.RWMutex
	clock biopilot.Clock
}

// Open opens the database named by dsn: "sqlite:PATH" (or a bare PATH) for SQLite,
// "postgres://…" or "postgresql://…" for PostgreSQL. It checks that the database
// answers but does not migrate it: call Migrate.
//
// SQLite connections run in WAL mode with foreign keys on, a busy timeout of 5 s,
// synchronous=NORMAL, and write transactions that begin IMMEDIATE (SQLite has one
// writer; taking the lock up front avoids deadlocks between upgrading readers).
func Open(ctx context.Context, dsn string) (*DB, error) {
	var db *DB
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		sqldb, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(20)
		sqldb.SetMaxIdleConns(5)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		db = &DB{sql: sqldb, dialect: DialectPostgres}
	default:
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, fmt.Errorf("store: empty SQLite path in %q", dsn)
		}
		if path == ":memory:" || strings.HasPrefix(path, "file:") {
			return nil, fmt.Errorf("store: SQLite needs a file path, not %q", path)
		}
		if strings.ContainsAny(path, "?#") {
			return nil, fmt.Errorf("store: SQLite path %q must not contain ? or #", path)
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("store: %w", err)
			}
		}
		sqldb, err := sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		// Readers run concurrently in WAL mode; writers queue on the busy timeout.
		sqldb.SetMaxOpenConns(8)
		sqldb.SetMaxIdleConns(8)
		db = &DB{sql: sqldb, dialect: DialectSQLite}
	}
	db.clock = biopilot.SystemClock{}
	if err := db.Ping(ctx); err != nil {
		db.sql.Close()
		return nil, err
	}
	return db, nil
}

// sqliteDSN is the driver name of a SQLite file with the connection settings.
// Each _pragma runs on every new connection.
func sqliteDSN(path string) string {
	return path + "?_pragma=busy_timeout(5000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate"
}

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// SQL returns the underlying *sql.DB for the few places that need it. Queries
// written with ? placeholders must go through Rebind first.
func (db *DB) SQL() *sql.DB { return db.sql }

// Ping checks that the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("store: %s unreachable: %w", db.dialect, err)
	}
	return nil
}

// SetClock sets the clock that stamps records whose time the caller left zero.
// The default is the system clock.
func (db *DB) SetClock(c biopilot.Clock) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.clock = c
}

// now returns the clock's time truncated to the stored precision.
func (db *DB) now() time.Time {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.clock.Now().UTC().Truncate(time.Millisecond)
}

// stamp returns t truncated to the stored precision, or now when t is zero.
func (db *DB) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return db.now()
	}
	return t.UTC().Truncate(time.Millisecond)
}

// Rebind rewrites a query written with ? placeholders for the database's dialect.
func (db *DB) Rebind(query string) string { return rebind(db.dialect, query) }

// rebind turns ? into $1, $2, … for PostgreSQL, leaving string literals alone.
func rebind(dialect, query string) string {
	if dialect != DialectPostgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, inString := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inString = !inString
		case c == '?' && !inString:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q binds queries to a dialect and a querier (the DB or a transaction).
type q struct {
	dialect string
	x       querier
}

func (db *DB) q() q { return q{db.dialect, db.sql} }

func (q q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.x.ExecContext(ctx, rebind(q.dialect, query), args...)
}

func (q q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.x.QueryContext(ctx, rebind(q.dialect, query), args...)
}

func (q q) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.x.QueryRowContext(ctx, rebind(q.dialect, query), args...)
}

// inTx runs fn in a transaction, committing when fn returns nil and rolling back
// otherwise. On SQLite the transaction begins IMMEDIATE (see Open).
func (db *DB) inTx(ctx context.Context, fn func(q q) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(q{db.dialect, tx}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// ms converts a time to stored Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts stored Unix milliseconds to a UTC time; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// nullID stores a zero id as NULL (for optional references).
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// idOf reads a nullable id column.
func idOf(n sql.NullInt64) int64 {
	if n.Valid {
		return n.Int64
	}
	return 0
}

// boolInt stores a bool as 0 or 1 (an INTEGER in both dialects).
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlitelib.SQLITE_CONSTRAINT_UNIQUE ||
			se.Code() == sqlitelib.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// isForeignKeyViolation reports whether err is a FOREIGN KEY violation.
func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlitelib.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return false
}

// likePattern returns a LIKE pattern matching s anywhere, with the wildcards in s
// escaped (use with ESCAPE '\').
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// limit applies the default and maximum page size.
func limit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}
