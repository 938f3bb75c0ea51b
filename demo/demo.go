// Package demo fills a fresh database with the demo: accounts for every role and
// sample applications, so that a person can try biopilot at once.
package demo

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"biopilot"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/store"
	"biopilot/uscc"
)

//go:embed docs
var docs embed.FS

// Password is the demo accounts' password. The demo listens on 127.0.0.1 only by
// default; a production server never runs the demo.
const Password = "Biopilot#2025"

// Account is a demo account as printed at start.
type Account struct {
	Username string
	Role     biopilot.Role
	Name     string // person's display name
	Where    string // organisation or jurisdiction, for the printout
}

// Deadlines returns the program's deadlines moved into the future relative to now:
// applicants have 30 days, cities 40, so that the demo lets people submit.
func Deadlines(now time.Time, loc *time.Location) program.Deadlines {
	day := now.In(loc)
	return program.Deadlines{
		Applicant: day.AddDate(0, 0, 30).Format("2006-01-02"),
		City:      day.AddDate(0, 0, 40).Format("2006-01-02"),
	}
}

type orgSeed struct {
	name, uscc17, kind, city string
	users                    []userSeed
}

type userSeed struct {
	username, name string
	admin          bool
}

var orgs = []orgSeed{
	{"广东示例酶工程有限公司", "91440606MA5ABCDE1", biopilot.KindPrivate, "440600",
		[]userSeed{{"fs-enzyme", "陈立新", true}, {"fs-enzyme-2", "李晓燕", false}}},
	{"广州示例生物医药有限公司", "91440101MA59G8BP0", biopilot.KindPrivate, "440100",
		[]userSeed{{"gz-pharma", "王海峰", true}}},
	{"华南示例理工大学", "12440000MB2D00001", biopilot.KindUniversity, "440100",
		[]userSeed{{"gz-univ", "刘晓华", true}}},
}

var authorities = []struct {
	username, name string
	role           biopilot.Role
	jurisdiction   string
}{
	{"gz-miit", "广州市工业和信息化局 张明", biopilot.RoleCityMIIT, "440100"},
	{"gz-drc", "广州市发展和改革委员会 林芳", biopilot.RoleCityDRC, "440100"},
	{"fs-miit", "佛山市工业和信息化局 何军", biopilot.RoleCityMIIT, "440600"},
	{"fs-drc", "佛山市发展和改革局 梁静", biopilot.RoleCityDRC, "440600"},
	{"prov-miit", "省工业和信息化厅消费品工业处 廖碧丹", biopilot.RoleProvMIIT, "440000"},
	{"prov-drc", "省发展改革委创新和高科技发展处 李嘉伟", biopilot.RoleProvDRC, "440000"},
	{"admin", "系统管理员", biopilot.RoleAdmin, ""},
	{"secadmin", "安全管理员", biopilot.RoleSecurityAdmin, ""},
	{"auditor", "审计管理员", biopilot.RoleAuditor, ""},
}

// Seed creates the demo accounts and applications in an empty database. hash turns
// the demo password into a stored hash (hashed once, shared by every account).
func Seed(ctx context.Context, db *store.DB, prog *program.Program, eng *rules.Engine, now time.Time, hash func(string) (string, error)) ([]Account, error) {
	pwHash, err := hash(Password)
	if err != nil {
		return nil, err
	}
	var accounts []Account
	orgIDs := map[string]int64{}
	firstUser := map[string]int64{}
	for _, o := range orgs {
		c, err := uscc.CheckChar(o.uscc17)
		if err != nil {
			return nil, fmt.Errorf("demo USCC %s: %w", o.uscc17, err)
		}
		org := &biopilot.Organisation{Name: o.name, USCC: o.uscc17 + string(c), Kind: o.kind, CityCode: o.city}
		if err := db.CreateOrganisation(ctx, org); err != nil {
			return nil, err
		}
		orgIDs[o.name] = org.ID
		for _, u := range o.users {
			user := &biopilot.User{Username: u.username, DisplayName: u.name, Role: biopilot.RoleApplicant,
				OrgID: org.ID, OrgAdmin: u.admin, PasswordHash: pwHash, Email: u.username + "@example.cn"}
			if err := db.CreateUser(ctx, user); err != nil {
				return nil, err
			}
			if firstUser[o.name] == 0 {
				firstUser[o.name] = user.ID
			}
			accounts = append(accounts, Account{u.username, biopilot.RoleApplicant, u.name, o.name})
		}
	}
	for _, a := range authorities {
		user := &biopilot.User{Username: a.username, DisplayName: a.name, Role: a.role,
			Jurisdiction: a.jurisdiction, PasswordHash: pwHash}
		if err := db.CreateUser(ctx, user); err != nil {
			return nil, err
		}
		where := prog.CityName(a.jurisdiction)
		if a.jurisdiction == "" {
			where = "系统运维"
		}
		accounts = append(accounts, Account{a.username, a.role, a.name, where})
	}

	// Sample applications: one eligible (the spec's example), one biopharma draft
	// still incomplete, one that fails the area threshold.
	base, err := docs.ReadFile("docs/enzymes.json")
	if err != nil {
		return nil, err
	}
	samples := []struct {
		org    string
		mutate func(program.Document)
	}{
		{"广东示例酶工程有限公司", nil},
		{"广州示例生物医药有限公司", func(d program.Document) {
			program.Set(d, "applicant.name", "广州示例生物医药有限公司")
			program.Set(d, "applicant.address", "广州市黄埔区科学城示例路8号")
			program.Set(d, "applicant.postcode", "510663")
			program.Set(d, "platform.name", "示例生物药中试平台")
			program.Set(d, "domains", []any{"biopharma"})
			program.Set(d, "compliance.gmp", nil)
			program.Set(d, "evidence", nil)
			program.Set(d, "declaration", nil)
		}},
		{"华南示例理工大学", func(d program.Document) {
			program.Set(d, "applicant.name", "华南示例理工大学")
			program.Set(d, "applicant.kind", biopilot.KindUniversity)
			program.Set(d, "applicant.address", "广州市天河区示例大道100号")
			program.Set(d, "applicant.postcode", "510640")
			program.Set(d, "platform.name", "示例木质纤维素转化中试平台")
			program.Set(d, "domains", []any{"lignocellulose"})
			program.Set(d, "site.area_m2", float64(1200))
		}},
	}
	for _, s := range samples {
		doc, err := prog.Form.DecodeDocument(base)
		if err != nil {
			return nil, fmt.Errorf("demo document: %w", err)
		}
		if s.mutate != nil {
			s.mutate(doc)
		}
		org, err := db.Organisation(ctx, orgIDs[s.org])
		if err != nil {
			return nil, err
		}
		program.Set(doc, "applicant.uscc", org.USCC)
		data, err := json.Marshal(doc)
		if err != nil {
			return nil, err
		}
		rep := eng.Evaluate(doc)
		name, _ := program.Lookup(doc, "platform.name")
		a := &biopilot.Application{ProgramID: prog.ID, OrgID: org.ID, CityCode: org.CityCode,
			State: biopilot.StateDraft, Document: data, PlatformName: fmt.Sprint(name),
			Domains: domainsOf(doc), Verdict: rep.Verdict, CreatedBy: firstUser[s.org], UpdatedBy: firstUser[s.org]}
		if err := db.CreateApplication(ctx, a); err != nil {
			return nil, err
		}
	}
	return accounts, nil
}

func domainsOf(doc program.Document) []string {
	v, _ := program.Lookup(doc, "domains")
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
