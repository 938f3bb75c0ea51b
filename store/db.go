// Package store keeps biopilot's data in SQLite (the default, embedded) or
// PostgreSQL, with one schema applied by numbered migrations embedded in the binary.
package store

import "database/sql"

// DB is the database.
type DB struct {
	sql     *sql.DB
	dialect string // "sqlite" or "postgres"
}
