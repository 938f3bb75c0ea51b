package authz

import "biopilot"

// The annual evaluation of listed platforms (issue 9): who files, reads and rates.
//
//	applicant  of the platform's own organisation: reads its platform's reports,
//	           star ratings and removal; files (edits, uploads evidence, submits)
//	           the report while the platform is listed. Another organisation's
//	           platform is ENOTFOUND.
//	ministry   reads every listed or removed platform's reports; opens the annual
//	           evaluations, assigns experts, rates (stars) and removes (除名).
//	expert     reads a report only through a live assignment (CheckAssignment).
//	everyone else sees none of it.

// AnnualAction is something done with a listed platform's annual report.
type AnnualAction string

// Annual actions.
const (
	AnnualView AnnualAction = "annual_view" // read the reports, ratings and removal
	AnnualFile AnnualAction = "annual_file" // edit, upload evidence, submit
)

// IsPlatform reports whether an application is (or was) a listed platform: listed,
// or removed from the list.
func IsPlatform(app *biopilot.Application) bool {
	return app != nil && (app.State == biopilot.StateListed || app.State == biopilot.StateRemoved)
}

func platformNotFound() error {
	return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该平台")
}

// CheckAnnualReport decides whether u may take act on the annual reports of the
// platform app. An application that is not a platform, or one outside u's view,
// is ENOTFOUND; a removed platform files nothing (EFORBIDDEN).
func CheckAnnualReport(u *biopilot.User, act AnnualAction, app *biopilot.Application) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if !IsPlatform(app) || !CanSee(u, app) {
		return platformNotFound()
	}
	switch {
	case u.Role == biopilot.RoleApplicant && u.OrgID != 0 && u.OrgID == app.OrgID:
		if act == AnnualView {
			return nil
		}
		if act == AnnualFile {
			if app.State != biopilot.StateListed {
				return forbidden("平台已除名，不再填报年度报告")
			}
			return nil
		}
	case IsMinistry(u):
		if act == AnnualView {
			return nil
		}
		return forbidden("年度报告由入选平台的依托单位填报")
	}
	return forbidden("不允许的操作")
}

// CheckPlatformDecision decides whether u may rate (服务星级) or remove (除名) the
// platform app: the ministry only. A caller who cannot see app gets ENOTFOUND.
func CheckPlatformDecision(u *biopilot.User, app *biopilot.Application) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if !IsPlatform(app) || !CanSee(u, app) {
		return platformNotFound()
	}
	return CheckMinistry(u)
}
