package biopilot

// Role is what a person does in the system. See ../shared/spec/workflow.md.
type Role string

// Roles. The three administrators are separate (三员分立, GB/T 22239-2019):
// admin runs the system (programs, deadlines, organisations and authority accounts),
// security_admin keeps accounts safe (unlock, reset, disable), auditor reads and
// verifies the audit trail. None of them sees application content.
const (
	RoleApplicant     Role = "applicant"
	RoleCityMIIT      Role = "city_miit"
	RoleCityDRC       Role = "city_drc"
	RoleProvMIIT      Role = "prov_miit"
	RoleProvDRC       Role = "prov_drc"
	RoleMinistry      Role = "ministry"
	RoleExpert        Role = "expert"
	RoleAdmin         Role = "admin"
	RoleSecurityAdmin Role = "security_admin"
	RoleAuditor       Role = "auditor"
)

// Roles lists every role in display order.
var Roles = []Role{RoleApplicant, RoleCityMIIT, RoleCityDRC, RoleProvMIIT, RoleProvDRC,
	RoleMinistry, RoleExpert, RoleAdmin, RoleSecurityAdmin, RoleAuditor}

var roleLabels = map[Role]string{
	RoleApplicant:     "申报单位",
	RoleCityMIIT:      "地市工业和信息化局",
	RoleCityDRC:       "地市发展改革局（委）",
	RoleProvMIIT:      "省工业和信息化厅",
	RoleProvDRC:       "省发展改革委",
	RoleMinistry:      "工业和信息化部",
	RoleExpert:        "评审专家",
	RoleAdmin:         "系统管理员",
	RoleSecurityAdmin: "安全管理员",
	RoleAuditor:       "审计管理员",
}

// Label is the role's Chinese name.
func (r Role) Label() string {
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := roleLabels[r]; return ok }

// IsCity reports whether r is a city authority.
func (r Role) IsCity() bool { return r == RoleCityMIIT || r == RoleCityDRC }

// IsProvince reports whether r is a provincial authority.
func (r Role) IsProvince() bool { return r == RoleProvMIIT || r == RoleProvDRC }

// IsAuthority reports whether r belongs to a jurisdiction rather than an organisation.
func (r Role) IsAuthority() bool { return r.IsCity() || r.IsProvince() || r == RoleMinistry }

// IsOperator reports whether r is one of the three administrators.
func (r Role) IsOperator() bool {
	return r == RoleAdmin || r == RoleSecurityAdmin || r == RoleAuditor
}
