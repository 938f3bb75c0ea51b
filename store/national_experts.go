package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"biopilot"
	"biopilot/national"
)

// The expert pool of the national stage (issue 8): see ExpertRecord.

const expertColumns = `id, program_id, user_id, name, org_name, org_uscc, city_code, domains,
	relations, active, created_at, updated_at`

func scanExpert(s scanner) (*ExpertRecord, error) {
	var (
		e                  ExpertRecord
		user               sql.NullInt64
		domains, relations string
		active             int
		created, updated   int64
	)
	if err := s.Scan(&e.ID, &e.ProgramID, &user, &e.Name, &e.OrgName, &e.OrgUSCC, &e.CityCode,
		&domains, &relations, &active, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(domains), &e.Domains); err != nil {
		return nil, fmt.Errorf("store: expert %d: domains: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(relations), &e.Relations); err != nil {
		return nil, fmt.Errorf("store: expert %d: relations: %w", e.ID, err)
	}
	if e.Domains == nil {
		e.Domains = []string{}
	}
	if e.Relations == nil {
		e.Relations = []national.Relation{}
	}
	e.UserID, e.Active = idOf(user), active != 0
	e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
	return &e, nil
}

func errExpertNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "专家不存在") }

// expertJSON validates an expert record and returns its domains and relations as
// JSON.
func expertJSON(e *ExpertRecord) (domains, relations string, err error) {
	e.Name, e.OrgName, e.OrgUSCC = strings.TrimSpace(e.Name), strings.TrimSpace(e.OrgName), strings.TrimSpace(e.OrgUSCC)
	if strings.TrimSpace(e.ProgramID) == "" {
		return "", "", biopilot.FieldErrorf("program_id", "专家缺少所属项目")
	}
	if e.Name == "" {
		return "", "", biopilot.FieldErrorf("name", "请填写专家姓名")
	}
	d := e.Domains
	if d == nil {
		d = []string{}
	}
	r := e.Relations
	if r == nil {
		r = []national.Relation{}
	}
	db, err := json.Marshal(d)
	if err != nil {
		return "", "", err
	}
	rb, err := json.Marshal(r)
	if err != nil {
		return "", "", err
	}
	return string(db), string(rb), nil
}

// expertWriteError turns the constraint violations of writing an expert into
// Chinese errors.
func expertWriteError(err error) error {
	switch {
	case isUniqueViolation(err):
		return biopilot.FieldErrorf("user_id", "该账号已关联其他专家")
	case isForeignKeyViolation(err):
		return biopilot.FieldErrorf("user_id", "用户不存在")
	}
	return fmt.Errorf("store: expert: %w", err)
}

// CreateExpert adds e to the expert pool and sets its ID, CreatedAt and UpdatedAt.
// Active is stored as given (set it for an expert to be assigned). A login
// (UserID) belongs to at most one expert: a second is EINVALID on user_id.
func (db *DB) CreateExpert(ctx context.Context, e *ExpertRecord) error {
	domains, relations, err := expertJSON(e)
	if err != nil {
		return err
	}
	now := db.now()
	var id int64
	err = db.q().queryRow(ctx, `INSERT INTO experts (program_id, user_id, name, org_name, org_uscc,
		city_code, domains, relations, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.ProgramID, nullID(e.UserID), e.Name, e.OrgName, e.OrgUSCC, e.CityCode, domains, relations,
		boolInt(e.Active), ms(now), ms(now)).Scan(&id)
	if err != nil {
		return expertWriteError(err)
	}
	e.ID, e.CreatedAt, e.UpdatedAt = id, now, now
	return nil
}

// UpdateExpert stores e's fields (all but ProgramID and CreatedAt) and sets
// UpdatedAt. An unknown expert is ENOTFOUND.
func (db *DB) UpdateExpert(ctx context.Context, e *ExpertRecord) error {
	domains, relations, err := expertJSON(e)
	if err != nil {
		return err
	}
	now := db.now()
	res, err := db.q().exec(ctx, `UPDATE experts SET user_id = ?, name = ?, org_name = ?, org_uscc = ?,
		city_code = ?, domains = ?, relations = ?, active = ?, updated_at = ? WHERE id = ?`,
		nullID(e.UserID), e.Name, e.OrgName, e.OrgUSCC, e.CityCode, domains, relations,
		boolInt(e.Active), ms(now), e.ID)
	if err != nil {
		return expertWriteError(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: update expert: %w", err)
	} else if n == 0 {
		return errExpertNotFound()
	}
	e.UpdatedAt = now
	return nil
}

// Expert returns one expert of the pool, or ENOTFOUND.
func (db *DB) Expert(ctx context.Context, id int64) (*ExpertRecord, error) {
	return getExpert(ctx, db.q(), `SELECT `+expertColumns+` FROM experts WHERE id = ?`, id)
}

// ExpertByUser returns the expert whose login is userID, or ENOTFOUND.
func (db *DB) ExpertByUser(ctx context.Context, userID int64) (*ExpertRecord, error) {
	return getExpert(ctx, db.q(), `SELECT `+expertColumns+` FROM experts WHERE user_id = ?`, userID)
}

func getExpert(ctx context.Context, q q, query string, arg int64) (*ExpertRecord, error) {
	e, err := scanExpert(q.queryRow(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errExpertNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: expert: %w", err)
	}
	return e, nil
}

// Experts lists the expert pool of a program by name (active and inactive).
func (db *DB) Experts(ctx context.Context, programID string) ([]*ExpertRecord, error) {
	return queryAll(ctx, db.q(), "experts", wrapScan("experts", scanExpert),
		`SELECT `+expertColumns+` FROM experts WHERE program_id = ? ORDER BY name, id`, programID)
}

// NationalExpert is the expert as the pure assignment core sees it
// (national.Expert): its ID is the record's id in decimal.
func (e *ExpertRecord) NationalExpert() national.Expert {
	return national.Expert{ID: fmt.Sprint(e.ID), Name: e.Name, OrgName: e.OrgName, OrgUSCC: e.OrgUSCC,
		CityCode: e.CityCode, Domains: e.Domains, Relations: e.Relations}
}
