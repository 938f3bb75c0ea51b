package biopilot

import (
	"encoding/json"
	"time"
)

// State is where an application stands. See ../shared/spec/workflow.md.
type State string

// States of an application.
const (
	StateDraft                 State = "draft"
	StateSubmitted             State = "submitted"
	StateReturned              State = "returned"
	StateCityRejected          State = "city_rejected"
	StateCityProposed          State = "city_proposed" // city_miit proposed, waiting for city_drc
	StateCityRecommended       State = "city_recommended"
	StateAtProvince            State = "at_province"
	StateProvinceRejected      State = "province_rejected"
	StateProvProposed          State = "prov_proposed" // prov_miit proposed, waiting for prov_drc
	StateRecommendedToMinistry State = "recommended_to_ministry"
	StateExpertReview          State = "expert_review"
	StatePublicized            State = "publicized"
	StateListed                State = "listed"
	StateNotListed             State = "not_listed"
	StateRemoved               State = "removed"
)

// States lists every state in the order of the workflow.
var States = []State{StateDraft, StateSubmitted, StateReturned, StateCityRejected,
	StateCityProposed, StateCityRecommended, StateAtProvince, StateProvinceRejected,
	StateProvProposed, StateRecommendedToMinistry, StateExpertReview, StatePublicized,
	StateListed, StateNotListed, StateRemoved}

var stateLabels = map[State]string{
	StateDraft:                 "草稿",
	StateSubmitted:             "已提交，待地市审核",
	StateReturned:              "已退回修改",
	StateCityRejected:          "地市不予推荐",
	StateCityProposed:          "地市推荐待会签",
	StateCityRecommended:       "地市已推荐",
	StateAtProvince:            "省级复核中",
	StateProvinceRejected:      "省级不予推荐",
	StateProvProposed:          "省级推荐待会签",
	StateRecommendedToMinistry: "已推荐至工业和信息化部",
	StateExpertReview:          "专家评审中",
	StatePublicized:            "公示中",
	StateListed:                "已入库",
	StateNotListed:             "未入库",
	StateRemoved:               "已除名",
}

// Label is the state's Chinese name.
func (s State) Label() string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := stateLabels[s]; return ok }

// Editable reports whether the applicant may change the document in this state.
func (s State) Editable() bool { return s == StateDraft || s == StateReturned }

// Application is one application of one organisation to one program.
type Application struct {
	ID        int64
	ProgramID string
	OrgID     int64
	// CityCode is the city the application is filed to (the organisation's city).
	CityCode string
	State    State
	// Version increases with every save of the document; a save names the version
	// it was based on.
	Version int64
	// Document is the live draft: the JSON of form.md.
	Document json.RawMessage
	// Snapshot is the document frozen at the last submission, with SnapshotHash the
	// SM3 (hex) of its canonical encoding including evidence hashes. Reviewers see
	// only the snapshot.
	Snapshot     json.RawMessage
	SnapshotHash string

	// Denormalised from the document for lists and filters.
	OrgName      string
	PlatformName string
	Domains      []string
	Verdict      string // eligible, ineligible, incomplete (from the rules), "" if unknown

	CreatedBy   int64
	UpdatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SubmittedAt time.Time // zero until first submitted
}

// Transition records one change of an application's state.
type Transition struct {
	ID            int64
	ApplicationID int64
	From          State
	To            State
	ActorID       int64
	ActorRole     Role
	ActorName     string
	Reason        string
	// Data holds what the transition decided on: checks, opinion, field reasons,
	// signatures. Its shape depends on the transition.
	Data json.RawMessage
	At   time.Time
}
