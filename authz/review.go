package authz

import "biopilot"

// LetterAction is something done to a city's recommendation document (推荐文件).
type LetterAction string

// Letter actions.
const (
	LetterView    LetterAction = "view"    // city_miit, city_drc of the city
	LetterEdit    LetterAction = "edit"    // city_miit: order, opinion, number (draft only)
	LetterPropose LetterAction = "propose" // city_miit seals it and asks city_drc
	LetterCosign  LetterAction = "cosign"  // city_drc seals it
	LetterDecline LetterAction = "decline" // city_drc sends it back with a reason
	LetterSend    LetterAction = "send"    // city_miit sends it to the province
)

// CheckLetter decides whether u may take action a on the recommendation document
// of the city jurisdiction: only the city's own two authorities, each for its own
// part (neither can act for the other). A letter of another city is ENOTFOUND.
func CheckLetter(u *biopilot.User, a LetterAction, jurisdiction string) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if !u.Role.IsCity() {
		return forbidden("只有地市工业和信息化局、发展改革局可以办理推荐文件")
	}
	if u.Jurisdiction == "" || u.Jurisdiction != jurisdiction {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该推荐文件")
	}
	switch a {
	case LetterView:
		return nil
	case LetterEdit, LetterPropose, LetterSend:
		if u.Role != biopilot.RoleCityMIIT {
			return forbidden("推荐文件由地市工业和信息化局拟定、盖章和报送，发展改革局只能会签或退回")
		}
		return nil
	case LetterCosign, LetterDecline:
		if u.Role != biopilot.RoleCityDRC {
			return forbidden("推荐文件的会签由地市发展改革局办理，工业和信息化局不能代为会签")
		}
		return nil
	}
	return forbidden("不允许的操作")
}

// CheckLetterRead decides whether u may read (not act on) the recommendation
// document of the city jurisdiction, its 推荐函 PDF and its package: the city's own
// two authorities at any time (CheckLetter with LetterView), and once the letter is
// sent, the provincial authorities of the province the city belongs to. Anyone else
// gets ENOTFOUND, as if the letter did not exist.
func CheckLetterRead(u *biopilot.User, jurisdiction string, sent bool) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role.IsProvince() {
		if sent && u.Jurisdiction != "" && ProvinceOf(jurisdiction) == u.Jurisdiction {
			return nil
		}
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该推荐文件")
	}
	if err := CheckLetter(u, LetterView, jurisdiction); err != nil {
		if biopilot.ErrorCode(err) == biopilot.EFORBIDDEN {
			return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该推荐文件")
		}
		return err
	}
	return nil
}

// CheckAuditRead decides whether u may read, export and verify the audit trail:
// the auditor only (三员分立). Nobody can change the trail through the application.
func CheckAuditRead(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role != biopilot.RoleAuditor {
		return forbidden("只有审计管理员可以查阅审计日志")
	}
	return nil
}

// CheckDeadlines decides whether u may extend a program's deadlines: the system
// administrator (the change is audited).
func CheckDeadlines(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	if u.Role != biopilot.RoleAdmin {
		return forbidden("只有系统管理员可以调整截止时间")
	}
	return nil
}

// CheckNotifications decides whether u may read its own notifications and set its
// e-mail preferences: anyone logged in, for their own only.
func CheckNotifications(u *biopilot.User) error {
	if u == nil || u.Disabled {
		return unauthorized()
	}
	return nil
}
