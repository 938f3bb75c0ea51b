package store

// This file fixes the store's API for the national stage (issue 8) and the annual
// evaluation of listed platforms (issue 9): the web layer and the demo are written
// against these types and signatures. The bodies live beside their SQL in
// national_experts.go, national_scores.go, national_notice.go, national_directory.go
// and annual.go; migrations 006 (national) and 007 (annual).
//
// Rounds. Expert assignments, scores and committee decisions belong to a round:
// RoundSelection is the national evaluation of recommended applications; an annual
// evaluation of reports on year Y is AnnualRound(Y) = "annual-Y". The subject of
// every round is an application (for an annual round: the listed platform's
// application, whose report of that year is scored).
//
// Every method that changes the state of applications does it in the same
// transaction as its own rows, with one transitions row per application (as
// Transition does): a batch either happens entirely or not at all.

import (
	"encoding/json"
	"strconv"
	"time"

	"biopilot/national"
)

// RoundSelection is the national evaluation round of recommended applications.
const RoundSelection = "selection"

// AnnualRound is the round of the annual evaluation of reports on year y.
func AnnualRound(y int) string { return "annual-" + strconv.Itoa(y) }

// ExpertRecord is a member of the ministry's expert pool. UserID is the expert's
// login (role expert), 0 when the expert has none yet.
type ExpertRecord struct {
	ID        int64
	ProgramID string
	UserID    int64
	Name      string
	OrgName   string
	OrgUSCC   string
	CityCode  string
	Domains   []string            // keys of the program's domains
	Relations []national.Relation // declared relations
	Active    bool                // inactive experts are not assigned anew
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Assignment states.
const (
	AssignAssigned = "assigned" // waiting for the expert's declaration
	AssignAccepted = "accepted" // declared no conflict: may read and score
	AssignConflict = "conflict" // declared a conflict: hidden from the expert, replaced
	AssignScored   = "scored"   // score submitted and sealed: final
	AssignDropped  = "dropped"  // removed by the ministry (reason kept)
)

// ReviewAssignment is one expert's assignment to one application in one round,
// with the expert's declaration and, once scored, the sealed score.
type ReviewAssignment struct {
	ID            int64
	ProgramID     string
	Round         string
	ApplicationID int64
	ExpertID      int64
	State         string // Assign*
	Manual        bool   // set by the ministry by hand (override)
	AssignedBy    int64
	AssignedAt    time.Time
	// Declaration: the reason of a conflict (empty for "no conflict") and when.
	ConflictReason string
	DeclaredAt     time.Time
	// DropReason says why the ministry dropped the assignment.
	DropReason string
	// The sealed score (State == AssignScored).
	Points   map[string]float64
	Comments map[string]string
	Total    float64
	Digest   string // national.SealedScore.Digest
	ScoredAt time.Time
	// sealedAt is the exact instant the digest covers (ScoredAt is its
	// millisecond): see Sealed.
	sealedAt time.Time
}

// AssignmentFilter selects assignments of one program and round. Zero fields do
// not filter.
type AssignmentFilter struct {
	ProgramID     string
	Round         string
	ApplicationID int64
	ExpertID      int64
	States        []string
}

// AssignmentDrop removes an existing assignment (state → dropped) with a reason.
type AssignmentDrop struct {
	AssignmentID int64
	Reason       string
}

// AssignRequest records an assignment batch atomically: new assignments (Add; their
// ID and AssignedAt are set), drops, and the applications' transitions (typically
// recommended_to_ministry → expert_review). A duplicate live assignment (same round,
// application and expert, not dropped or conflict) is ECONFLICT and nothing is kept.
type AssignRequest struct {
	Add         []*ReviewAssignment
	Drop        []AssignmentDrop
	Transitions []TransitionRequest
}

// DeclareRequest records an expert's declaration on opening an assignment
// (assigned → accepted, or → conflict with Reason). With a conflict, Replacement
// (when not nil) is inserted in the same transaction: the reassignment. Any state
// other than assigned is ECONFLICT.
type DeclareRequest struct {
	AssignmentID int64
	Conflict     bool
	Reason       string
	At           time.Time
	Replacement  *ReviewAssignment
}

// CommitteeDecision is the evaluation committee's decision on one application in
// one round (national.Decision* outcomes), with the figures it was based on. The
// latest decision per round and application counts; earlier ones are kept.
type CommitteeDecision struct {
	ID            int64
	ProgramID     string
	Round         string
	ApplicationID int64
	Outcome       string // national.DecisionRecommend / DecisionNotRecommend
	Reason        string
	Score         float64 // the aggregate at the time of the decision
	Rank          int     // the rank in its domain at the time (0 unknown)
	DecidedBy     int64
	DecidedAt     time.Time
}

// Public notice states.
const (
	NoticeOpen      = "open"      // 公示中: objections may be raised until EndsAt
	NoticePublished = "published" // the list is published: final
)

// PublicNotice is a public notice (公示) of the proposed list.
type PublicNotice struct {
	ID             int64
	ProgramID      string
	Round          string
	Title          string
	Body           string // how to object, contact of the ministry
	ApplicationIDs []int64
	State          string // NoticeOpen, NoticePublished
	StartsAt       time.Time
	EndsAt         time.Time // national.NoticeEnd of StartsAt
	CreatedBy      int64
	CreatedAt      time.Time
	PublishedAt    time.Time
	PublishedBy    int64
}

// OpenNoticeRequest opens a notice (n.ID, CreatedAt set) and performs the
// transitions (expert_review → publicized for the proposed; expert_review →
// not_listed for the others) in one transaction. At most one notice per program
// and round is open: a second is ECONFLICT.
type OpenNoticeRequest struct {
	Notice      *PublicNotice
	Transitions []TransitionRequest
}

// Objection is an objection raised during a public notice, and its handling.
type Objection struct {
	ID            int64
	NoticeID      int64
	ApplicationID int64
	Name          string
	Contact       string
	Grounds       string
	// ClientKey identifies the sender for rate limiting (an HMAC of the address,
	// never the address itself).
	ClientKey string
	CreatedAt time.Time
	Outcome   string // national.Objection* ; "" while open
	Reason    string
	HandledBy int64
	HandledAt time.Time
	Files     []ObjectionFile
}

// ObjectionFile is an attachment of an objection; its content is in the files
// store under SHA256.
type ObjectionFile struct {
	ID        int64
	SHA256    string
	SM3       string
	Filename  string
	Size      int64
	MediaType string
}

// ResolveRequest records the ministry's outcome of an objection. An objection
// already resolved is ECONFLICT.
type ResolveRequest struct {
	ObjectionID int64
	Outcome     string
	Reason      string
	By          int64
	At          time.Time
}

// DirectoryEntry is a listed platform as the public directory shows it: only the
// public fields (Public is national.PublicView of the snapshot, computed at
// publication), with search columns.
type DirectoryEntry struct {
	ApplicationID  int64
	ProgramID      string
	NoticeID       int64
	PlatformName   string
	OrgName        string
	CityCode       string
	ProvinceCode   string
	Domains        []string
	ChassisCells   []string
	Equipment      []string // names of key equipment
	Public         json.RawMessage
	Stars          int // the current service star rating, 0 = not rated yet
	ListedAt       time.Time
	RemovedAt      time.Time // zero while listed
	RemovalGrounds string
	RemovalDetail  string // the ministry's account of the removal (RemovalRequest.Detail)
}

// PublishRequest publishes the list of a notice in one transaction: the notice
// becomes published, the entries are inserted into the directory and the
// transitions run (publicized → listed, or → not_listed for an upheld objection).
// A notice not open, or with an objection still open, is ECONFLICT.
type PublishRequest struct {
	NoticeID    int64
	By          int64
	At          time.Time
	Entries     []*DirectoryEntry
	Transitions []TransitionRequest
}

// DirectoryFilter searches the public directory. Zero fields do not filter; Query
// matches platform and organisation names, equipment, chassis cells and services
// (case-insensitive substring).
type DirectoryFilter struct {
	ProgramID      string
	Query          string
	Domain         string
	ProvinceCode   string
	CityCode       string
	Chassis        string
	Equipment      string
	IncludeRemoved bool // for the ministry; the public never sees removed platforms
	Limit          int  // default 50, at most 500
	Offset         int
}

// StarRating is one entry of a platform's service star rating history.
type StarRating struct {
	ID            int64
	ApplicationID int64
	Year          int
	Stars         int // 1–5
	Reason        string
	SetBy         int64
	SetAt         time.Time
}

// Removal grounds (除名).
const (
	RemovalBelowRequirements = "below_requirements" // 年度评价不达标
	RemovalViolation         = "violation"          // 知识产权、安全、环保、质量等严重违法违规
)

// RemovalRequest removes a listed platform (除名) in one transaction: the transition
// listed → removed, and the directory entry's RemovedAt and grounds. The record
// stays; the public directory no longer shows it.
type RemovalRequest struct {
	ApplicationID int64
	Grounds       string // Removal*
	Detail        string
	Transition    TransitionRequest
}

// Annual report states.
const (
	ReportDraft     = "draft"
	ReportSubmitted = "submitted" // frozen; experts score it
)

// AnnualReport is a listed platform's report on one year (年度报告).
type AnnualReport struct {
	ID            int64
	ProgramID     string
	ApplicationID int64
	Year          int
	State         string // ReportDraft, ReportSubmitted
	Document      json.RawMessage
	Version       int64
	SnapshotHash  string // SM3 of the canonical document + evidence at submission
	CreatedBy     int64
	UpdatedBy     int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SubmittedAt   time.Time
	SubmittedBy   int64
}
