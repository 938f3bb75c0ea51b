package store

// This file fixes the store's API: the web layer, the commands and the tests are
// written against these signatures. Every method takes ctx first, returns
// *biopilot.Error with ENOTFOUND / ECONFLICT / EINVALID where those apply, and runs
// plain parameterised SQL that works on both SQLite and PostgreSQL.

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"biopilot"
)

var errTODO = errors.New("store: not implemented yet")

// ---- organisations ----

// CreateOrganisation inserts o and sets o.ID and o.CreatedAt. A duplicate USCC is
// ECONFLICT with a message saying the code is registered already.
func (db *DB) CreateOrganisation(ctx context.Context, o *biopilot.Organisation) error {
	return errTODO
}

// Organisation returns an organisation by id.
func (db *DB) Organisation(ctx context.Context, id int64) (*biopilot.Organisation, error) {
	return nil, errTODO
}

// OrganisationByUSCC returns an organisation by its code.
func (db *DB) OrganisationByUSCC(ctx context.Context, uscc string) (*biopilot.Organisation, error) {
	return nil, errTODO
}

// ---- users ----

// CreateUser inserts u and sets u.ID and u.CreatedAt. A duplicate username is
// ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, u *biopilot.User) error { return errTODO }

// User returns a user by id.
func (db *DB) User(ctx context.Context, id int64) (*biopilot.User, error) { return nil, errTODO }

// UserByUsername returns a user by username (case-insensitive).
func (db *DB) UserByUsername(ctx context.Context, username string) (*biopilot.User, error) {
	return nil, errTODO
}

// UserFilter selects users. Zero fields do not filter.
type UserFilter struct {
	OrgID        int64
	Role         biopilot.Role
	Jurisdiction string
	Limit        int
	Offset       int
}

// Users lists users matching f, ordered by id.
func (db *DB) Users(ctx context.Context, f UserFilter) ([]*biopilot.User, error) {
	return nil, errTODO
}

// SetPassword replaces a user's password hash and its must-change flag.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string, mustChange bool) error {
	return errTODO
}

// SetUserDisabled disables or enables a user; disabling also deletes its sessions.
func (db *DB) SetUserDisabled(ctx context.Context, userID int64, disabled bool) error {
	return errTODO
}

// TouchLogin records a successful login time.
func (db *DB) TouchLogin(ctx context.Context, userID int64, at time.Time) error { return errTODO }

// ---- sessions ----

// CreateSession inserts s.
func (db *DB) CreateSession(ctx context.Context, s *biopilot.Session) error { return errTODO }

// Session returns a session by id (the token's hash) with its user.
func (db *DB) Session(ctx context.Context, id string) (*biopilot.Session, *biopilot.User, error) {
	return nil, nil, errTODO
}

// TouchSession sets a session's LastSeen.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error { return errTODO }

// DeleteSession deletes one session (logout, expiry).
func (db *DB) DeleteSession(ctx context.Context, id string) error { return errTODO }

// DeleteUserSessions deletes every session of a user (password change, disable).
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) error { return errTODO }

// ---- login throttling ----

// RecordLoginFailure records a failed login for a key ("user:NAME" or "addr:IP").
func (db *DB) RecordLoginFailure(ctx context.Context, key string, at time.Time) error {
	return errTODO
}

// LoginFailures counts the failures of a key since a time.
func (db *DB) LoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	return 0, errTODO
}

// ClearLoginFailures forgets a key's failures (after a successful login).
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error { return errTODO }

// ---- applications ----

// CreateApplication inserts a draft and sets a.ID, a.Version (1), CreatedAt,
// UpdatedAt.
func (db *DB) CreateApplication(ctx context.Context, a *biopilot.Application) error {
	return errTODO
}

// Application returns an application by id, with OrgName filled.
func (db *DB) Application(ctx context.Context, id int64) (*biopilot.Application, error) {
	return nil, errTODO
}

// ApplicationFilter selects applications. Zero fields do not filter. The caller's
// scope (organisation, city) is set by the authorization layer, never from input.
type ApplicationFilter struct {
	ProgramID string
	OrgID     int64
	CityCode  string
	States    []biopilot.State
	Domain    string
	Verdict   string
	Query     string // matches organisation name, USCC or platform name
	Sort      string // "updated" (default, newest first), "id", "org", "state"
	Limit     int    // default 50, at most 500
	Offset    int
}

// Applications lists applications matching f and returns the total count.
func (db *DB) Applications(ctx context.Context, f ApplicationFilter) ([]*biopilot.Application, int, error) {
	return nil, 0, errTODO
}

// CountByState counts applications matching f (States ignored) per state.
func (db *DB) CountByState(ctx context.Context, f ApplicationFilter) (map[biopilot.State]int, error) {
	return nil, errTODO
}

// DocumentUpdate is a save of an application's document.
type DocumentUpdate struct {
	ApplicationID int64
	BaseVersion   int64 // the version the editor started from
	Document      json.RawMessage
	PlatformName  string
	Domains       []string
	Verdict       string
	UserID        int64
	At            time.Time
}

// SaveDocument stores a new version of the document if and only if the current
// version is u.BaseVersion and the state is editable (draft or returned). A stale
// save returns ECONFLICT whose Detail is the current *biopilot.Application, and
// changes nothing. Returns the updated application.
func (db *DB) SaveDocument(ctx context.Context, u DocumentUpdate) (*biopilot.Application, error) {
	return nil, errTODO
}

// TransitionRequest moves an application from one state to another atomically.
type TransitionRequest struct {
	ApplicationID int64
	From          biopilot.State // must be the current state, else ECONFLICT
	To            biopilot.State
	Transition    *biopilot.Transition // recorded in the same transaction; ID and At set
	// Snapshot, when non-nil, replaces the frozen snapshot and its hash (submit),
	// and sets SubmittedAt.
	Snapshot     json.RawMessage
	SnapshotHash string
}

// Transition performs r in one transaction: compare-and-set of the state, the
// transition record, and the snapshot when given. When two callers race, exactly
// one wins; the other gets ECONFLICT with a Chinese message.
func (db *DB) Transition(ctx context.Context, r TransitionRequest) (*biopilot.Application, error) {
	return nil, errTODO
}

// Transitions lists an application's transitions, oldest first.
func (db *DB) Transitions(ctx context.Context, applicationID int64) ([]*biopilot.Transition, error) {
	return nil, errTODO
}
