package authz

import (
	"biopilot"
)

// The national stage (issue 8): who runs it and who sees what of it.
//
//	ministry   (jurisdiction biopilot.CountryCode) runs every operation: the
//	           expert pool, assignment, results and decisions, the notice and
//	           the publication; it alone sees which expert reviewed what
//	expert     sees, opens and scores only its own live assignments; an
//	           assignment it declared a conflict on, or one the ministry dropped,
//	           is ENOTFOUND, as if the application did not exist
//	everyone else (provinces, cities, applicants, operators) runs none of it and
//	           never learns who reviewed an application
//
// The workflow's national actions (assign, publicize, not_list, list, remove) are
// decided by workflow.Next as every other action; these checks come first.

// IsMinistry reports whether u is the ministry: role ministry with the country's
// jurisdiction. A province, whatever its role, never is.
func IsMinistry(u *biopilot.User) bool {
	return u != nil && !u.Disabled && u.Role == biopilot.RoleMinistry && u.Jurisdiction == biopilot.CountryCode
}

// CheckMinistry decides whether u may run an operation of the national stage
// (expert pool, assignment, results, decisions, notice, publication): the ministry
// only. Anyone else logged in is EFORBIDDEN.
func CheckMinistry(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if !IsMinistry(u) {
		return forbidden("国家评审由工业和信息化部办理")
	}
	return nil
}

// CheckMinistryApp decides whether u may run a national operation on app (assign
// its experts, record a decision, put it on the notice): the ministry, for an
// application the provinces recommended. An application outside the ministry's
// view is ENOTFOUND; a caller who is not the ministry gets ENOTFOUND too when it
// cannot see app, else EFORBIDDEN.
func CheckMinistryApp(u *biopilot.User, app *biopilot.Application) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if !CanSee(u, app) {
		return notFound()
	}
	return CheckMinistry(u)
}

// CanSeeReviewers reports whether u may learn which experts reviewed an
// application, their names and their individual scores: the ministry only.
// Applicants never see who reviewed them; nor do the cities and provinces.
func CanSeeReviewers(u *biopilot.User) bool { return IsMinistry(u) }

// ExpertAction is something an expert does with one of its assignments.
type ExpertAction string

// Expert actions.
const (
	// ExpertOpen shows the assignment before the declaration: the application's
	// number and platform name only.
	ExpertOpen ExpertAction = "open"
	// ExpertDeclare records the declaration (无利益冲突 / 存在利益冲突).
	ExpertDeclare ExpertAction = "declare"
	// ExpertRead shows the application's snapshot and its evidence: after "no
	// conflict" (and after scoring).
	ExpertRead ExpertAction = "read"
	// ExpertScore submits the score sheet: once, after "no conflict".
	ExpertScore ExpertAction = "score"
)

// Assignment states as authz knows them (store.Assign* hold the same values).
const (
	AssignmentAssigned = "assigned"
	AssignmentAccepted = "accepted"
	AssignmentConflict = "conflict"
	AssignmentScored   = "scored"
	AssignmentDropped  = "dropped"
)

// ExpertAssignment is what the decision needs to know of an assignment: the login
// of the expert it belongs to (0 when that pool member has none) and its state.
type ExpertAssignment struct {
	ExpertUserID int64
	State        string
}

// Live reports whether the assignment still stands for its expert: not declared
// a conflict and not dropped by the ministry.
func (a ExpertAssignment) Live() bool {
	switch a.State {
	case AssignmentAssigned, AssignmentAccepted, AssignmentScored:
		return true
	}
	return false
}

// CheckExpert decides whether u may use the expert's pages at all: role expert.
func CheckExpert(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role != biopilot.RoleExpert {
		return forbidden("评审任务仅供评审专家使用")
	}
	return nil
}

func assignmentNotFound() error {
	return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该评审任务")
}

// CheckAssignment decides whether u may take action act on assignment a: u must be
// an expert and a must be u's own live assignment, else ENOTFOUND (another expert's
// assignment, one declared a conflict or dropped: as if it did not exist). Within
// its own: reading and scoring need the "no conflict" declaration first
// (EFORBIDDEN), a declaration is made once and a score submitted once (ECONFLICT).
func CheckAssignment(u *biopilot.User, act ExpertAction, a ExpertAssignment) error {
	if err := CheckExpert(u); err != nil {
		if biopilot.ErrorCode(err) == biopilot.EFORBIDDEN {
			return assignmentNotFound()
		}
		return err
	}
	if a.ExpertUserID == 0 || a.ExpertUserID != u.ID || !a.Live() {
		return assignmentNotFound()
	}
	switch act {
	case ExpertOpen:
		return nil
	case ExpertDeclare:
		if a.State != AssignmentAssigned {
			return biopilot.Errorf(biopilot.ECONFLICT, "已声明无利益冲突，不能再次声明")
		}
		return nil
	case ExpertRead:
		if a.State == AssignmentAssigned {
			return forbidden("请先声明是否存在利益冲突，再查看申报材料")
		}
		return nil
	case ExpertScore:
		switch a.State {
		case AssignmentAssigned:
			return forbidden("请先声明是否存在利益冲突，再评分")
		case AssignmentScored:
			return biopilot.Errorf(biopilot.ECONFLICT, "评分已提交，不可修改")
		}
		return nil
	}
	return forbidden("不允许的操作")
}
