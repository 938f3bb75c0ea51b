package store

// This file holds bulk loading (the capacity test seeds thousands of applications in
// seconds) and the counts the metrics exporter reads at scrape time.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"biopilot"
)

// BulkApplication is one application to load with BulkCreateApplications, with the
// history that brought it to its state.
type BulkApplication struct {
	// App is stored as given: any state, its Snapshot and SnapshotHash, Version
	// (default 1), and its times (CreatedAt and UpdatedAt default to now). Its ID is
	// set on return; OrgName is not read.
	App *biopilot.Application
	// Transitions are recorded in order; their ApplicationID and ID are set on return.
	Transitions []*biopilot.Transition
}

// BulkCreateApplications inserts apps in one transaction with prepared statements:
// each application with its domains, its document as its current version in the
// version history, and its transitions. It checks no workflow rule: it is for
// seeding (the capacity test) and for loading data exported from another system, not
// for the application's own writes, which go through CreateApplication, SaveDocument
// and Transition. A failure rolls the whole batch back.
func (db *DB) BulkCreateApplications(ctx context.Context, apps []BulkApplication) error {
	if len(apps) == 0 {
		return nil
	}
	now := db.now()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	prep := func(query string) (*sql.Stmt, error) {
		return tx.PrepareContext(ctx, db.Rebind(query))
	}
	insApp, err := prep(`INSERT INTO applications
		(program_id, org_id, city_code, state, version, document, snapshot, snapshot_hash,
		 platform_name, verdict, created_by, updated_by, created_at, updated_at, submitted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return fmt.Errorf("store: bulk: %w", err)
	}
	defer insApp.Close()
	insDomain, err := prep(`INSERT INTO application_domains (application_id, position, domain) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: bulk: %w", err)
	}
	defer insDomain.Close()
	insVersion, err := prep(`INSERT INTO application_versions
		(application_id, version, document, user_id, saved_at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: bulk: %w", err)
	}
	defer insVersion.Close()
	insTransition, err := prep(`INSERT INTO transitions
		(application_id, from_state, to_state, actor_id, actor_role, actor_name, reason, data, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return fmt.Errorf("store: bulk: %w", err)
	}
	defer insTransition.Close()

	for i, b := range apps {
		a := b.App
		if a == nil || !a.State.Valid() || a.ProgramID == "" || a.OrgID == 0 {
			return biopilot.Errorf(biopilot.EINVALID, "第 %d 个申请缺少项目、单位或有效状态", i+1)
		}
		doc, err := documentText(a.Document)
		if err != nil {
			return err
		}
		var snapshot sql.NullString
		if len(a.Snapshot) > 0 {
			if !json.Valid(a.Snapshot) {
				return biopilot.FieldErrorf("snapshot", "第 %d 个申请的提交快照不是有效的 JSON", i+1)
			}
			snapshot = sql.NullString{String: string(a.Snapshot), Valid: true}
		}
		if a.Version <= 0 {
			a.Version = 1
		}
		if a.CreatedAt.IsZero() {
			a.CreatedAt = now
		}
		if a.UpdatedAt.IsZero() {
			a.UpdatedAt = a.CreatedAt
		}
		if err := insApp.QueryRowContext(ctx, a.ProgramID, a.OrgID, a.CityCode, string(a.State),
			a.Version, doc, snapshot, a.SnapshotHash, a.PlatformName, a.Verdict,
			nullID(a.CreatedBy), nullID(a.UpdatedBy), ms(a.CreatedAt), ms(a.UpdatedAt),
			ms(a.SubmittedAt)).Scan(&a.ID); err != nil {
			return fmt.Errorf("store: bulk application %d: %w", i+1, err)
		}
		seen := map[string]bool{}
		for _, d := range a.Domains {
			if d == "" || seen[d] {
				continue
			}
			seen[d] = true
			if _, err := insDomain.ExecContext(ctx, a.ID, len(seen), d); err != nil {
				return fmt.Errorf("store: bulk domains: %w", err)
			}
		}
		if _, err := insVersion.ExecContext(ctx, a.ID, a.Version, doc, nullID(a.UpdatedBy),
			ms(a.UpdatedAt)); err != nil {
			return fmt.Errorf("store: bulk version: %w", err)
		}
		for _, t := range b.Transitions {
			var data sql.NullString
			if len(t.Data) > 0 {
				data = sql.NullString{String: string(t.Data), Valid: true}
			}
			at := t.At
			if at.IsZero() {
				at = a.UpdatedAt
			}
			if err := insTransition.QueryRowContext(ctx, a.ID, string(t.From), string(t.To),
				nullID(t.ActorID), string(t.ActorRole), t.ActorName, t.Reason, data, ms(at)).
				Scan(&t.ID); err != nil {
				return fmt.Errorf("store: bulk transition: %w", err)
			}
			t.ApplicationID = a.ID
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// TransitionCounts counts the transitions ever recorded, by the state they led to
// (a count of transitions to "submitted" is the number of submissions). An empty
// programID counts every program's.
func (db *DB) TransitionCounts(ctx context.Context, programID string) (map[biopilot.State]int64, error) {
	rows, err := db.q().query(ctx, `SELECT t.to_state, COUNT(*) FROM transitions t
		JOIN applications a ON a.id = t.application_id
		WHERE ? = '' OR a.program_id = ? GROUP BY t.to_state`, programID, programID)
	if err != nil {
		return nil, fmt.Errorf("store: transition counts: %w", err)
	}
	defer rows.Close()
	counts := map[biopilot.State]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: transition counts: %w", err)
		}
		counts[biopilot.State(s)] = n
	}
	return counts, rows.Err()
}

// Analyze refreshes the query planner's statistics. SQLite plans by them only once
// they exist: without them, a city's list of 50 is read through the index on
// (program_id, updated_at), visiting every application of the province (measured with
// 10,000 applications: 30–70 ms a list, against 1–10 ms with statistics). Run it after
// bulk loading and periodically (serve's housekeeping does); PostgreSQL's autovacuum
// keeps its own statistics, so there it runs ANALYZE only on the busiest tables.
//
// On SQLite only the per-index averages (sqlite_stat1) are kept: the driver is built
// with STAT4, whose value samples make every prepared statement that compares an
// indexed column with a parameter expire at each new binding and be compiled again on
// each run (measured: the reviewer's list spent a third of its time re-preparing).
// The plans of this schema's queries are the same with the averages alone.
func (db *DB) Analyze(ctx context.Context) error {
	if db.dialect == DialectPostgres {
		if _, err := db.sql.ExecContext(ctx, `ANALYZE applications, application_domains, transitions`); err != nil {
			return fmt.Errorf("store: analyze: %w", err)
		}
		return nil
	}
	// On the write connection, in one transaction: the other connections reload the
	// statistics when they see the schema change at the commit, never in between.
	conn, err := db.wsql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: analyze: %w", err)
	}
	defer conn.Close()
	for _, stmt := range []string{`BEGIN IMMEDIATE`, `ANALYZE`,
		`DELETE FROM sqlite_stat4`,
		`COMMIT`, `ANALYZE sqlite_schema`} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			if stmt != `BEGIN IMMEDIATE` && stmt != `ANALYZE sqlite_schema` {
				_, _ = conn.ExecContext(context.Background(), `ROLLBACK`)
			}
			return fmt.Errorf("store: analyze: %w", err)
		}
	}
	return nil
}
