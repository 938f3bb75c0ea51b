package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"biopilot"
)

// The annual reports of listed platforms (issue 9): see AnnualReport.

const annualColumns = `id, program_id, application_id, year, state, document, version, snapshot_hash,
	created_by, updated_by, created_at, updated_at, submitted_at, submitted_by`

func scanAnnualReport(s scanner) (*AnnualReport, error) {
	var (
		r                               AnnualReport
		doc                             string
		createdBy, updatedBy, submitter sql.NullInt64
		created, updated, submitted     int64
	)
	if err := s.Scan(&r.ID, &r.ProgramID, &r.ApplicationID, &r.Year, &r.State, &doc, &r.Version,
		&r.SnapshotHash, &createdBy, &updatedBy, &created, &updated, &submitted, &submitter); err != nil {
		return nil, err
	}
	r.Document = json.RawMessage(doc)
	r.CreatedBy, r.UpdatedBy, r.SubmittedBy = idOf(createdBy), idOf(updatedBy), idOf(submitter)
	r.CreatedAt, r.UpdatedAt, r.SubmittedAt = fromMS(created), fromMS(updated), fromMS(submitted)
	return &r, nil
}

func errReportNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "年度报告不存在") }

func getAnnualReport(ctx context.Context, q q, query string, args ...any) (*AnnualReport, error) {
	r, err := scanAnnualReport(q.queryRow(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errReportNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: annual report: %w", err)
	}
	return r, nil
}

// reportDocument validates a report's document: a JSON object ("" is {}).
func reportDocument(doc json.RawMessage) (string, error) {
	text := strings.TrimSpace(string(doc))
	if text == "" {
		return "{}", nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil || m == nil {
		return "", biopilot.FieldErrorf("document", "年度报告不是有效的 JSON 对象")
	}
	return text, nil
}

// OpenAnnualReport returns the report of a platform (its application) on a year,
// creating it as a draft with the prefill when there is none (two callers at once
// get the same report).
func (db *DB) OpenAnnualReport(ctx context.Context, programID string, applicationID int64, year int,
	prefill json.RawMessage, by int64) (*AnnualReport, error) {
	if strings.TrimSpace(programID) == "" {
		return nil, biopilot.FieldErrorf("program_id", "年度报告缺少所属项目")
	}
	if year < 2000 || year > 2999 {
		return nil, biopilot.FieldErrorf("year", "年度报告的年度无效")
	}
	doc, err := reportDocument(prefill)
	if err != nil {
		return nil, err
	}
	now := ms(db.now())
	var out *AnnualReport
	err = db.inTx(ctx, func(q q) error {
		_, err := q.exec(ctx, `INSERT INTO annual_reports (program_id, application_id, year, state, document,
			version, created_by, updated_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
			ON CONFLICT (application_id, year) DO NOTHING`,
			programID, applicationID, year, ReportDraft, doc, nullID(by), nullID(by), now, now)
		if isForeignKeyViolation(err) {
			return biopilot.FieldErrorf("application_id", "平台或用户不存在")
		} else if err != nil {
			return err
		}
		out, err = getAnnualReport(ctx, q, `SELECT `+annualColumns+` FROM annual_reports
			WHERE application_id = ? AND year = ?`, applicationID, year)
		return err
	})
	if err != nil {
		return nil, batchError("open annual report", err)
	}
	if out.ProgramID != programID {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "该平台 %d 年度的年度报告属于其他项目", year)
	}
	return out, nil
}

// AnnualReport returns one report, or ENOTFOUND.
func (db *DB) AnnualReport(ctx context.Context, id int64) (*AnnualReport, error) {
	return getAnnualReport(ctx, db.q(), `SELECT `+annualColumns+` FROM annual_reports WHERE id = ?`, id)
}

// AnnualReportFor returns a platform's report on a year, or ENOTFOUND.
func (db *DB) AnnualReportFor(ctx context.Context, applicationID int64, year int) (*AnnualReport, error) {
	return getAnnualReport(ctx, db.q(), `SELECT `+annualColumns+` FROM annual_reports
		WHERE application_id = ? AND year = ?`, applicationID, year)
}

// AnnualReports lists the reports of a program on a year, by platform
// (application id).
func (db *DB) AnnualReports(ctx context.Context, programID string, year int) ([]*AnnualReport, error) {
	return queryAll(ctx, db.q(), "annual reports", wrapScan("annual reports", scanAnnualReport),
		`SELECT `+annualColumns+` FROM annual_reports WHERE program_id = ? AND year = ?
		ORDER BY application_id`, programID, year)
}

// SaveAnnualReport stores a new version of a draft report if and only if its
// version is baseVersion, and returns it. A stale save is ECONFLICT whose Detail
// is the current *AnnualReport; a submitted report is ECONFLICT.
func (db *DB) SaveAnnualReport(ctx context.Context, id, baseVersion int64, doc json.RawMessage, by int64) (*AnnualReport, error) {
	text, err := reportDocument(doc)
	if err != nil {
		return nil, err
	}
	return db.updateDraftReport(ctx, "save annual report", id, `UPDATE annual_reports SET document = ?,
		version = version + 1, updated_by = ?, updated_at = ? WHERE id = ? AND version = ? AND state = ?`,
		text, nullID(by), ms(db.now()), id, baseVersion, ReportDraft)
}

// SubmitAnnualReport freezes a draft report at baseVersion (→ submitted) with the
// hash of its snapshot, and returns it. A stale version or a submitted report is
// ECONFLICT (a stale one with the current report as Detail).
func (db *DB) SubmitAnnualReport(ctx context.Context, id, baseVersion int64, hash string, by int64) (*AnnualReport, error) {
	if strings.TrimSpace(hash) == "" {
		return nil, biopilot.FieldErrorf("snapshot_hash", "提交年度报告缺少快照摘要")
	}
	now := ms(db.now())
	return db.updateDraftReport(ctx, "submit annual report", id, `UPDATE annual_reports SET state = ?,
		snapshot_hash = ?, submitted_at = ?, submitted_by = ?, updated_by = ?, updated_at = ?
		WHERE id = ? AND version = ? AND state = ?`,
		ReportSubmitted, hash, now, nullID(by), nullID(by), now, id, baseVersion, ReportDraft)
}

// updateDraftReport runs update, a compare-and-set of draft report id on its
// version, and returns the report as it then is; a refused one is explained by
// reportRefused (stale: the current report as Detail; submitted).
func (db *DB) updateDraftReport(ctx context.Context, op string, id int64, update string, args ...any) (*AnnualReport, error) {
	var out *AnnualReport
	err := db.inTx(ctx, func(q q) error {
		res, err := q.exec(ctx, update, args...)
		if isForeignKeyViolation(err) {
			return biopilot.FieldErrorf("user_id", "用户不存在")
		} else if err != nil {
			return err
		}
		if err := reportRefused(ctx, q, res, id); err != nil {
			return err
		}
		out, err = getAnnualReport(ctx, q, `SELECT `+annualColumns+` FROM annual_reports WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return nil, batchError(op, err)
	}
	return out, nil
}

// reportRefused explains a compare-and-set of a report that matched no row.
func reportRefused(ctx context.Context, q q, res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	cur, err := getAnnualReport(ctx, q, `SELECT `+annualColumns+` FROM annual_reports WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if cur.State != ReportDraft {
		return biopilot.Errorf(biopilot.ECONFLICT, "年度报告已提交，不能修改")
	}
	e := biopilot.Errorf(biopilot.ECONFLICT, "年度报告已被他人修改（当前版本 %d），请先查看对方的修改", cur.Version)
	e.Detail = cur
	return e
}
