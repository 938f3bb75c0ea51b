package authz

import "biopilot"

// PUBLIC: the public side of the national stage (issue 8). The public notice, the
// objection form and the directory need no decision: anybody may read them and
// raise an objection. Handling objections is the ministry's alone.

// CheckHandleObjections decides whether u may list the objections raised during a
// public notice, read their grounds and attachments, and record their outcomes:
// the ministry (工业和信息化部) only. Provinces, cities, experts and applicants never
// see who objected to what.
func CheckHandleObjections(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role != biopilot.RoleMinistry {
		return forbidden("只有工业和信息化部可以查阅和处理公示异议")
	}
	return nil
}
