package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"biopilot"
)

// BackupTo writes a consistent snapshot of a SQLite database to path with VACUUM
// INTO, while other connections go on reading and writing: the copy is the
// database as of one transaction, compacted. path must not exist yet; its
// directory is created.
//
// PostgreSQL is backed up with its own tools (pg_dump), which BackupTo says as an
// EINVALID error.
func (db *DB) BackupTo(ctx context.Context, path string) error {
	if db.dialect != DialectSQLite {
		return biopilot.Errorf(biopilot.EINVALID,
			"PostgreSQL 数据库请使用 pg_dump 备份（如 pg_dump -Fc -f biopilot.dump 数据库地址），并另行备份附件存储")
	}
	if path == "" {
		return biopilot.FieldErrorf("path", "请指定备份文件")
	}
	if _, err := os.Lstat(path); err == nil {
		return biopilot.FieldErrorf("path", "备份文件 %s 已存在，不会覆盖", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := db.sql.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	return nil
}

// countedTables are the tables Counts counts (fixed names, never input).
var countedTables = []string{"organisations", "users", "applications", "application_versions",
	"transitions", "attachments", "authorities", "notifications", "program_deadlines", "audit_log",
	"recommendations", "experts", "review_assignments", "committee_decisions", "public_notices",
	"objections", "objection_files", "directory_entries", "star_ratings", "annual_reports", "annual_evaluations"}

// Counts returns the number of rows of the main tables, by table name: a backup's
// manifest records them and a restore compares them.
func (db *DB) Counts(ctx context.Context) (map[string]int64, error) {
	counts := make(map[string]int64, len(countedTables))
	for _, t := range countedTables {
		var n int64
		if err := db.q().queryRow(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: count %s: %w", t, err)
		}
		counts[t] = n
	}
	return counts, nil
}
