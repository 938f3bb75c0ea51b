package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"biopilot"
	"biopilot/program"
)

// DeadlineChange is one setting of a program's deadlines by an administrator.
type DeadlineChange struct {
	ProgramID string
	Deadlines program.Deadlines
	SetBy     int64
	SetAt     time.Time
	Reason    string
}

// SetDeadlines overrides the deadlines of one program (an administrator's
// extension). Each value is a date (YYYY-MM-DD, the end of that day in the
// program's time zone) or an RFC 3339 instant, as in program.json; a reason is
// required. Every change is kept and the latest wins. The caller audits it.
func (db *DB) SetDeadlines(ctx context.Context, programID string, d program.Deadlines, by int64, reason string, at time.Time) error {
	if strings.TrimSpace(programID) == "" {
		return biopilot.FieldErrorf("program_id", "请指定项目")
	}
	for _, f := range []struct{ field, label, v string }{
		{"deadlines.applicant", "申报单位提交截止时间", d.Applicant},
		{"deadlines.city", "地市推荐截止时间", d.City},
	} {
		if !validDeadline(f.v) {
			return biopilot.FieldErrorf(f.field, "%s「%s」格式不正确，应为 YYYY-MM-DD 或 RFC 3339 时间（如 2025-07-31T17:00:00+08:00）",
				f.label, f.v)
		}
	}
	if strings.TrimSpace(reason) == "" {
		return biopilot.FieldErrorf("reason", "请填写调整截止时间的原因")
	}
	_, err := db.q().exec(ctx, `INSERT INTO program_deadlines (program_id, applicant, city, set_by, set_at, reason)
		VALUES (?, ?, ?, ?, ?, ?)`, programID, d.Applicant, d.City, nullID(by), ms(db.stamp(at)),
		strings.TrimSpace(reason))
	if isForeignKeyViolation(err) {
		return biopilot.FieldErrorf("set_by", "设置截止时间的用户不存在")
	} else if err != nil {
		return fmt.Errorf("store: set deadlines: %w", err)
	}
	return nil
}

// validDeadline reports whether s is a date or an RFC 3339 instant.
func validDeadline(s string) bool {
	if _, err := time.Parse("2006-01-02", s); err == nil {
		return true
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// Deadlines returns the deadlines an administrator set for a program, or nil when
// they were never overridden (the program definition's apply).
func (db *DB) Deadlines(ctx context.Context, programID string) (*program.Deadlines, error) {
	var d program.Deadlines
	err := db.q().queryRow(ctx, `SELECT applicant, city FROM program_deadlines
		WHERE program_id = ? ORDER BY id DESC LIMIT 1`, programID).Scan(&d.Applicant, &d.City)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("store: deadlines: %w", err)
	}
	return &d, nil
}

// DeadlineChanges lists every change of a program's deadlines, newest first.
func (db *DB) DeadlineChanges(ctx context.Context, programID string) ([]*DeadlineChange, error) {
	return queryAll(ctx, db.q(), "deadline changes", wrapScan("deadline changes", func(s scanner) (*DeadlineChange, error) {
		var c DeadlineChange
		var by sql.NullInt64
		var at int64
		if err := s.Scan(&c.ProgramID, &c.Deadlines.Applicant, &c.Deadlines.City, &by, &at, &c.Reason); err != nil {
			return nil, err
		}
		c.SetBy, c.SetAt = idOf(by), fromMS(at)
		return &c, nil
	}), `SELECT program_id, applicant, city, set_by, set_at, reason
		FROM program_deadlines WHERE program_id = ? ORDER BY id DESC`, programID)
}
