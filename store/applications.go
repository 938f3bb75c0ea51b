package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"biopilot"
)

// Domains are kept in a separate table, application_domains(application_id,
// position, domain), indexed by domain: lists filter on one domain with an EXISTS
// subquery, and the position keeps the order the applicant chose.

// CreateApplication inserts a draft and sets a.ID, a.Version (1), CreatedAt,
// UpdatedAt.
//
// a.State must be empty or draft. An empty CityCode is taken from the
// organisation; OrgName is filled. The document (default {}) is also kept as
// version 1 in the version history.
func (db *DB) CreateApplication(ctx context.Context, a *biopilot.Application) error {
	if a.State != "" && a.State != biopilot.StateDraft {
		return biopilot.FieldErrorf("state", "新建的申请只能是草稿")
	}
	if a.ProgramID == "" {
		return biopilot.FieldErrorf("program_id", "未指定申报通知")
	}
	doc, err := documentText(a.Document)
	if err != nil {
		return err
	}
	at := db.stamp(a.CreatedAt)
	err = db.inTx(ctx, func(q q) error {
		var orgName, orgCity string
		err := q.queryRow(ctx, `SELECT name, city_code FROM organisations WHERE id = ?`, a.OrgID).
			Scan(&orgName, &orgCity)
		if errors.Is(err, sql.ErrNoRows) {
			return biopilot.FieldErrorf("org_id", "申报单位不存在")
		} else if err != nil {
			return err
		}
		city := a.CityCode
		if city == "" {
			city = orgCity
		}
		var id int64
		err = q.queryRow(ctx, `INSERT INTO applications
			(program_id, org_id, city_code, state, version, document, snapshot, snapshot_hash,
			 platform_name, verdict, created_by, updated_by, created_at, updated_at, submitted_at)
			VALUES (?, ?, ?, ?, 1, ?, NULL, '', ?, ?, ?, ?, ?, ?, 0) RETURNING id`,
			a.ProgramID, a.OrgID, city, string(biopilot.StateDraft), doc, a.PlatformName, a.Verdict,
			nullID(a.CreatedBy), nullID(a.CreatedBy), ms(at), ms(at)).Scan(&id)
		if isForeignKeyViolation(err) {
			return biopilot.FieldErrorf("created_by", "创建人不存在")
		} else if err != nil {
			return err
		}
		if _, err := saveDomains(ctx, q, id, a.Domains); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `INSERT INTO application_versions
			(application_id, version, document, user_id, saved_at) VALUES (?, 1, ?, ?, ?)`,
			id, doc, nullID(a.CreatedBy), ms(at)); err != nil {
			return err
		}
		a.ID, a.CityCode, a.OrgName = id, city, orgName
		return nil
	})
	if err != nil {
		if biopilot.AsError(err) != nil {
			return err
		}
		return fmt.Errorf("store: create application: %w", err)
	}
	a.State, a.Version, a.Document = biopilot.StateDraft, 1, json.RawMessage(doc)
	a.Snapshot, a.SnapshotHash = nil, ""
	a.UpdatedBy, a.CreatedAt, a.UpdatedAt, a.SubmittedAt = a.CreatedBy, at, at, time.Time{}
	return nil
}

// Application returns an application by id, with OrgName filled.
func (db *DB) Application(ctx context.Context, id int64) (*biopilot.Application, error) {
	return getApplication(ctx, db.q(), id)
}

// ApplicationHead returns an application without its documents and domains (the
// columns of a list, OrgName filled): what deciding access needs. It reads the row's
// first page only, where Application also walks the documents' overflow pages.
func (db *DB) ApplicationHead(ctx context.Context, id int64) (*biopilot.Application, error) {
	return scanApplication(db.q().queryRow(ctx, `SELECT `+applicationListColumns+` FROM applications a
		JOIN organisations o ON o.id = a.org_id WHERE a.id = ?`, id), false)
}

// Applications lists applications matching f and returns the total count.
//
// The page is chosen on the index alone (a subquery of ids, sorted and cut to the
// page), and only the page's rows are then read: the filter and sort columns are in
// the index on (program_id, city_code, state, updated_at), so a city's list of 50
// reads 50 rows, not the city's hundreds. The organisations are joined only where
// the filter or the sort needs their name.
func (db *DB) Applications(ctx context.Context, f ApplicationFilter) ([]*biopilot.Application, int, error) {
	where, args := f.where(db.dialect, true)
	from := f.from()
	var total int
	if err := db.q().queryRow(ctx, `SELECT COUNT(*) FROM `+from+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count applications: %w", err)
	}
	apps := []*biopilot.Application{}
	if total == 0 || f.Offset >= total {
		return apps, total, nil
	}
	order := f.orderBy()
	query := `SELECT ` + applicationListColumns + ` FROM applications a
		JOIN organisations o ON o.id = a.org_id
		WHERE a.id IN (SELECT a.id FROM ` + from + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?)
		ORDER BY ` + order
	args = append(args, limit(f.Limit), max(f.Offset, 0))
	rows, err := db.q().query(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: applications: %w", err)
	}
	for rows.Next() {
		a, err := scanApplication(rows, false)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		apps = append(apps, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: applications: %w", err)
	}
	if err := loadDomains(ctx, db.q(), apps); err != nil {
		return nil, 0, err
	}
	return apps, total, nil
}

// from returns the FROM clause of f's queries: the applications, joined with their
// organisations only when the text query or the sort reads the organisation's name.
func (f ApplicationFilter) from() string {
	if strings.TrimSpace(f.Query) != "" || f.Sort == "org" {
		return `applications a JOIN organisations o ON o.id = a.org_id`
	}
	return `applications a`
}

// OrgHasPlatform reports whether an organisation has a listed platform, or had one
// (removed): its people then file annual reports and the navigation shows them.
func (db *DB) OrgHasPlatform(ctx context.Context, orgID int64) (bool, error) {
	var n int
	err := db.q().queryRow(ctx, `SELECT COUNT(*) FROM applications
		WHERE org_id = ? AND state IN (?, ?)`, orgID, string(biopilot.StateListed), string(biopilot.StateRemoved)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: organisation's platforms: %w", err)
	}
	return n > 0, nil
}

// CountByState counts applications matching f (States ignored) per state.
func (db *DB) CountByState(ctx context.Context, f ApplicationFilter) (map[biopilot.State]int, error) {
	where, args := f.where(db.dialect, false)
	rows, err := db.q().query(ctx, `SELECT a.state, COUNT(*) FROM `+f.from()+where+` GROUP BY a.state`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: count by state: %w", err)
	}
	defer rows.Close()
	counts := map[biopilot.State]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: count by state: %w", err)
		}
		counts[biopilot.State(s)] = n
	}
	return counts, rows.Err()
}

// where returns the WHERE clause (with a leading space, or empty) and its
// arguments. Every value is a parameter; only fixed SQL text is concatenated.
//
// No condition compares with LIKE: SQLite compiles a prepared statement again on
// every run when a LIKE pattern is a parameter (it might use an index for it): with
// the STAT4 samples (see Analyze), re-preparing took a sixth of a reviewer's list.
// The province is a range of codes and the text query a substring search (instr,
// strpos: no wildcards to escape).
func (f ApplicationFilter) where(dialect string, withStates bool) (string, []any) {
	var conds []string
	var args []any
	if f.ProgramID != "" {
		conds, args = append(conds, `a.program_id = ?`), append(args, f.ProgramID)
	}
	if f.OrgID != 0 {
		conds, args = append(conds, `a.org_id = ?`), append(args, f.OrgID)
	}
	if f.CityCode != "" {
		conds, args = append(conds, `a.city_code = ?`), append(args, f.CityCode)
	}
	if len(f.Province) == 6 {
		// The codes that begin with the province's two digits: from "44" up to "45".
		lo := f.Province[:2]
		hi := lo[:1] + string(rune(lo[1]+1))
		conds, args = append(conds, `a.city_code >= ? AND a.city_code < ?`), append(args, lo, hi)
	}
	if withStates && len(f.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")
		conds = append(conds, `a.state IN (`+marks+`)`)
		for _, s := range f.States {
			args = append(args, string(s))
		}
	}
	if f.Domain != "" {
		conds = append(conds, `EXISTS (SELECT 1 FROM application_domains d
			WHERE d.application_id = a.id AND d.domain = ?)`)
		args = append(args, f.Domain)
	}
	if f.Verdict != "" {
		conds, args = append(conds, `a.verdict = ?`), append(args, f.Verdict)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		p := strings.ToLower(q)
		contains := `instr(%s, ?) > 0`
		if dialect == DialectPostgres {
			contains = `strpos(%s, ?) > 0`
		}
		conds = append(conds, `(`+fmt.Sprintf(contains, `LOWER(o.name)`)+` OR `+
			fmt.Sprintf(contains, `LOWER(o.uscc)`)+` OR `+fmt.Sprintf(contains, `LOWER(a.platform_name)`)+`)`)
		args = append(args, p, p, p)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// stateOrder sorts states in the order of the workflow (built from constants).
var stateOrder = func() string {
	var b strings.Builder
	b.WriteString(`CASE a.state`)
	for i, s := range biopilot.States {
		fmt.Fprintf(&b, ` WHEN '%s' THEN %d`, s, i)
	}
	fmt.Fprintf(&b, ` ELSE %d END`, len(biopilot.States))
	return b.String()
}()

// orderBy returns the ORDER BY expression of f.Sort; the id breaks ties so that
// pages are stable.
func (f ApplicationFilter) orderBy() string {
	switch f.Sort {
	case "id":
		return `a.id`
	case "org":
		return `o.name, a.id`
	case "state":
		return stateOrder + `, a.updated_at DESC, a.id DESC`
	default:
		return `a.updated_at DESC, a.id DESC`
	}
}

const applicationListColumns = `a.id, a.program_id, a.org_id, a.city_code, a.state, a.version,
	a.snapshot_hash, o.name, a.platform_name, a.verdict, a.created_by, a.updated_by,
	a.created_at, a.updated_at, a.submitted_at`

const applicationColumns = applicationListColumns + `, a.document, a.snapshot`

// getApplication reads one application with its documents and domains through q
// (the database or a transaction).
func getApplication(ctx context.Context, q q, id int64) (*biopilot.Application, error) {
	a, err := scanApplication(q.queryRow(ctx, `SELECT `+applicationColumns+` FROM applications a
		JOIN organisations o ON o.id = a.org_id WHERE a.id = ?`, id), true)
	if err != nil {
		return nil, err
	}
	if err := loadDomains(ctx, q, []*biopilot.Application{a}); err != nil {
		return nil, err
	}
	return a, nil
}

// scanApplication scans applicationListColumns, and the documents when full.
// Lists leave the documents out: they can be large.
func scanApplication(s scanner, full bool) (*biopilot.Application, error) {
	var (
		a                           biopilot.Application
		state                       string
		createdBy, updatedBy        sql.NullInt64
		created, updated, submitted int64
		doc                         string
		snapshot                    sql.NullString
	)
	dest := []any{&a.ID, &a.ProgramID, &a.OrgID, &a.CityCode, &state, &a.Version,
		&a.SnapshotHash, &a.OrgName, &a.PlatformName, &a.Verdict, &createdBy, &updatedBy,
		&created, &updated, &submitted}
	if full {
		dest = append(dest, &doc, &snapshot)
	}
	if err := s.Scan(dest...); errors.Is(err, sql.ErrNoRows) {
		return nil, errAppNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: application: %w", err)
	}
	a.State = biopilot.State(state)
	a.CreatedBy, a.UpdatedBy = idOf(createdBy), idOf(updatedBy)
	a.CreatedAt, a.UpdatedAt, a.SubmittedAt = fromMS(created), fromMS(updated), fromMS(submitted)
	if full {
		a.Document = json.RawMessage(doc)
		if snapshot.Valid {
			a.Snapshot = json.RawMessage(snapshot.String)
		}
	}
	return &a, nil
}

func errAppNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "申请不存在") }

// loadDomains fills the Domains of apps with one query.
func loadDomains(ctx context.Context, q q, apps []*biopilot.Application) error {
	if len(apps) == 0 {
		return nil
	}
	byID := make(map[int64]*biopilot.Application, len(apps))
	args := make([]any, len(apps))
	for i, a := range apps {
		byID[a.ID] = a
		a.Domains = []string{}
		args[i] = a.ID
	}
	rows, err := q.query(ctx, domainsQuery(len(apps)), args...)
	if err != nil {
		return fmt.Errorf("store: domains: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var d string
		if err := rows.Scan(&id, &d); err != nil {
			return fmt.Errorf("store: domains: %w", err)
		}
		if a := byID[id]; a != nil {
			a.Domains = append(a.Domains, d)
		}
	}
	return rows.Err()
}

// domainsQuery reads the domains of n applications in order: from the index on
// (application_id, position, domain) alone (migration 009).
func domainsQuery(n int) string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
	return `SELECT application_id, domain FROM application_domains
		WHERE application_id IN (` + marks + `) ORDER BY application_id, position`
}

// saveDomains replaces an application's domains, dropping blanks and repeats. It
// writes nothing when they are already stored in that order (most saves leave the
// domains alone). It returns the domains stored.
func saveDomains(ctx context.Context, q q, id int64, domains []string) ([]string, error) {
	want := []string{}
	for _, d := range domains {
		if d != "" && !slices.Contains(want, d) {
			want = append(want, d)
		}
	}
	rows, err := q.query(ctx, `SELECT domain FROM application_domains WHERE application_id = ?
		ORDER BY position`, id)
	if err != nil {
		return nil, err
	}
	var have []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return nil, err
		}
		have = append(have, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if slices.Equal(have, want) {
		return want, nil
	}
	if len(have) > 0 {
		if _, err := q.exec(ctx, `DELETE FROM application_domains WHERE application_id = ?`, id); err != nil {
			return nil, err
		}
	}
	for i, d := range want {
		if _, err := q.exec(ctx, `INSERT INTO application_domains (application_id, position, domain)
			VALUES (?, ?, ?)`, id, i+1, d); err != nil {
			return nil, err
		}
	}
	return want, nil
}

// documentText checks a document is JSON and returns it as text ({} when empty).
func documentText(doc json.RawMessage) (string, error) {
	if len(doc) == 0 {
		return "{}", nil
	}
	if !json.Valid(doc) {
		return "", biopilot.FieldErrorf("document", "申请书内容不是有效的 JSON")
	}
	return string(doc), nil
}
