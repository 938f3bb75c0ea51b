package store

// This file fixes the store's API: the web layer, the commands and the tests are
// written against these signatures. Every method takes ctx first, returns
// *biopilot.Error with ENOTFOUND / ECONFLICT / EINVALID where those apply, and runs
// plain parameterised SQL that works on both SQLite and PostgreSQL.
//
// The methods live beside their SQL: organisations.go, users.go (users, sessions,
// login throttling), applications.go (create, read, lists) and workflow.go (saves,
// transitions, versions).

import (
	"encoding/json"
	"time"

	"biopilot"
)

// UserFilter selects users. Zero fields do not filter.
type UserFilter struct {
	OrgID        int64
	Role         biopilot.Role
	Jurisdiction string
	Limit        int // default 50, at most 500
	Offset       int
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

	// Province, when not "", limits to the cities of one province (its code NN0000):
	// a province's lists in a national deployment.
	Province string
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
	// BaseVersion, when non-zero, must also be the current document version, else
	// ECONFLICT with the current application as Detail (as a stale save). Submit
	// sets it to the version it snapshotted, so that a colleague's save that lands
	// between reading and submitting is never lost from the snapshot.
	BaseVersion int64
}
