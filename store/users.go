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

// CreateUser inserts u and sets u.ID and u.CreatedAt. A duplicate username is
// ECONFLICT.
//
// The username is stored trimmed and lower-cased (u.Username is updated to match),
// so usernames are unique regardless of case. An OrgID that names no organisation
// is EINVALID.
func (db *DB) CreateUser(ctx context.Context, u *biopilot.User) error {
	name := normUsername(u.Username)
	if name == "" {
		return biopilot.FieldErrorf("username", "请填写用户名")
	}
	if !u.Role.Valid() {
		return biopilot.FieldErrorf("role", "未知的角色「%s」", u.Role)
	}
	created := db.stamp(u.CreatedAt)
	var id int64
	err := db.q().queryRow(ctx, `INSERT INTO users
		(username, display_name, email, phone, role, org_id, jurisdiction, org_admin, disabled,
		 password_hash, must_change_password, created_at, last_login_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		name, u.DisplayName, u.Email, u.Phone, string(u.Role), nullID(u.OrgID), u.Jurisdiction,
		boolInt(u.OrgAdmin), boolInt(u.Disabled), u.PasswordHash, boolInt(u.MustChangePassword),
		ms(created), ms(u.LastLoginAt)).Scan(&id)
	switch {
	case isUniqueViolation(err):
		e := biopilot.FieldErrorf("username", "用户名「%s」已被使用，请换一个", name)
		e.Code = biopilot.ECONFLICT
		return e
	case isForeignKeyViolation(err):
		return biopilot.FieldErrorf("org_id", "所属单位不存在")
	case err != nil:
		return fmt.Errorf("store: create user: %w", err)
	}
	u.ID, u.Username, u.CreatedAt = id, name, created
	return nil
}

// User returns a user by id.
func (db *DB) User(ctx context.Context, id int64) (*biopilot.User, error) {
	return scanUser(db.q().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// UserByUsername returns a user by username (case-insensitive).
func (db *DB) UserByUsername(ctx context.Context, username string) (*biopilot.User, error) {
	return scanUser(db.q().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`,
		normUsername(username)))
}

// Users lists users matching f, ordered by id.
// Limit defaults to 50 and is at most 500.
func (db *DB) Users(ctx context.Context, f UserFilter) ([]*biopilot.User, error) {
	var where []string
	var args []any
	if f.OrgID != 0 {
		where, args = append(where, `org_id = ?`), append(args, f.OrgID)
	}
	if f.Role != "" {
		where, args = append(where, `role = ?`), append(args, string(f.Role))
	}
	if f.Jurisdiction != "" {
		where, args = append(where, `jurisdiction = ?`), append(args, f.Jurisdiction)
	}
	query := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id LIMIT ? OFFSET ?`
	args = append(args, limit(f.Limit), max(f.Offset, 0))
	return queryAll(ctx, db.q(), "users", func(s scanner) (*biopilot.User, error) { return scanUser(s) }, query, args...)
}

// SetPassword replaces a user's password hash and its must-change flag.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string, mustChange bool) error {
	res, err := db.q().exec(ctx, `UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?`,
		hash, boolInt(mustChange), userID)
	return userUpdated(res, err)
}

// SetUserDisabled disables or enables a user; disabling also deletes its sessions.
func (db *DB) SetUserDisabled(ctx context.Context, userID int64, disabled bool) error {
	return db.inTx(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, boolInt(disabled), userID)
		if err := userUpdated(res, err); err != nil {
			return err
		}
		if disabled {
			if _, err := q.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
				return fmt.Errorf("store: delete sessions: %w", err)
			}
		}
		return nil
	})
}

// TouchLogin records a successful login time.
func (db *DB) TouchLogin(ctx context.Context, userID int64, at time.Time) error {
	res, err := db.q().exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, ms(db.stamp(at)), userID)
	return userUpdated(res, err)
}

func userUpdated(res sql.Result, err error) error {
	if err != nil {
		return fmt.Errorf("store: update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errUserNotFound()
	}
	return nil
}

func errUserNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "用户不存在") }

// normUsername is the stored form of a username.
func normUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

const userColumns = `users.id, users.username, users.display_name, users.email, users.phone,
	users.role, users.org_id, users.jurisdiction, users.org_admin, users.disabled,
	users.password_hash, users.must_change_password, users.created_at, users.last_login_at`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanUser(s scanner, extra ...any) (*biopilot.User, error) {
	var (
		u                              biopilot.User
		role                           string
		org                            sql.NullInt64
		orgAdmin, disabled, mustChange int
		created, lastLogin             int64
	)
	dest := append([]any{&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.Phone, &role, &org,
		&u.Jurisdiction, &orgAdmin, &disabled, &u.PasswordHash, &mustChange, &created, &lastLogin},
		extra...)
	if err := s.Scan(dest...); errors.Is(err, sql.ErrNoRows) {
		return nil, errUserNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: user: %w", err)
	}
	u.Role = biopilot.Role(role)
	u.OrgID = idOf(org)
	u.OrgAdmin, u.Disabled, u.MustChangePassword = orgAdmin != 0, disabled != 0, mustChange != 0
	u.CreatedAt, u.LastLoginAt = fromMS(created), fromMS(lastLogin)
	return &u, nil
}

// ---- sessions ----

// CreateSession inserts s. CreatedAt and LastSeen default to now; ExpiresAt is
// required.
func (db *DB) CreateSession(ctx context.Context, s *biopilot.Session) error {
	if s.ID == "" || s.UserID == 0 || s.ExpiresAt.IsZero() {
		return biopilot.Errorf(biopilot.EINVALID, "会话缺少标识、用户或有效期")
	}
	s.CreatedAt = db.stamp(s.CreatedAt)
	if s.LastSeen.IsZero() {
		s.LastSeen = s.CreatedAt
	}
	s.LastSeen = s.LastSeen.UTC().Truncate(time.Millisecond)
	s.ExpiresAt = s.ExpiresAt.UTC().Truncate(time.Millisecond)
	_, err := db.q().exec(ctx, `INSERT INTO sessions
		(id, user_id, csrf_token, address, user_agent, created_at, last_seen, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.CSRFToken, s.Address, s.UserAgent, ms(s.CreatedAt), ms(s.LastSeen), ms(s.ExpiresAt))
	switch {
	case isUniqueViolation(err):
		return biopilot.Errorf(biopilot.ECONFLICT, "会话已存在")
	case isForeignKeyViolation(err):
		return errUserNotFound()
	case err != nil:
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// Session returns a session by id (the token's hash) with its user.
// It does not judge expiry: the caller compares ExpiresAt and LastSeen with its
// clock and deletes the session when it is over.
func (db *DB) Session(ctx context.Context, id string) (*biopilot.Session, *biopilot.User, error) {
	var (
		s                          biopilot.Session
		created, lastSeen, expires int64
	)
	u, err := scanUser(db.q().queryRow(ctx, `SELECT `+userColumns+`,
		s.id, s.user_id, s.csrf_token, s.address, s.user_agent, s.created_at, s.last_seen, s.expires_at
		FROM sessions s JOIN users ON users.id = s.user_id WHERE s.id = ?`, id),
		&s.ID, &s.UserID, &s.CSRFToken, &s.Address, &s.UserAgent, &created, &lastSeen, &expires)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, nil, biopilot.Errorf(biopilot.ENOTFOUND, "会话不存在或已失效，请重新登录")
	} else if err != nil {
		return nil, nil, err
	}
	s.CreatedAt, s.LastSeen, s.ExpiresAt = fromMS(created), fromMS(lastSeen), fromMS(expires)
	return &s, u, nil
}

// TouchSession sets a session's LastSeen.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	res, err := db.q().exec(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`, ms(db.stamp(at)), id)
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return biopilot.Errorf(biopilot.ENOTFOUND, "会话不存在或已失效，请重新登录")
	}
	return nil
}

// DeleteSession deletes one session (logout, expiry).
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	if _, err := db.q().exec(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions deletes every session of a user (password change, disable).
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := db.q().exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("store: delete sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions deletes the sessions whose absolute limit is before now
// and returns how many it deleted (housekeeping).
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.q().exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, ms(now))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}

// ---- login throttling ----

// RecordLoginFailure records a failed login for a key ("user:NAME" or "addr:IP").
func (db *DB) RecordLoginFailure(ctx context.Context, key string, at time.Time) error {
	if _, err := db.q().exec(ctx, `INSERT INTO login_failures (key, at) VALUES (?, ?)`,
		key, ms(db.stamp(at))); err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	return nil
}

// LoginFailures counts the failures of a key since a time.
func (db *DB) LoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	if err := db.q().queryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE key = ? AND at >= ?`,
		key, ms(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: login failures: %w", err)
	}
	return n, nil
}

// ClearLoginFailures forgets a key's failures (after a successful login).
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	if _, err := db.q().exec(ctx, `DELETE FROM login_failures WHERE key = ?`, key); err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes every failure recorded before a time (housekeeping)
// and returns how many it deleted.
func (db *DB) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.q().exec(ctx, `DELETE FROM login_failures WHERE at < ?`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("store: prune login failures: %w", err)
	}
	return res.RowsAffected()
}
