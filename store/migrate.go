package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
)

// The migrations, one directory per dialect with the same numbering:
// migrations/DIALECT/NNN_name.sql. A migration is never edited once released; a
// change is a new number.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string // the file name
	SQL     string
}

var migrationName = regexp.MustCompile(`^(\d{3})_[a-z0-9_]+\.sql$`)

// Migrations returns the embedded migrations of a dialect, in order.
func Migrations(dialect string) ([]Migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: migrations of %q: %w", dialect, err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("store: migration file %s/%s is not named NNN_name.sql", dir, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if prev, ok := seen[v]; ok {
			return nil, fmt.Errorf("store: migrations %s and %s share number %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		data, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(data)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// migrationLock is the PostgreSQL advisory lock key that serialises migrations of
// several instances starting at once ("biopilot" in ASCII, truncated).
const migrationLock = 0x62696f70696c6f74

// Migrate applies the migrations not applied yet, each in its own transaction
// together with its row in schema_migrations. It is safe to run again (it does
// nothing) and safe to run from several processes at once.
func (db *DB) Migrate(ctx context.Context) error {
	migs, err := Migrations(db.dialect)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(q q) error {
		if err := db.lockMigrations(ctx, q); err != nil {
			return err
		}
		_, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT    NOT NULL,
			applied_at BIGINT  NOT NULL
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, m := range migs {
		err := db.inTx(ctx, func(q q) error {
			if err := db.lockMigrations(ctx, q); err != nil {
				return err
			}
			var n int
			if err := q.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`,
				m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := q.exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := q.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, ms(db.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s/%s: %w", db.dialect, m.Name, err)
		}
	}
	return nil
}

// lockMigrations serialises concurrent Migrate calls until the transaction ends.
// SQLite needs nothing: its write transactions begin IMMEDIATE.
func (db *DB) lockMigrations(ctx context.Context, q q) error {
	if db.dialect != DialectPostgres {
		return nil
	}
	_, err := q.exec(ctx, `SELECT pg_advisory_xact_lock(`+strconv.FormatInt(migrationLock, 10)+`)`)
	return err
}

// AppliedMigrations returns the versions recorded in schema_migrations, in order.
func (db *DB) AppliedMigrations(ctx context.Context) ([]int, error) {
	rows, err := db.q().query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("store: applied migrations: %w", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}
