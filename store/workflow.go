package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"biopilot"
)

// SaveDocument stores a new version of the document if and only if the current
// version is u.BaseVersion and the state is editable (draft or returned). A stale
// save returns ECONFLICT whose Detail is the current *biopilot.Application, and
// changes nothing. Returns the updated application.
//
// The compare-and-set is one UPDATE … WHERE id = ? AND version = ? AND state IN
// (draft, returned); the new version is also appended to the version history in
// the same transaction. The UPDATE returns the row it wrote (RETURNING, on both
// SQLite and PostgreSQL), so a save reads nothing back but the snapshot; the
// document returned is the one given.
func (db *DB) SaveDocument(ctx context.Context, u DocumentUpdate) (*biopilot.Application, error) {
	doc, err := documentText(u.Document)
	if err != nil {
		return nil, err
	}
	at := db.stamp(u.At)
	var app *biopilot.Application
	if db.saves != nil {
		app, err = db.saves.save(ctx, db, &saveReq{u: u, doc: doc, at: at})
	} else {
		err = db.inTx(ctx, func(q q) error {
			var err error
			app, err = saveOne(ctx, q, u, doc, at)
			return err
		})
	}
	if err != nil {
		if biopilot.AsError(err) != nil {
			return nil, err
		}
		return nil, fmt.Errorf("store: save document: %w", err)
	}
	return app, nil
}

// saveOne runs one save's statements in a transaction (see SaveDocument).
func saveOne(ctx context.Context, q q, u DocumentUpdate, doc string, at time.Time) (*biopilot.Application, error) {
	var snapshot sql.NullString
	rs := &returningScanner{row: q.queryRow(ctx, `UPDATE applications
		SET document = ?, version = version + 1, platform_name = ?, verdict = ?,
		    updated_by = ?, updated_at = ?
		WHERE id = ? AND version = ? AND state IN (?, ?)
		RETURNING `+savedColumns,
		doc, u.PlatformName, u.Verdict, nullID(u.UserID), ms(at),
		u.ApplicationID, u.BaseVersion, string(biopilot.StateDraft), string(biopilot.StateReturned)),
		extra: []any{&snapshot}}
	a, err := scanApplication(rs, false)
	if rs.noRows {
		return nil, saveRefused(ctx, q, u.ApplicationID)
	} else if isForeignKeyViolation(rs.err) {
		return nil, biopilot.FieldErrorf("user_id", "用户不存在")
	} else if err != nil {
		return nil, err
	}
	a.Document = json.RawMessage(doc)
	if snapshot.Valid {
		a.Snapshot = json.RawMessage(snapshot.String)
	}
	if a.Domains, err = saveDomains(ctx, q, u.ApplicationID, u.Domains); err != nil {
		return nil, err
	}
	if _, err := q.exec(ctx, `INSERT INTO application_versions
		(application_id, version, document, user_id, saved_at) VALUES (?, ?, ?, ?, ?)`,
		u.ApplicationID, u.BaseVersion+1, doc, nullID(u.UserID), ms(at)); err != nil {
		return nil, err
	}
	return a, nil
}

// savedColumns are what a save's UPDATE returns: applicationListColumns in their
// order (the organisation's name by a subquery: RETURNING sees only the table
// updated), then the snapshot.
const savedColumns = `id, program_id, org_id, city_code, state, version, snapshot_hash,
	(SELECT o.name FROM organisations o WHERE o.id = applications.org_id),
	platform_name, verdict, created_by, updated_by, created_at, updated_at, submitted_at, snapshot`

// returningScanner scans a row of savedColumns for scanApplication: it appends the
// extra destinations, and keeps whether there was no row and the raw error.
type returningScanner struct {
	row    *sql.Row
	extra  []any
	noRows bool
	err    error
}

func (r *returningScanner) Scan(dest ...any) error {
	r.err = r.row.Scan(append(dest, r.extra...)...)
	r.noRows = errors.Is(r.err, sql.ErrNoRows)
	return r.err
}

// saveRefused explains why the compare-and-set of a save matched no row.
func saveRefused(ctx context.Context, q q, id int64) error {
	cur, err := getApplication(ctx, q, id)
	if err != nil {
		return err
	}
	if !cur.State.Editable() {
		return biopilot.Errorf(biopilot.ECONFLICT, "申请当前状态为「%s」，不能修改", cur.State.Label())
	}
	return staleError(cur)
}

// staleError is the conflict of a save based on an old version.
func staleError(cur *biopilot.Application) error {
	e := biopilot.Errorf(biopilot.ECONFLICT, "该申请已被他人修改（当前版本 %d），请先查看对方的修改", cur.Version)
	e.Detail = cur
	return e
}

// Transition performs r in one transaction: compare-and-set of the state, the
// transition record, and the snapshot when given. When two callers race, exactly
// one wins; the other gets ECONFLICT with a Chinese message.
//
// r.Transition may be nil, in which case a bare record of From and To is kept:
// every state change is recorded. Its ApplicationID, From and To are set from r.
func (db *DB) Transition(ctx context.Context, r TransitionRequest) (*biopilot.Application, error) {
	if err := checkTransition(r); err != nil {
		return nil, err
	}
	t := r.Transition
	if t == nil {
		t = &biopilot.Transition{}
	}
	at := db.stamp(t.At)

	var app *biopilot.Application
	var id int64
	err := db.inTx(ctx, func(q q) error {
		var err error
		app, id, err = transitionIn(ctx, q, r, at)
		return err
	})
	if err != nil {
		if biopilot.AsError(err) != nil {
			return nil, err
		}
		return nil, fmt.Errorf("store: transition: %w", err)
	}
	t.ID, t.ApplicationID, t.From, t.To, t.At = id, r.ApplicationID, r.From, r.To, at
	return app, nil
}

// checkTransition validates r before any statement runs: known states, and valid
// JSON of the record's data and of the snapshot.
func checkTransition(r TransitionRequest) error {
	if !r.From.Valid() {
		return biopilot.FieldErrorf("from", "未知的申请状态「%s」", r.From)
	}
	if !r.To.Valid() {
		return biopilot.FieldErrorf("to", "未知的申请状态「%s」", r.To)
	}
	if t := r.Transition; t != nil && len(t.Data) > 0 && !json.Valid(t.Data) {
		return biopilot.FieldErrorf("data", "流转记录的数据不是有效的 JSON")
	}
	if r.Snapshot != nil && !json.Valid(r.Snapshot) {
		return biopilot.FieldErrorf("snapshot", "提交快照不是有效的 JSON")
	}
	return nil
}

// transitionIn performs r at the instant at inside the transaction of q: the
// compare-and-set of the state (and version), the snapshot when given, and the
// transitions row. It returns the application as it is now and the id of the
// transitions row; r.Transition is not modified (the caller sets its ID, From,
// To and At once the transaction has committed). r must have passed
// checkTransition.
func transitionIn(ctx context.Context, q q, r TransitionRequest, at time.Time) (*biopilot.Application, int64, error) {
	t := r.Transition
	if t == nil {
		t = &biopilot.Transition{}
	}
	var data sql.NullString
	if len(t.Data) > 0 {
		data = sql.NullString{String: string(t.Data), Valid: true}
	}
	var res sql.Result
	var err error
	if r.Snapshot != nil {
		res, err = q.exec(ctx, `UPDATE applications
			SET state = ?, updated_at = ?, snapshot = ?, snapshot_hash = ?, submitted_at = ?
			WHERE id = ? AND state = ? AND (? = 0 OR version = ?)`,
			string(r.To), ms(at), string(r.Snapshot), r.SnapshotHash, ms(at),
			r.ApplicationID, string(r.From), r.BaseVersion, r.BaseVersion)
	} else {
		res, err = q.exec(ctx, `UPDATE applications SET state = ?, updated_at = ?
			WHERE id = ? AND state = ? AND (? = 0 OR version = ?)`,
			string(r.To), ms(at), r.ApplicationID, string(r.From), r.BaseVersion, r.BaseVersion)
	}
	if err != nil {
		return nil, 0, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, 0, err
	} else if n == 0 {
		return nil, 0, transitionRefused(ctx, q, r)
	}
	var id int64
	err = q.queryRow(ctx, `INSERT INTO transitions
		(application_id, from_state, to_state, actor_id, actor_role, actor_name, reason, data, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.ApplicationID, string(r.From), string(r.To), nullID(t.ActorID), string(t.ActorRole),
		t.ActorName, t.Reason, data, ms(at)).Scan(&id)
	if isForeignKeyViolation(err) {
		return nil, 0, biopilot.FieldErrorf("actor_id", "操作人不存在")
	} else if err != nil {
		return nil, 0, err
	}
	app, err := getApplication(ctx, q, r.ApplicationID)
	return app, id, err
}

// transitionRefused explains why the compare-and-set of a transition matched no
// row.
func transitionRefused(ctx context.Context, q q, r TransitionRequest) error {
	cur, err := getApplication(ctx, q, r.ApplicationID)
	if err != nil {
		return err
	}
	if cur.State != r.From {
		return biopilot.Errorf(biopilot.ECONFLICT, "该申请的状态已被他人更改（当前为「%s」），请刷新后重试",
			cur.State.Label())
	}
	return staleError(cur) // the state matched, so the version did not
}

// Transitions lists an application's transitions, oldest first.
func (db *DB) Transitions(ctx context.Context, applicationID int64) ([]*biopilot.Transition, error) {
	return queryAll(ctx, db.q(), "transitions", wrapScan("transitions", scanTransition),
		`SELECT id, application_id, from_state, to_state, actor_id,
		actor_role, actor_name, reason, data, at
		FROM transitions WHERE application_id = ? ORDER BY id`, applicationID)
}

func scanTransition(s scanner) (*biopilot.Transition, error) {
	var (
		t        biopilot.Transition
		from, to string
		role     string
		actor    sql.NullInt64
		data     sql.NullString
		at       int64
	)
	if err := s.Scan(&t.ID, &t.ApplicationID, &from, &to, &actor, &role, &t.ActorName,
		&t.Reason, &data, &at); err != nil {
		return nil, err
	}
	t.From, t.To, t.ActorRole = biopilot.State(from), biopilot.State(to), biopilot.Role(role)
	t.ActorID, t.At = idOf(actor), fromMS(at)
	if data.Valid {
		t.Data = json.RawMessage(data.String)
	}
	return &t, nil
}

// ApplicationVersion is one saved version of an application's document.
type ApplicationVersion struct {
	ApplicationID int64
	Version       int64
	Document      json.RawMessage
	UserID        int64
	SavedAt       time.Time
}

// ApplicationVersions lists the saved versions of an application's document,
// newest first, without the documents.
func (db *DB) ApplicationVersions(ctx context.Context, applicationID int64) ([]*ApplicationVersion, error) {
	return queryAll(ctx, db.q(), "versions", wrapScan("versions", func(s scanner) (*ApplicationVersion, error) {
		var v ApplicationVersion
		var user sql.NullInt64
		var at int64
		if err := s.Scan(&v.ApplicationID, &v.Version, &user, &at); err != nil {
			return nil, err
		}
		v.UserID, v.SavedAt = idOf(user), fromMS(at)
		return &v, nil
	}), `SELECT application_id, version, user_id, saved_at
		FROM application_versions WHERE application_id = ? ORDER BY version DESC`, applicationID)
}

// ApplicationVersionDocument returns one saved version with its document (to show
// what a colleague changed).
func (db *DB) ApplicationVersionDocument(ctx context.Context, applicationID, version int64) (*ApplicationVersion, error) {
	var v ApplicationVersion
	var doc string
	var user sql.NullInt64
	var at int64
	err := db.q().queryRow(ctx, `SELECT application_id, version, document, user_id, saved_at
		FROM application_versions WHERE application_id = ? AND version = ?`, applicationID, version).
		Scan(&v.ApplicationID, &v.Version, &doc, &user, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "该申请没有第 %d 版", version)
	} else if err != nil {
		return nil, fmt.Errorf("store: version: %w", err)
	}
	v.Document, v.UserID, v.SavedAt = json.RawMessage(doc), idOf(user), fromMS(at)
	return &v, nil
}
