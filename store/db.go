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
	"runtime"
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
//
// On SQLite it holds two pools on the same file: sql for reads (several
// connections: WAL lets readers run beside the writer) and wsql, a single connection
// for writes and transactions. SQLite has one writer at a time; queueing writers in
// Go on the one connection wakes each as soon as the previous commits, where writers
// on several connections would poll the lock with the busy timeout's sleeps (1, 2, 5,
// 10 … ms). On PostgreSQL both are the same pool. Statements are prepared once per
// connection and kept (see stmtCache).
type DB struct {
	sql     *sql.DB
	wsql    *sql.DB
	dialect string // "sqlite" or "postgres"

	rstmts, wstmts *stmtCache // nil on PostgreSQL: pgx caches prepared statements itself
	saves          *saveGroup // SQLite: concurrent saves share a transaction (savegroup.go)

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
		db = &DB{sql: sqldb, wsql: sqldb, dialect: DialectPostgres}
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
		// Readers run concurrently in WAL mode, as many as there are cores and a few
		// more for those waiting on the disk.
		readers := min(max(runtime.GOMAXPROCS(0)+2, 4), 8)
		sqldb.SetMaxOpenConns(readers)
		sqldb.SetMaxIdleConns(readers)
		wdb, err := sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			sqldb.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		wdb.SetMaxOpenConns(1)
		wdb.SetMaxIdleConns(1)
		db = &DB{sql: sqldb, wsql: wdb, dialect: DialectSQLite,
			rstmts: newStmtCache(sqldb), wstmts: newStmtCache(wdb), saves: &saveGroup{}}
	}
	db.clock = biopilot.SystemClock{}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqliteDSN is the driver name of a SQLite file with the connection settings.
// Each _pragma runs on every new connection. cache_size is each connection's page
// cache (negative: in KiB): the default 2 MB held a fraction of a city's list, which
// was then read again from the file on every request.
func sqliteDSN(path string) string {
	return path + "?_pragma=busy_timeout(5000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)" +
		"&_pragma=cache_size(" + strconv.Itoa(-sqliteCacheKiB) + ")" +
		"&_pragma=temp_store(MEMORY)" +
		"&_txlock=immediate"
}

// sqliteCacheKiB is the page cache of each SQLite connection.
const sqliteCacheKiB = 8 << 10

// Close closes the database.
func (db *DB) Close() error {
	db.rstmts.close()
	db.wstmts.close()
	err := db.sql.Close()
	if db.wsql != db.sql {
		if werr := db.wsql.Close(); err == nil {
			err = werr
		}
	}
	return err
}

// Dialect returns "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// SQL returns the underlying *sql.DB for the few places that need it. Queries
// written with ? placeholders must go through Rebind first.
func (db *DB) SQL() *sql.DB { return db.sql }

// Ping checks that the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	for _, p := range []*sql.DB{db.sql, db.wsql} {
		if err := p.PingContext(ctx); err != nil {
			return fmt.Errorf("store: %s unreachable: %w", db.dialect, err)
		}
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

// q binds queries to a dialect and a querier: the database (reads on the read pool,
// writes on the write pool) or a transaction (everything in it).
type q struct {
	dialect string
	x       querier // reads
	w       querier // writes
	tx      *sql.Tx // the transaction, if any
	rc, wc  *stmtCache
	// misses collects, in a transaction, the texts not prepared yet: they are
	// prepared once the transaction ends (preparing needs the connection it holds).
	misses *[]string
}

func (db *DB) q() q {
	return q{dialect: db.dialect, x: db.sql, w: db.wsql, rc: db.rstmts, wc: db.wstmts}
}

// isWrite reports whether a statement changes data (it then runs on the write pool).
func isWrite(query string) bool {
	query = strings.TrimLeft(query, " \t\r\n")
	word, _, _ := strings.Cut(query, " ")
	switch strings.ToUpper(word) {
	case "SELECT", "WITH", "PRAGMA", "EXPLAIN":
		return false
	}
	return true
}

// pick returns where query runs: a prepared statement when one is cached, else the
// querier.
func (q q) pick(ctx context.Context, query string, write bool) (querier, *sql.Stmt) {
	x, c := q.x, q.rc
	if write || q.tx != nil {
		x, c = q.w, q.wc
	}
	if q.tx != nil {
		st := c.lookup(query)
		if st == nil {
			if q.misses != nil && c != nil {
				*q.misses = append(*q.misses, query)
			}
			return x, nil
		}
		return nil, q.tx.StmtContext(ctx, st)
	}
	if st := c.get(ctx, query); st != nil {
		return nil, st
	}
	return x, nil
}

func (q q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = rebind(q.dialect, query)
	x, st := q.pick(ctx, query, true)
	if st != nil {
		return st.ExecContext(ctx, args...)
	}
	return x.ExecContext(ctx, query, args...)
}

func (q q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = rebind(q.dialect, query)
	x, st := q.pick(ctx, query, isWrite(query))
	if st != nil {
		return st.QueryContext(ctx, args...)
	}
	return x.QueryContext(ctx, query, args...)
}

func (q q) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = rebind(q.dialect, query)
	x, st := q.pick(ctx, query, isWrite(query))
	if st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return x.QueryRowContext(ctx, query, args...)
}

// inTx runs fn in a transaction on the write pool, committing when fn returns nil
// and rolling back otherwise. On SQLite the transaction begins IMMEDIATE (see Open).
// fn must run its statements through its q: on SQLite a write through db.q() inside
// fn would wait for the write connection that fn holds.
func (db *DB) inTx(ctx context.Context, fn func(q q) error) error {
	tx, err := db.wsql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	var misses []string
	defer func() {
		for _, query := range misses {
			db.wstmts.get(ctx, query)
		}
	}()
	finished := false
	defer func() {
		// A panic in fn must not leave the transaction, and so the write connection,
		// held for ever (the panic goes on, its stack intact).
		if !finished {
			tx.Rollback()
		}
	}()
	err = fn(q{dialect: db.dialect, x: tx, w: tx, tx: tx, rc: db.wstmts, wc: db.wstmts, misses: &misses})
	finished = true
	if err != nil {
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

// stmtCache keeps one prepared statement per query text for a pool: database/sql
// then prepares it once on each connection and reuses it, where an unprepared
// query is parsed and planned again on every call (about 6% of the CPU of a loaded
// server). Queries built with a variable number of placeholders have many texts, so
// the cache is bounded: past maxStmts texts, further queries run unprepared. Texts
// holding several statements (migrations) are never prepared. A nil cache caches
// nothing.
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	closed bool
}

// maxStmts bounds the statements a stmtCache keeps.
const maxStmts = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// get returns the prepared statement of query, preparing it the first time, or nil
// when it is not to be cached (or preparing failed: the caller then runs the query
// unprepared and gets the error there).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil || strings.Contains(query, ";") {
		return nil
	}
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxStmts || c.closed
	c.mu.Unlock()
	if ok || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok || c.closed { // prepared meanwhile by another caller
		st.Close()
		return prev
	}
	c.stmts[query] = st
	return st
}

// lookup returns the prepared statement of query, or nil when there is none yet.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// len returns how many statements are cached.
func (c *stmtCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts)
}

// close closes the cached statements.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts, c.closed = nil, true
}
