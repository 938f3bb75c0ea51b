package authz

import "biopilot"

// The progress dashboard (issue 9): the program's listed platforms and the figures
// of their annual reports against the program's targets.
//
//	ministry   (jurisdiction biopilot.CountryCode) sees the whole country
//	prov_miit, prov_drc see their own province only: the platforms whose city lies
//	           in it, and the reports of those platforms
//	everyone else (cities, applicants, experts, operators) sees none of it
//
// The figures are aggregates, but a province's are still its own: a province
// never sees another's platforms or totals.

// CheckDashboard decides whether u may see the progress dashboard, and over which
// platforms: province is "" for the whole country (the ministry), else the code of
// the one province (NN0000) u's dashboard is limited to. Anyone else logged in is
// EFORBIDDEN.
func CheckDashboard(u *biopilot.User) (province string, err error) {
	if u == nil || u.Disabled {
		return "", unauthorized()
	}
	switch {
	case IsMinistry(u):
		return "", nil
	case u.Role.IsProvince() && len(u.Jurisdiction) >= 2:
		return ProvinceOf(u.Jurisdiction), nil
	}
	return "", forbidden("进展看板仅向工业和信息化部和各省主管部门开放")
}

// InDashboard reports whether a platform in city lies within a dashboard limited
// to province ("" = the whole country).
func InDashboard(province, city string) bool {
	return province == "" || ProvinceOf(city) == province
}
