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
	"biopilot/national"
)

// Expert assignments, declarations, sealed scores and committee decisions of a
// round (issue 8; the annual rounds of issue 9 use the same tables).

const assignmentColumns = `id, program_id, round, application_id, expert_id, state, manual,
	assigned_by, assigned_at, conflict_reason, declared_at, drop_reason, points, comments, total,
	digest, scored_at, sealed_at`

func scanAssignment(s scanner) (*ReviewAssignment, error) {
	var (
		a                          ReviewAssignment
		manual                     int
		by                         sql.NullInt64
		assigned, declared, scored int64
		points, comments           sql.NullString
		sealedAt                   string
	)
	if err := s.Scan(&a.ID, &a.ProgramID, &a.Round, &a.ApplicationID, &a.ExpertID, &a.State, &manual,
		&by, &assigned, &a.ConflictReason, &declared, &a.DropReason, &points, &comments, &a.Total,
		&a.Digest, &scored, &sealedAt); err != nil {
		return nil, err
	}
	a.Manual, a.AssignedBy = manual != 0, idOf(by)
	a.AssignedAt, a.DeclaredAt, a.ScoredAt = fromMS(assigned), fromMS(declared), fromMS(scored)
	if points.Valid {
		if err := json.Unmarshal([]byte(points.String), &a.Points); err != nil {
			return nil, fmt.Errorf("store: assignment %d: points: %w", a.ID, err)
		}
	}
	if comments.Valid {
		if err := json.Unmarshal([]byte(comments.String), &a.Comments); err != nil {
			return nil, fmt.Errorf("store: assignment %d: comments: %w", a.ID, err)
		}
	}
	if sealedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, sealedAt)
		if err != nil {
			return nil, fmt.Errorf("store: assignment %d: sealed_at: %w", a.ID, err)
		}
		a.sealedAt = t
	}
	return &a, nil
}

// Sealed returns the sealed score of a scored assignment as it was submitted
// (national.SealedScore, whose Verify checks the stored score against its digest).
// Its ExpertID and AppID are the assignment's ids in decimal.
func (a *ReviewAssignment) Sealed() national.SealedScore {
	at := a.sealedAt
	if at.IsZero() {
		at = a.ScoredAt
	}
	return national.SealedScore{
		Score: national.Score{ExpertID: strconv.FormatInt(a.ExpertID, 10),
			AppID: strconv.FormatInt(a.ApplicationID, 10), Points: a.Points, Comments: a.Comments},
		Total: a.Total, SubmittedAt: at, Digest: a.Digest,
	}
}

func errAssignmentNotFound() error {
	return biopilot.Errorf(biopilot.ENOTFOUND, "评审任务不存在")
}

// Assignment returns one assignment, or ENOTFOUND.
func (db *DB) Assignment(ctx context.Context, id int64) (*ReviewAssignment, error) {
	return getAssignment(ctx, db.q(), id)
}

func getAssignment(ctx context.Context, q q, id int64) (*ReviewAssignment, error) {
	a, err := scanAssignment(q.queryRow(ctx, `SELECT `+assignmentColumns+` FROM review_assignments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAssignmentNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: assignment: %w", err)
	}
	return a, nil
}

// Assignments lists the assignments f selects, by application then id.
func (db *DB) Assignments(ctx context.Context, f AssignmentFilter) ([]*ReviewAssignment, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.ProgramID != "" {
		add("program_id = ?", f.ProgramID)
	}
	if f.Round != "" {
		add("round = ?", f.Round)
	}
	if f.ApplicationID != 0 {
		add("application_id = ?", f.ApplicationID)
	}
	if f.ExpertID != 0 {
		add("expert_id = ?", f.ExpertID)
	}
	if len(f.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")
		where = append(where, "state IN ("+marks+")")
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	query := `SELECT ` + assignmentColumns + ` FROM review_assignments`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY application_id, id`
	return queryAll(ctx, db.q(), "assignments", wrapScan("assignments", scanAssignment), query, args...)
}

// insertAssignment inserts a (state assigned) at its AssignedAt (now when zero)
// and sets its ID, State and AssignedAt. A duplicate live assignment is ECONFLICT.
func insertAssignment(ctx context.Context, q q, a *ReviewAssignment, now time.Time) error {
	if strings.TrimSpace(a.ProgramID) == "" || strings.TrimSpace(a.Round) == "" {
		return biopilot.FieldErrorf("round", "评审任务缺少项目或评审轮次")
	}
	if a.ApplicationID == 0 || a.ExpertID == 0 {
		return biopilot.FieldErrorf("expert_id", "评审任务缺少申报书或专家")
	}
	at := now
	if !a.AssignedAt.IsZero() {
		at = a.AssignedAt.UTC().Truncate(time.Millisecond)
	}
	var id int64
	err := q.queryRow(ctx, `INSERT INTO review_assignments (program_id, round, application_id,
		expert_id, state, manual, assigned_by, assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.ProgramID, a.Round, a.ApplicationID, a.ExpertID, AssignAssigned, boolInt(a.Manual),
		nullID(a.AssignedBy), ms(at)).Scan(&id)
	switch {
	case isUniqueViolation(err):
		return biopilot.Errorf(biopilot.ECONFLICT, "该专家已分配评审此申报书（申报书 %d，专家 %d）",
			a.ApplicationID, a.ExpertID)
	case isForeignKeyViolation(err):
		return biopilot.FieldErrorf("expert_id", "申报书或专家不存在（申报书 %d，专家 %d）", a.ApplicationID, a.ExpertID)
	case err != nil:
		return fmt.Errorf("store: assign: %w", err)
	}
	a.ID, a.State, a.AssignedAt = id, AssignAssigned, at
	return nil
}

// runTransitions performs the transitions of a batch inside q's transaction, at
// each record's At or else at. It returns a function that sets the records' ID,
// ApplicationID, From, To and At, to be called once the transaction committed.
func runTransitions(ctx context.Context, q q, trs []TransitionRequest, at time.Time) (func(), error) {
	seen := map[int64]bool{}
	ids := make([]int64, len(trs))
	ats := make([]time.Time, len(trs))
	for i, r := range trs {
		if seen[r.ApplicationID] {
			return nil, biopilot.Errorf(biopilot.EINVALID, "申请 %d 在本批操作中重复出现", r.ApplicationID)
		}
		seen[r.ApplicationID] = true
		if err := checkTransition(r); err != nil {
			return nil, err
		}
		ats[i] = at
		if r.Transition != nil && !r.Transition.At.IsZero() {
			ats[i] = r.Transition.At.UTC().Truncate(time.Millisecond)
		}
		_, id, err := transitionIn(ctx, q, r, ats[i])
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return func() {
		for i, r := range trs {
			if t := r.Transition; t != nil {
				t.ID, t.ApplicationID, t.From, t.To, t.At = ids[i], r.ApplicationID, r.From, r.To, ats[i]
			}
		}
	}, nil
}

// batchError wraps a batch's unexpected error; *biopilot.Error passes as it is.
func batchError(what string, err error) error {
	if err == nil || biopilot.AsError(err) != nil {
		return err
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// Assign records an assignment batch in one transaction (see AssignRequest): the
// drops first (an assignment no longer assigned or accepted is ECONFLICT: a
// scored assignment is final), then the new assignments, then the transitions.
// Any failure keeps nothing.
func (db *DB) Assign(ctx context.Context, r AssignRequest) error {
	now := db.now()
	var done func()
	err := db.inTx(ctx, func(q q) error {
		for _, d := range r.Drop {
			if err := dropAssignment(ctx, q, d, now); err != nil {
				return err
			}
		}
		for _, a := range r.Add {
			if err := insertAssignment(ctx, q, a, now); err != nil {
				return err
			}
		}
		var err error
		done, err = runTransitions(ctx, q, r.Transitions, now)
		return err
	})
	if err != nil {
		for _, a := range r.Add { // nothing was kept
			a.ID = 0
		}
		return batchError("assign", err)
	}
	done()
	return nil
}

func dropAssignment(ctx context.Context, q q, d AssignmentDrop, now time.Time) error {
	if strings.TrimSpace(d.Reason) == "" {
		return biopilot.FieldErrorf("reason", "撤销评审任务时请说明原因")
	}
	res, err := q.exec(ctx, `UPDATE review_assignments SET state = ?, drop_reason = ?, dropped_at = ?
		WHERE id = ? AND state IN (?, ?)`,
		AssignDropped, strings.TrimSpace(d.Reason), ms(now), d.AssignmentID, AssignAssigned, AssignAccepted)
	if err != nil {
		return fmt.Errorf("store: drop assignment: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		cur, err := getAssignment(ctx, q, d.AssignmentID)
		if err != nil {
			return err
		}
		if cur.State == AssignScored {
			return biopilot.Errorf(biopilot.ECONFLICT, "评审任务 %d 已评分，评分不可撤销", cur.ID)
		}
		return biopilot.Errorf(biopilot.ECONFLICT, "评审任务 %d 当前为「%s」，不能撤销", cur.ID, AssignStateLabel(cur.State))
	}
	return nil
}

// AssignStateLabel is the Chinese name of an assignment state.
func AssignStateLabel(s string) string {
	switch s {
	case AssignAssigned:
		return "待声明"
	case AssignAccepted:
		return "评审中"
	case AssignConflict:
		return "存在利益冲突（已回避）"
	case AssignScored:
		return "已评分"
	case AssignDropped:
		return "已撤销"
	}
	return s
}

// Declare records an expert's declaration (see DeclareRequest) and returns the
// declared assignment; with a conflict and a Replacement, the replacement is
// inserted in the same transaction and its ID set. A conflict needs a reason
// (EINVALID); an assignment not waiting for a declaration is ECONFLICT.
func (db *DB) Declare(ctx context.Context, r DeclareRequest) (*ReviewAssignment, error) {
	if err := (national.Declaration{Conflict: r.Conflict, Reason: r.Reason}).Validate(); err != nil {
		return nil, err
	}
	if !r.Conflict && r.Replacement != nil {
		return nil, biopilot.Errorf(biopilot.EINVALID, "声明无利益冲突时不需要替换专家")
	}
	at := db.stamp(r.At)
	state, reason := AssignAccepted, ""
	if r.Conflict {
		state, reason = AssignConflict, strings.TrimSpace(r.Reason)
	}
	var out *ReviewAssignment
	err := db.inTx(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE review_assignments SET state = ?, conflict_reason = ?, declared_at = ?
			WHERE id = ? AND state = ?`, state, reason, ms(at), r.AssignmentID, AssignAssigned)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			cur, err := getAssignment(ctx, q, r.AssignmentID)
			if err != nil {
				return err
			}
			return biopilot.Errorf(biopilot.ECONFLICT, "该评审任务已声明（当前为「%s」），不能重复声明",
				AssignStateLabel(cur.State))
		}
		if out, err = getAssignment(ctx, q, r.AssignmentID); err != nil {
			return err
		}
		if rep := r.Replacement; rep != nil {
			if rep.ProgramID == "" {
				rep.ProgramID = out.ProgramID
			}
			if rep.Round == "" {
				rep.Round = out.Round
			}
			if rep.ApplicationID == 0 {
				rep.ApplicationID = out.ApplicationID
			}
			if rep.ProgramID != out.ProgramID || rep.Round != out.Round || rep.ApplicationID != out.ApplicationID {
				return biopilot.Errorf(biopilot.EINVALID, "替换的评审任务应为同一申报书、同一轮次")
			}
			return insertAssignment(ctx, q, rep, at)
		}
		return nil
	})
	if err != nil {
		if r.Replacement != nil {
			r.Replacement.ID = 0
		}
		return nil, batchError("declare", err)
	}
	return out, nil
}

// SubmitScore stores the sealed score of an accepted assignment (→ scored) and
// returns it. A scored assignment is final: a second submission is ECONFLICT
// "评分已提交，不可修改" (and the database refuses any UPDATE of a scored row).
// The score must verify against its digest, and its ExpertID and AppID, when set,
// must be the assignment's expert and application ids in decimal.
func (db *DB) SubmitScore(ctx context.Context, assignmentID int64, s national.SealedScore) (*ReviewAssignment, error) {
	if s.Digest == "" || !s.Verify() {
		return nil, biopilot.Errorf(biopilot.EINVALID, "评分数据与其摘要不符，未保存")
	}
	if s.SubmittedAt.IsZero() {
		return nil, biopilot.FieldErrorf("submitted_at", "评分缺少提交时间")
	}
	points, err := json.Marshal(nonNilMap(s.Points))
	if err != nil {
		return nil, err
	}
	comments, err := json.Marshal(nonNilMap(s.Comments))
	if err != nil {
		return nil, err
	}
	var out *ReviewAssignment
	err = db.inTx(ctx, func(q q) error {
		cur, err := getAssignment(ctx, q, assignmentID)
		if err != nil {
			return err
		}
		if (s.ExpertID != "" && s.ExpertID != strconv.FormatInt(cur.ExpertID, 10)) ||
			(s.AppID != "" && s.AppID != strconv.FormatInt(cur.ApplicationID, 10)) {
			return biopilot.Errorf(biopilot.EINVALID, "评分的专家或申报书与评审任务不符")
		}
		switch cur.State {
		case AssignAccepted:
		case AssignScored:
			return biopilot.Errorf(biopilot.ECONFLICT, "评分已提交，不可修改")
		case AssignAssigned:
			return biopilot.Errorf(biopilot.ECONFLICT, "请先声明与该申报书无利益冲突，再评分")
		default:
			return biopilot.Errorf(biopilot.ECONFLICT, "该评审任务当前为「%s」，不能评分", AssignStateLabel(cur.State))
		}
		res, err := q.exec(ctx, `UPDATE review_assignments SET state = ?, points = ?, comments = ?,
			total = ?, digest = ?, scored_at = ?, sealed_at = ? WHERE id = ? AND state = ?`,
			AssignScored, string(points), string(comments), s.Total, s.Digest, ms(db.stamp(s.SubmittedAt)),
			s.SubmittedAt.UTC().Format(time.RFC3339Nano), assignmentID, AssignAccepted)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return biopilot.Errorf(biopilot.ECONFLICT, "评分已提交，不可修改")
		}
		out, err = getAssignment(ctx, q, assignmentID)
		return err
	})
	if err != nil {
		return nil, batchError("submit score", err)
	}
	return out, nil
}

func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

const decisionColumns = `id, program_id, round, application_id, outcome, reason, score, domain_rank,
	decided_by, decided_at`

func scanDecision(s scanner) (*CommitteeDecision, error) {
	var d CommitteeDecision
	var by sql.NullInt64
	var at int64
	if err := s.Scan(&d.ID, &d.ProgramID, &d.Round, &d.ApplicationID, &d.Outcome, &d.Reason, &d.Score,
		&d.Rank, &by, &at); err != nil {
		return nil, err
	}
	d.DecidedBy, d.DecidedAt = idOf(by), fromMS(at)
	return &d, nil
}

// Decide records a committee decision (a new row: the latest per round and
// application counts) and sets its ID and DecidedAt (now when zero). The outcome
// must be national.DecisionRecommend or DecisionNotRecommend, with a reason.
func (db *DB) Decide(ctx context.Context, d *CommitteeDecision) error {
	d.Reason = strings.TrimSpace(d.Reason)
	if err := (national.Decision{Outcome: d.Outcome, Reason: d.Reason}).Validate(); err != nil {
		return err
	}
	if strings.TrimSpace(d.ProgramID) == "" || strings.TrimSpace(d.Round) == "" {
		return biopilot.FieldErrorf("round", "评审结论缺少项目或评审轮次")
	}
	at := db.stamp(d.DecidedAt)
	var id int64
	err := db.q().queryRow(ctx, `INSERT INTO committee_decisions (program_id, round, application_id,
		outcome, reason, score, domain_rank, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.ProgramID, d.Round, d.ApplicationID, d.Outcome, d.Reason, d.Score, d.Rank, nullID(d.DecidedBy),
		ms(at)).Scan(&id)
	if isForeignKeyViolation(err) {
		return biopilot.FieldErrorf("application_id", "申报书或操作人不存在")
	} else if err != nil {
		return fmt.Errorf("store: decide: %w", err)
	}
	d.ID, d.DecidedAt = id, at
	return nil
}

// Decisions returns the latest decision per application of a program's round, by
// application id.
func (db *DB) Decisions(ctx context.Context, programID, round string) ([]*CommitteeDecision, error) {
	return queryAll(ctx, db.q(), "decisions", wrapScan("decisions", scanDecision),
		`SELECT `+decisionColumns+` FROM committee_decisions d
		WHERE program_id = ? AND round = ? AND id = (SELECT MAX(l.id) FROM committee_decisions l
			WHERE l.program_id = d.program_id AND l.round = d.round AND l.application_id = d.application_id)
		ORDER BY application_id`, programID, round)
}
