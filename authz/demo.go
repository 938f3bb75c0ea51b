package authz

import "biopilot"

// CheckDemoClock decides who may fast-forward the demo's clock: the ministry, which
// needs to get past a public notice, and the administrator. Only a demo has the
// clock at all (the web layer answers 404 otherwise).
func CheckDemoClock(u *biopilot.User) error {
	if u == nil {
		return biopilot.Errorf(biopilot.EUNAUTHORIZED, "请先登录")
	}
	if u.Role != biopilot.RoleMinistry && u.Role != biopilot.RoleAdmin {
		return biopilot.Errorf(biopilot.EFORBIDDEN, "只有工业和信息化部或系统管理员可以调整演示时钟")
	}
	return nil
}
