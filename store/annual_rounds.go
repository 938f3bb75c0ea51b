package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"biopilot"
)

// AnnualEvaluation is the ministry's annual evaluation of listed platforms on one
// year (年度评价): opened with a title and a due time, it lets every platform listed
// before the year ended file its report on the year; experts score the submitted
// reports in the round AnnualRound(Year).
type AnnualEvaluation struct {
	ID        int64
	ProgramID string
	Year      int
	Title     string
	DueAt     time.Time // 填报截止时间
	OpenedBy  int64
	OpenedAt  time.Time
}

const annualEvalColumns = `id, program_id, year, title, due_at, opened_by, opened_at`

func scanAnnualEvaluation(s scanner) (*AnnualEvaluation, error) {
	var (
		e         AnnualEvaluation
		by        sql.NullInt64
		due, open int64
	)
	if err := s.Scan(&e.ID, &e.ProgramID, &e.Year, &e.Title, &due, &by, &open); err != nil {
		return nil, err
	}
	e.OpenedBy, e.DueAt, e.OpenedAt = idOf(by), fromMS(due), fromMS(open)
	return &e, nil
}

// OpenAnnualEvaluation opens the annual evaluation e of its program and year and
// sets e.ID and e.OpenedAt (now when zero). A second one of the same year is
// ECONFLICT.
func (db *DB) OpenAnnualEvaluation(ctx context.Context, e *AnnualEvaluation) error {
	e.Title = strings.TrimSpace(e.Title)
	switch {
	case strings.TrimSpace(e.ProgramID) == "":
		return biopilot.FieldErrorf("program_id", "年度评价缺少所属项目")
	case e.Year < 2000 || e.Year > 2999:
		return biopilot.FieldErrorf("year", "年度评价的年度无效")
	case e.Title == "":
		return biopilot.FieldErrorf("title", "请填写年度评价的标题")
	case e.DueAt.IsZero():
		return biopilot.FieldErrorf("due_at", "请填写年度报告的填报截止时间")
	}
	at := db.stamp(e.OpenedAt)
	var id int64
	err := db.q().queryRow(ctx, `INSERT INTO annual_evaluations (program_id, year, title, due_at, opened_by, opened_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		e.ProgramID, e.Year, e.Title, ms(e.DueAt), nullID(e.OpenedBy), ms(at)).Scan(&id)
	if isUniqueViolation(err) {
		return biopilot.Errorf(biopilot.ECONFLICT, "%d 年度评价已经开启", e.Year)
	} else if isForeignKeyViolation(err) {
		return biopilot.FieldErrorf("opened_by", "操作人不存在")
	} else if err != nil {
		return fmt.Errorf("store: open annual evaluation: %w", err)
	}
	e.ID, e.OpenedAt = id, at
	return nil
}

// AnnualEvaluationFor returns the annual evaluation of a program on a year, or
// ENOTFOUND.
func (db *DB) AnnualEvaluationFor(ctx context.Context, programID string, year int) (*AnnualEvaluation, error) {
	e, err := scanAnnualEvaluation(db.q().queryRow(ctx, `SELECT `+annualEvalColumns+` FROM annual_evaluations
		WHERE program_id = ? AND year = ?`, programID, year))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "%d 年度评价尚未开启", year)
	} else if err != nil {
		return nil, fmt.Errorf("store: annual evaluation: %w", err)
	}
	return e, nil
}

// AnnualEvaluations lists a program's annual evaluations, the latest year first.
func (db *DB) AnnualEvaluations(ctx context.Context, programID string) ([]*AnnualEvaluation, error) {
	return queryAll(ctx, db.q(), "annual evaluations", wrapScan("annual evaluations", scanAnnualEvaluation),
		`SELECT `+annualEvalColumns+` FROM annual_evaluations WHERE program_id = ? ORDER BY year DESC`, programID)
}
