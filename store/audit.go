package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/seal"
)

// The audit trail (审计日志) is a hash chain of seal.ChainRecord: each record carries
// the SM3 hash of the one before it, so that an edited, deleted or reordered record
// is found by VerifyAudit (and `biopilot audit verify`).
//
// It is append-only three times over: the store has no method that changes or
// deletes a record, the database refuses UPDATE and DELETE on audit_log with
// triggers (migration 002), and the chain shows what someone with direct access to
// the database changed anyway. There is no retention or deletion API at all: records
// are kept indefinitely, which satisfies the six months the Cybersecurity Law asks
// for; archiving older records is an operator's job done on a copy.
//
// A transition and its audit record are written in two transactions: the
// transition first, then the record (AppendAudit). A crash between the two loses
// the record of a change that happened, never records a change that did not; the
// transitions table keeps its own history of every state change besides.

// auditLock is the PostgreSQL advisory lock key that serialises appends to the
// audit chain across instances ("bioaudit" in ASCII).
const auditLock = 0x62696f6175646974

// Audit results.
const (
	AuditOK     = "ok"
	AuditDenied = "denied"
	AuditFailed = "failed"
)

// AuditFilter selects audit records. Zero fields do not filter.
type AuditFilter struct {
	From, To time.Time // From inclusive, To exclusive
	// Actor is "user:ID" for one user's records, or else text found anywhere in
	// the actor (case-insensitive).
	Actor string
	// Action is an exact action ("login"), or a prefix ending in ":"
	// ("transition:") for a family of actions.
	Action string
	Object string // exact ("application:12")
	Result string // exact: ok, denied or failed
	Limit  int    // default 50, at most 500
	Offset int
}

// AppendAudit appends rec to the audit trail and fills in its Seq, PrevHash and
// Hash (and Time, truncated to the millisecond the store keeps, or now when zero).
// The chain head is read and the record written in one transaction, serialised
// across instances (PostgreSQL: an advisory lock; SQLite: the immediate write
// transaction), so that concurrent appends form one gap-free chain.
//
// Action is required, Result must be ok, denied or failed, and Detail, when
// present, must be JSON: anything else is EINVALID.
func (db *DB) AppendAudit(ctx context.Context, rec *seal.ChainRecord) error {
	if strings.TrimSpace(rec.Action) == "" {
		return biopilot.FieldErrorf("action", "审计记录缺少操作（action）")
	}
	switch rec.Result {
	case AuditOK, AuditDenied, AuditFailed:
	default:
		return biopilot.FieldErrorf("result", "审计记录的结果「%s」无效，应为 ok、denied 或 failed", rec.Result)
	}
	if len(rec.Detail) > 0 && !json.Valid(rec.Detail) {
		return biopilot.FieldErrorf("detail", "审计记录的详情不是有效的 JSON")
	}
	// The chain hashes microseconds, the store keeps milliseconds: hash what is
	// kept, so that the record read back verifies.
	r := *rec
	r.Time = db.stamp(r.Time)
	var detail sql.NullString
	if len(r.Detail) > 0 {
		detail = sql.NullString{String: string(r.Detail), Valid: true}
	}
	err := db.inTx(ctx, func(q q) error {
		if db.dialect == DialectPostgres {
			if _, err := q.exec(ctx, `SELECT pg_advisory_xact_lock(`+strconv.FormatInt(auditLock, 10)+`)`); err != nil {
				return fmt.Errorf("store: lock audit chain: %w", err)
			}
		}
		var prev *seal.ChainRecord
		var head seal.ChainRecord
		err := q.queryRow(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).
			Scan(&head.Seq, &head.Hash)
		switch {
		case err == nil:
			prev = &head
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("store: audit chain head: %w", err)
		}
		next, err := seal.Append(prev, r)
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, `INSERT INTO audit_log
			(seq, at, actor_id, actor, role, address, object, action, result, detail, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			next.Seq, ms(next.Time), nullID(actorID(next.Actor)), next.Actor, next.Role, next.Address,
			next.Object, next.Action, next.Result, detail, next.PrevHash, next.Hash); err != nil {
			return fmt.Errorf("store: append audit: %w", err)
		}
		r = next
		return nil
	})
	if err != nil {
		return err
	}
	*rec = r
	return nil
}

// actorID returns the user id of an actor written "user:ID" or "user:ID name",
// or 0.
func actorID(actor string) int64 {
	rest, ok := strings.CutPrefix(actor, "user:")
	if !ok {
		return 0
	}
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		rest = rest[:i]
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

const auditColumns = `seq, at, actor, role, address, object, action, result, detail, prev_hash, hash`

func scanAudit(s scanner) (*seal.ChainRecord, error) {
	var (
		r      seal.ChainRecord
		at     int64
		detail sql.NullString
	)
	if err := s.Scan(&r.Seq, &at, &r.Actor, &r.Role, &r.Address, &r.Object, &r.Action, &r.Result,
		&detail, &r.PrevHash, &r.Hash); err != nil {
		return nil, fmt.Errorf("store: audit record: %w", err)
	}
	r.Time = fromMS(at)
	if detail.Valid {
		r.Detail = json.RawMessage(detail.String)
	}
	return &r, nil
}

// AuditRecords lists the audit records matching f, newest first, and returns the
// total count of records matching f.
func (db *DB) AuditRecords(ctx context.Context, f AuditFilter) ([]*seal.ChainRecord, int, error) {
	where, args := f.where()
	var total int
	if err := db.q().queryRow(ctx, `SELECT COUNT(*) FROM audit_log`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count audit records: %w", err)
	}
	args = append(args, limit(f.Limit), max(f.Offset, 0))
	recs, err := queryAll(ctx, db.q(), "audit records", scanAudit, `SELECT `+auditColumns+` FROM audit_log`+where+
		` ORDER BY seq DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, 0, err
	}
	return recs, total, nil
}

// where returns the WHERE clause (with a leading space, or empty) and its
// arguments. Every value is a parameter.
func (f AuditFilter) where() (string, []any) {
	var conds []string
	var args []any
	if !f.From.IsZero() {
		conds, args = append(conds, `at >= ?`), append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, `at < ?`), append(args, ms(f.To))
	}
	if a := strings.TrimSpace(f.Actor); a != "" {
		if id := actorID(a); id != 0 && a == "user:"+strconv.FormatInt(id, 10) {
			conds, args = append(conds, `actor_id = ?`), append(args, id)
		} else {
			conds, args = append(conds, `LOWER(actor) LIKE ? ESCAPE '\'`), append(args, likePattern(a))
		}
	}
	if a := strings.TrimSpace(f.Action); a != "" {
		if strings.HasSuffix(a, ":") {
			conds, args = append(conds, `LOWER(action) LIKE ? ESCAPE '\'`), append(args, strings.TrimPrefix(likePattern(a), "%"))
		} else {
			conds, args = append(conds, `action = ?`), append(args, a)
		}
	}
	if f.Object != "" {
		conds, args = append(conds, `object = ?`), append(args, f.Object)
	}
	if f.Result != "" {
		conds, args = append(conds, `result = ?`), append(args, f.Result)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// EachAudit calls fn with every audit record in the order they were stored
// (oldest first), streaming, until fn returns an error, which EachAudit returns.
func (db *DB) EachAudit(ctx context.Context, fn func(*seal.ChainRecord) error) error {
	rows, err := db.q().query(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY id`)
	if err != nil {
		return fmt.Errorf("store: audit records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: audit records: %w", err)
	}
	return nil
}

// VerifyAudit checks the whole audit trail in stored order and returns the number
// of records. A chain that was tampered with is the EINVALID error of
// seal.VerifyChain, naming the first bad record, with a seal.ChainBreak as Detail.
//
// It streams the records, keeping only the previous one, and checks each as
// seal.VerifyChain does (the sequence number, the hash, the link); at the first
// mismatch it reads the whole trail and lets seal.VerifyChain name the break.
func (db *DB) VerifyAudit(ctx context.Context) (int64, error) {
	var n int64
	prevHash, broken := "", false
	err := db.EachAudit(ctx, func(r *seal.ChainRecord) error {
		n++
		h, err := r.ComputeHash()
		if r.Seq != n || err != nil || h != r.Hash || r.PrevHash != prevHash {
			broken = true
			return errStop
		}
		prevHash = r.Hash
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return 0, err
	}
	if !broken {
		return n, nil
	}
	var all []seal.ChainRecord
	if err := db.EachAudit(ctx, func(r *seal.ChainRecord) error {
		all = append(all, *r)
		return nil
	}); err != nil {
		return 0, err
	}
	if err := seal.VerifyChain(all); err != nil {
		return int64(len(all)), err
	}
	// Changed between the two reads: only appends can happen, so a break seen in
	// the first read that is gone in the second is impossible unless the trail was
	// repaired meanwhile; report it rather than pass.
	return int64(len(all)), biopilot.Errorf(biopilot.EINVALID, "审计日志在校验过程中被改动，请重新校验")
}

// errStop ends an iteration early.
var errStop = errors.New("stop")
