package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"biopilot"
)

// The public directory of listed platforms, their star ratings and removal (除名)
// (issues 8 and 9).

const directoryColumns = `application_id, program_id, notice_id, platform_name, org_name, city_code,
	province_code, domains, chassis_cells, equipment, public, stars, listed_at, removed_at,
	removal_grounds, removal_detail`

func scanDirectoryEntry(s scanner) (*DirectoryEntry, error) {
	var (
		e                       DirectoryEntry
		notice                  sql.NullInt64
		domains, chassis, equip string
		public                  string
		listed, removed         int64
	)
	if err := s.Scan(&e.ApplicationID, &e.ProgramID, &notice, &e.PlatformName, &e.OrgName, &e.CityCode,
		&e.ProvinceCode, &domains, &chassis, &equip, &public, &e.Stars, &listed, &removed,
		&e.RemovalGrounds, &e.RemovalDetail); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		text string
		dst  *[]string
	}{{domains, &e.Domains}, {chassis, &e.ChassisCells}, {equip, &e.Equipment}} {
		if err := json.Unmarshal([]byte(c.text), c.dst); err != nil {
			return nil, fmt.Errorf("store: directory entry %d: %w", e.ApplicationID, err)
		}
		if *c.dst == nil {
			*c.dst = []string{}
		}
	}
	e.NoticeID, e.Public = idOf(notice), json.RawMessage(public)
	e.ListedAt, e.RemovedAt = fromMS(listed), fromMS(removed)
	return &e, nil
}

func errDirectoryNotFound() error {
	return biopilot.Errorf(biopilot.ENOTFOUND, "名录中没有该平台")
}

// searchText is the lower-cased text the directory's search matches: the names,
// the equipment, the chassis cells and every text of the public view (services,
// business scope …), one a line.
func searchText(e *DirectoryEntry, public any) string {
	parts := []string{e.PlatformName, e.OrgName}
	parts = append(parts, e.Equipment...)
	parts = append(parts, e.ChassisCells...)
	parts = appendStrings(parts, public)
	return strings.ToLower(strings.Join(parts, "\n"))
}

// appendStrings appends the string leaves of a decoded JSON value, maps in key
// order.
func appendStrings(out []string, v any) []string {
	switch x := v.(type) {
	case string:
		if s := strings.TrimSpace(x); s != "" {
			out = append(out, s)
		}
	case []any:
		for _, y := range x {
			out = appendStrings(out, y)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = appendStrings(out, x[k])
		}
	}
	return out
}

func jsonList(xs []string) (string, error) {
	if xs == nil {
		xs = []string{}
	}
	b, err := json.Marshal(xs)
	return string(b), err
}

// insertDirectoryEntry lists e at the instant at (its ListedAt, Stars 0, not
// removed). A platform already in the directory is ECONFLICT.
func insertDirectoryEntry(ctx context.Context, q q, e *DirectoryEntry, at time.Time) error {
	e.PlatformName, e.OrgName = strings.TrimSpace(e.PlatformName), strings.TrimSpace(e.OrgName)
	if e.PlatformName == "" {
		return biopilot.FieldErrorf("platform_name", "名录条目缺少平台名称（申请 %d）", e.ApplicationID)
	}
	public := string(e.Public)
	if public == "" {
		public = "{}"
	}
	var pv any
	if err := json.Unmarshal([]byte(public), &pv); err != nil {
		return biopilot.FieldErrorf("public", "平台「%s」的公开信息不是有效的 JSON", e.PlatformName)
	}
	domains, err := jsonList(e.Domains)
	if err != nil {
		return err
	}
	chassis, err := jsonList(e.ChassisCells)
	if err != nil {
		return err
	}
	equip, err := jsonList(e.Equipment)
	if err != nil {
		return err
	}
	keys := ""
	if len(e.Domains) > 0 {
		keys = "|" + strings.ToLower(strings.Join(e.Domains, "|")) + "|"
	}
	_, err = q.exec(ctx, `INSERT INTO directory_entries (application_id, program_id, notice_id, platform_name,
		org_name, city_code, province_code, domains, chassis_cells, equipment, public, search, chassis_search,
		equipment_search, domain_keys, stars, listed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
		e.ApplicationID, e.ProgramID, nullID(e.NoticeID), e.PlatformName, e.OrgName, e.CityCode, e.ProvinceCode,
		domains, chassis, equip, public, searchText(e, pv),
		strings.ToLower(strings.Join(e.ChassisCells, "\n")), strings.ToLower(strings.Join(e.Equipment, "\n")),
		keys, ms(at))
	if isUniqueViolation(err) {
		return biopilot.Errorf(biopilot.ECONFLICT, "平台「%s」已在名录中", e.PlatformName)
	} else if isForeignKeyViolation(err) {
		return biopilot.FieldErrorf("application_id", "申请 %d 不存在", e.ApplicationID)
	} else if err != nil {
		return fmt.Errorf("store: directory entry: %w", err)
	}
	e.Public, e.Stars, e.ListedAt, e.RemovedAt, e.RemovalGrounds, e.RemovalDetail =
		json.RawMessage(public), 0, at, time.Time{}, "", ""
	return nil
}

// Directory searches the directory (see DirectoryFilter) and returns a page of
// entries by province, city and platform name, and the number of entries
// matching. Removed platforms are left out unless f.IncludeRemoved.
func (db *DB) Directory(ctx context.Context, f DirectoryFilter) ([]*DirectoryEntry, int, error) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.ProgramID != "" {
		add("program_id = ?", f.ProgramID)
	}
	if !f.IncludeRemoved {
		add("removed_at = ?", 0)
	}
	if f.ProvinceCode != "" {
		add("province_code = ?", f.ProvinceCode)
	}
	if f.CityCode != "" {
		add("city_code = ?", f.CityCode)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		add(`search LIKE ? ESCAPE '\'`, likePattern(q))
	}
	if d := strings.TrimSpace(f.Domain); d != "" {
		add(`domain_keys LIKE ? ESCAPE '\'`, likePattern("|"+d+"|"))
	}
	if c := strings.TrimSpace(f.Chassis); c != "" {
		add(`chassis_search LIKE ? ESCAPE '\'`, likePattern(c))
	}
	if e := strings.TrimSpace(f.Equipment); e != "" {
		add(`equipment_search LIKE ? ESCAPE '\'`, likePattern(e))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	q := db.q()
	var total int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM directory_entries`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: directory: %w", err)
	}
	offset := max(f.Offset, 0)
	list, err := queryAll(ctx, q, "directory", wrapScan("directory", scanDirectoryEntry),
		`SELECT `+directoryColumns+` FROM directory_entries`+where+`
		ORDER BY province_code, city_code, platform_name, application_id LIMIT ? OFFSET ?`,
		append(args, limit(f.Limit), offset)...)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// DirectoryEntry returns a platform's directory entry, removed or not (the caller
// hides a removed one from the public), or ENOTFOUND.
func (db *DB) DirectoryEntry(ctx context.Context, applicationID int64) (*DirectoryEntry, error) {
	return getDirectoryEntry(ctx, db.q(), applicationID)
}

func getDirectoryEntry(ctx context.Context, q q, applicationID int64) (*DirectoryEntry, error) {
	e, err := scanDirectoryEntry(q.queryRow(ctx, `SELECT `+directoryColumns+` FROM directory_entries
		WHERE application_id = ?`, applicationID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errDirectoryNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: directory entry: %w", err)
	}
	return e, nil
}

// SetStars records a star rating (1–5, with its year) of a listed platform in one
// transaction: a history row and the directory's current stars. It sets r.ID and
// r.SetAt (now when zero). A removed platform is ECONFLICT.
func (db *DB) SetStars(ctx context.Context, r *StarRating) error {
	r.Reason = strings.TrimSpace(r.Reason)
	if r.Stars < 1 || r.Stars > 5 {
		return biopilot.FieldErrorf("stars", "服务星级应为 1 至 5 星")
	}
	if r.Year < 2000 || r.Year > 2999 {
		return biopilot.FieldErrorf("year", "请填写评价年度")
	}
	at := db.stamp(r.SetAt)
	var id int64
	err := db.inTx(ctx, func(q q) error {
		e, err := getDirectoryEntry(ctx, q, r.ApplicationID)
		if err != nil {
			return err
		}
		if !e.RemovedAt.IsZero() {
			return biopilot.Errorf(biopilot.ECONFLICT, "平台「%s」已除名，不能评定星级", e.PlatformName)
		}
		err = q.queryRow(ctx, `INSERT INTO star_ratings (application_id, year, stars, reason, set_by, set_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			r.ApplicationID, r.Year, r.Stars, r.Reason, nullID(r.SetBy), ms(at)).Scan(&id)
		if isForeignKeyViolation(err) {
			return biopilot.FieldErrorf("set_by", "操作人不存在")
		} else if err != nil {
			return err
		}
		_, err = q.exec(ctx, `UPDATE directory_entries SET stars = ? WHERE application_id = ?`,
			r.Stars, r.ApplicationID)
		return err
	})
	if err != nil {
		return batchError("set stars", err)
	}
	r.ID, r.SetAt = id, at
	return nil
}

// StarRatings returns a platform's star rating history, oldest first.
func (db *DB) StarRatings(ctx context.Context, applicationID int64) ([]*StarRating, error) {
	return queryAll(ctx, db.q(), "star ratings", wrapScan("star ratings", func(s scanner) (*StarRating, error) {
		var r StarRating
		var by sql.NullInt64
		var at int64
		if err := s.Scan(&r.ID, &r.ApplicationID, &r.Year, &r.Stars, &r.Reason, &by, &at); err != nil {
			return nil, err
		}
		r.SetBy, r.SetAt = idOf(by), fromMS(at)
		return &r, nil
	}), `SELECT id, application_id, year, stars, reason, set_by, set_at FROM star_ratings
		WHERE application_id = ? ORDER BY id`, applicationID)
}

// RemovePlatform removes a listed platform (除名) in one transaction: the
// directory entry's RemovedAt, grounds and detail, and r.Transition (listed →
// removed). The record stays; Directory no longer returns it (unless
// IncludeRemoved). The grounds must be one of Removal*, with a detail; a platform
// not in the directory is ENOTFOUND, one already removed ECONFLICT.
func (db *DB) RemovePlatform(ctx context.Context, r RemovalRequest) error {
	if r.Grounds != RemovalBelowRequirements && r.Grounds != RemovalViolation {
		return biopilot.FieldErrorf("grounds", "除名依据应为“年度评价不达标”或“严重违法违规”")
	}
	detail := strings.TrimSpace(r.Detail)
	if detail == "" {
		return biopilot.FieldErrorf("detail", "请填写除名的具体情况")
	}
	if r.Transition.ApplicationID == 0 {
		r.Transition.ApplicationID = r.ApplicationID
	}
	if r.Transition.ApplicationID != r.ApplicationID {
		return biopilot.Errorf(biopilot.EINVALID, "除名的流转记录应为同一平台")
	}
	var at time.Time
	if t := r.Transition.Transition; t != nil {
		at = t.At
	}
	at = db.stamp(at)
	var done func()
	err := db.inTx(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE directory_entries SET removed_at = ?, removal_grounds = ?,
			removal_detail = ? WHERE application_id = ? AND removed_at = 0`,
			ms(at), r.Grounds, detail, r.ApplicationID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			e, err := getDirectoryEntry(ctx, q, r.ApplicationID)
			if err != nil {
				return err
			}
			return biopilot.Errorf(biopilot.ECONFLICT, "平台「%s」已于 %s 除名", e.PlatformName,
				e.RemovedAt.In(biopilot.Beijing).Format("2006-01-02"))
		}
		done, err = runTransitions(ctx, q, []TransitionRequest{r.Transition}, at)
		return err
	})
	if err != nil {
		return batchError("remove platform", err)
	}
	done()
	return nil
}
