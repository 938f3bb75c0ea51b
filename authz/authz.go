// Package authz is the one place where authorization is decided. The JSON API and
// the pages both ask it; neither decides on its own. It is pure: functions over
// biopilot types, no HTTP, no SQL.
//
// Who sees which applications (see shared/spec/workflow.md):
//
//	applicant        its own organisation's applications, in every state
//	city_miit/drc    applications filed to its city (jurisdiction = city code),
//	                 from submitted onwards: a city never sees a draft
//	prov_miit/drc    applications of its province's cities that a city recommended
//	                 (city_recommended, including ones the province returned to the
//	                 city) and everything from at_province onwards
//	ministry         what provinces recommended: recommended_to_ministry onwards
//	expert           only applications assigned to it (assignment is later work:
//	                 until then, none)
//	admin, security_admin, auditor
//	                 no application content at all
//
// What lies outside the caller's view is ENOTFOUND, never EFORBIDDEN, so that its
// existence is not revealed. Within the view, an action the caller may not take is
// EFORBIDDEN. No caller at all is EUNAUTHORIZED.
//
// Who does what with accounts:
//
//	anyone           registers a new organisation and its first account, which is
//	                 the organisation's administrator (org admin)
//	org admin        lists its organisation's accounts, invites colleagues
//	                 (applicant accounts with a one-time password), disables them
//	admin            creates authority, expert and operator accounts
//	security_admin   disables, enables (unlocks) accounts and resets passwords
//	auditor          reads the audit trail (later work); nothing here
//
// Nobody disables or resets their own account through these actions.
package authz

import (
	"time"

	"biopilot/workflow"
	"slices"

	"biopilot"
)

// Action is something done to an application.
type Action string

// Actions on an application.
const (
	View        Action = "view"        // read the metadata and the document
	Edit        Action = "edit"        // save or import the document
	Export      Action = "export"      // download the document as JSON
	Eligibility Action = "eligibility" // see the rules' report
	History     Action = "history"     // see the transitions
)

// Actions lists every action. The workflow's actions (submit, return, recommend …)
// are decided by CheckTransition.
var Actions = []Action{View, Edit, Export, Eligibility, History}

// Stages of the workflow as seen by each level.
var (
	// CityStates are the states a city sees: everything but a draft.
	CityStates = statesExcept(biopilot.StateDraft)
	// ProvinceStates are the states a province sees.
	ProvinceStates = []biopilot.State{biopilot.StateCityRecommended, biopilot.StateAtProvince,
		biopilot.StateProvinceRejected, biopilot.StateProvProposed,
		biopilot.StateRecommendedToMinistry, biopilot.StateExpertReview,
		biopilot.StatePublicized, biopilot.StateListed, biopilot.StateNotListed,
		biopilot.StateRemoved}
	// MinistryStates are the states the ministry sees.
	MinistryStates = []biopilot.State{biopilot.StateRecommendedToMinistry,
		biopilot.StateExpertReview, biopilot.StatePublicized, biopilot.StateListed,
		biopilot.StateNotListed, biopilot.StateRemoved}
)

func statesExcept(s biopilot.State) []biopilot.State {
	var out []biopilot.State
	for _, x := range biopilot.States {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// ListScope is what lists may show a caller. The web layer builds its store filter
// from it and never from the request.
type ListScope struct {
	// None means the caller sees no applications at all.
	None bool
	// OrgID, when not 0, limits to one organisation.
	OrgID int64
	// CityCode, when not "", limits to one city.
	CityCode string
	// Province, when not "", limits to the cities of one province (code NN0000).
	Province string
	// States, when not nil, limits to these states.
	States []biopilot.State
}

// Scope returns what lists may show u.
func Scope(u *biopilot.User) ListScope {
	if u == nil || u.Disabled {
		return ListScope{None: true}
	}
	switch {
	case u.Role == biopilot.RoleApplicant && u.OrgID != 0:
		return ListScope{OrgID: u.OrgID}
	case u.Role.IsCity() && u.Jurisdiction != "":
		return ListScope{CityCode: u.Jurisdiction, States: CityStates}
	case u.Role.IsProvince() && u.Jurisdiction != "":
		return ListScope{Province: u.Jurisdiction, States: ProvinceStates}
	case u.Role == biopilot.RoleMinistry && u.Jurisdiction == biopilot.CountryCode:
		return ListScope{States: MinistryStates}
	}
	return ListScope{None: true}
}

// Allows reports whether an application lies within the scope.
func (s ListScope) Allows(app *biopilot.Application) bool {
	switch {
	case s.None || app == nil:
		return false
	case s.OrgID != 0 && app.OrgID != s.OrgID:
		return false
	case s.CityCode != "" && app.CityCode != s.CityCode:
		return false
	case s.Province != "" && ProvinceOf(app.CityCode) != s.Province:
		return false
	case s.States != nil && !slices.Contains(s.States, app.State):
		return false
	}
	return true
}

// ProvinceOf returns the province code (NN0000) of a GB/T 2260 division code.
func ProvinceOf(code string) string {
	if len(code) < 2 {
		return ""
	}
	return code[:2] + "0000"
}

// CanSee reports whether u may see app at all.
func CanSee(u *biopilot.User, app *biopilot.Application) bool {
	return Scope(u).Allows(app)
}

// UsesSnapshot reports whether u reads an application's frozen snapshot rather than
// the live draft: everyone but the applicant's own organisation.
func UsesSnapshot(u *biopilot.User) bool {
	return u == nil || u.Role != biopilot.RoleApplicant
}

// Errors returned by the checks. Messages are Chinese and reveal nothing.
func unauthorized() error {
	return biopilot.Errorf(biopilot.EUNAUTHORIZED, "请先登录")
}

func notFound() error {
	return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该申请")
}

func forbidden(msg string) error {
	return biopilot.Errorf(biopilot.EFORBIDDEN, "%s", msg)
}

// Check decides whether u may take action a on app. It returns nil, or an
// *biopilot.Error: EUNAUTHORIZED when u is nil (or disabled), ENOTFOUND when app is
// outside u's view, EFORBIDDEN when u sees app but may not do this.
func Check(u *biopilot.User, a Action, app *biopilot.Application) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if !CanSee(u, app) {
		return notFound()
	}
	role, st := u.Role, app.State
	switch a {
	case View, Export, Eligibility, History:
		return nil
	case Edit:
		if role != biopilot.RoleApplicant {
			return forbidden("只有申报单位可以修改申请内容")
		}
		if !st.Editable() {
			return forbidden("申请处于「" + st.Label() + "」状态，不能修改；只有草稿或退回修改的申请可以修改")
		}
		return nil
	}
	return forbidden("不允许的操作")
}

// CheckCreateApplication decides whether u may start a new application: an
// applicant of an organisation.
func CheckCreateApplication(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role != biopilot.RoleApplicant || u.OrgID == 0 {
		return forbidden("只有申报单位可以新建申请")
	}
	return nil
}

// CheckPreview decides whether u may have a draft document judged without saving it:
// any logged-in person (the document is the caller's own input).
func CheckPreview(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	return nil
}

// CheckManageMembers decides whether u may list and invite the accounts of its
// organisation: the organisation's administrator.
func CheckManageMembers(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role != biopilot.RoleApplicant || u.OrgID == 0 || !u.OrgAdmin {
		return forbidden("只有本单位管理员可以管理本单位账号")
	}
	return nil
}

// CheckMember decides whether u may disable the account target of its organisation.
// An account of another organisation is ENOTFOUND.
func CheckMember(u, target *biopilot.User) error {
	if err := CheckManageMembers(u); err != nil {
		return err
	}
	if target == nil || target.Role != biopilot.RoleApplicant || target.OrgID != u.OrgID {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该账号")
	}
	if target.ID == u.ID {
		return forbidden("不能停用本人账号")
	}
	return nil
}

// CheckCreateAccount decides whether u may create an account of the given role:
// the system administrator creates authority, expert and operator accounts;
// applicant accounts come only from registration and invitations.
func CheckCreateAccount(u *biopilot.User, role biopilot.Role) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role != biopilot.RoleAdmin {
		return forbidden("只有系统管理员可以创建账号")
	}
	if !role.Valid() {
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "role", Message: "角色无效：" + string(role),
			Fields: []biopilot.FieldError{{Field: "role", Message: "角色无效：" + string(role)}}}
	}
	if role == biopilot.RoleApplicant {
		msg := "申报单位账号由单位自行注册或由本单位管理员邀请，系统管理员不能创建"
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "role", Message: msg,
			Fields: []biopilot.FieldError{{Field: "role", Message: msg}}}
	}
	return nil
}

// CheckAccountAdmin decides whether u may disable, enable or reset the password of
// target: the security administrator, for any account but its own.
func CheckAccountAdmin(u, target *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role != biopilot.RoleSecurityAdmin {
		return forbidden("只有安全管理员可以停用、启用账号或重置密码")
	}
	if target == nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该账号")
	}
	if target.ID == u.ID {
		return forbidden("不能对本人账号执行此操作")
	}
	return nil
}

// CheckTransition decides whether u may take the workflow action act on app at now:
// app must lie within u's view (else ENOTFOUND), and the state machine of package
// workflow must allow u's role to take act from app's state before the deadlines
// (else EFORBIDDEN, ECONFLICT or EDEADLINE). It returns the state app moves to.
func CheckTransition(u *biopilot.User, act workflow.Action, app *biopilot.Application, now time.Time, d workflow.Deadlines) (biopilot.State, error) {
	if u == nil || u.Disabled {
		return "", unauthorized()
	}
	if !CanSee(u, app) {
		return "", notFound()
	}
	return workflow.Next(app.State, act, u.Role, now, d)
}
