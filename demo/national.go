package demo

import (
	"context"
	"encoding/json"
	"fmt"

	"biopilot"
	"biopilot/national"
	"biopilot/program"
	"biopilot/store"
	"biopilot/uscc"
)

// cityAccounts are the demo's two authority accounts of each city and province the
// national walk-through uses: the first proposes, seals and sends; the second
// co-signs.
var cityAccounts = map[string][2]string{
	"440100": {"gz-miit", "gz-drc"},
	"440600": {"fs-miit", "fs-drc"},
	"320100": {"nj-miit", "nj-drc"},
	"440000": {"prov-miit", "prov-drc"},
	"320000": {"js-prov-miit", "js-prov-drc"},
}

// SeedNational adds the national stage to a database Seed and SeedReview filled,
// for a national program (cn-2025): 南京's and 江苏's authorities, the ministry, seven
// experts (logins and the expert pool of the program) and six applications — three
// from 广东, three from 江苏 — taken through the same code paths as the pages from
// submission to recommended_to_ministry: the cities' joint recommendations, their
// sealed letters sent to the province, the provinces' joint recommendations. It
// returns the new accounts. It is SeedNationalAccounts then
// SeedNationalApplications (the demo command runs SeedListed between the two).
func SeedNational(ctx context.Context, d ReviewDeps) ([]Account, error) {
	accounts, err := SeedNationalAccounts(ctx, d)
	if err != nil {
		return nil, err
	}
	more, err := SeedNationalApplications(ctx, d)
	if err != nil {
		return nil, err
	}
	return append(accounts, more...), nil
}

// checkNational refuses deps or a program the national demo cannot use.
func checkNational(d ReviewDeps) error {
	if d.DB == nil || d.Program == nil || d.Rules == nil || d.Files == nil || d.Workflow == nil || d.Hash == nil {
		return fmt.Errorf("demo: SeedNational needs the store, the program, the rules, the evidence store, the workflow and a hash")
	}
	p := d.Program
	if !p.IsNational() {
		return fmt.Errorf("demo: SeedNational needs a national program (cn-2025), not %s", p.ID)
	}
	for code := range cityAccounts {
		if p.Jurisdiction(code) == nil {
			return fmt.Errorf("demo: the program %s has no jurisdiction %s", p.ID, code)
		}
	}
	return nil
}

// SeedNationalAccounts is SeedNational's first part: 南京's and 江苏's authorities,
// the ministry and the experts with the program's expert pool.
func SeedNationalAccounts(ctx context.Context, d ReviewDeps) ([]Account, error) {
	if err := checkNational(d); err != nil {
		return nil, err
	}
	p := d.Program
	pwHash, err := d.Hash(Password)
	if err != nil {
		return nil, err
	}
	var accounts []Account
	for _, a := range nationalAuthorities {
		u := &biopilot.User{Username: a.username, DisplayName: a.name, Role: a.role,
			Jurisdiction: a.jurisdiction, PasswordHash: pwHash}
		if err := d.DB.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		accounts = append(accounts, Account{a.username, a.role, a.name, p.CityName(a.jurisdiction)})
	}
	more, err := seedExperts(ctx, d, pwHash)
	if err != nil {
		return nil, err
	}
	return append(accounts, more...), nil
}

// SeedNationalApplications is SeedNational's second part: the six applications of
// both provinces taken to recommended_to_ministry, and their applicants' accounts.
func SeedNationalApplications(ctx context.Context, d ReviewDeps) ([]Account, error) {
	if err := checkNational(d); err != nil {
		return nil, err
	}
	p := d.Program
	pwHash, err := d.Hash(Password)
	if err != nil {
		return nil, err
	}
	var accounts []Account
	who := map[string]*biopilot.User{}
	for _, pair := range cityAccounts {
		for _, name := range pair {
			u, err := d.DB.UserByUsername(ctx, name)
			if err != nil {
				return nil, fmt.Errorf("demo: %s (run Seed first): %w", name, err)
			}
			who[name] = u
		}
	}
	byCity := map[string][]int64{}
	var cities []string // in the samples' order
	for _, s := range nationalSamples {
		app, u, err := reviewApplication(ctx, d, s.reviewSample, pwHash, s.edit)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", s.platform, err)
		}
		accounts = append(accounts, Account{s.username, biopilot.RoleApplicant, s.person, s.org})
		if _, err := d.Workflow.SubmitAs(ctx, u, app.ID); err != nil {
			return nil, fmt.Errorf("demo: submit %s: %w", s.platform, err)
		}
		pair := cityAccounts[s.city]
		if _, err := d.Workflow.ActAs(ctx, who[pair[0]], app.ID, "city_propose", body(map[string]any{
			"checks": map[string]any{"authenticity": true, "completeness": true, "validity": true,
				"notes": "已核对营业执照、不动产权证书、设备发票和近三年中试服务合同原件。"},
			"opinion": "平台设备配置和中试条件满足指南要求，服务业绩和知识产权保护制度健全，同意推荐。"})); err != nil {
			return nil, fmt.Errorf("demo: %s proposes %s: %w", pair[0], s.platform, err)
		}
		if _, err := d.Workflow.ActAs(ctx, who[pair[1]], app.ID, "city_cosign", nil); err != nil {
			return nil, fmt.Errorf("demo: %s co-signs %s: %w", pair[1], s.platform, err)
		}
		if byCity[s.city] == nil {
			cities = append(cities, s.city)
		}
		byCity[s.city] = append(byCity[s.city], app.ID)
	}
	// Each city's letter: ordered and sealed by its 工业和信息化局, co-sealed by its
	// 发展和改革局（委）, sent to its province.
	for _, city := range cities {
		pair, name := cityAccounts[city], p.CityName(city)
		for _, step := range []struct {
			who, action string
			c           json.RawMessage
		}{
			{pair[0], "save", body(map[string]any{"number": letterNumbers[city], "application_ids": byCity[city],
				"opinion": "经" + name + "工业和信息化主管部门、发展改革部门联合审核，申报材料真实、完整、有效，同意推荐。"})},
			{pair[0], "propose", nil},
			{pair[1], "cosign", nil},
			{pair[0], "send", nil},
		} {
			if _, err := d.Workflow.LetterAs(ctx, who[step.who], step.action, step.c); err != nil {
				return nil, fmt.Errorf("demo: %s's letter, %s: %w", name, step.action, err)
			}
		}
	}
	// Each province re-reviews and recommends jointly to the ministry.
	for _, city := range cities {
		prov := p.ProvinceOf(city)
		miit, drc := p.ProvinceAuthorities(city)
		pair := cityAccounts[prov.Code]
		for _, id := range byCity[city] {
			if _, err := d.Workflow.ActAs(ctx, who[pair[0]], id, "prov_propose", body(map[string]any{
				"checks": map[string]any{"authenticity": true, "completeness": true, "validity": true,
					"notes": "已复核地市推荐文件和佐证材料。"},
				"opinion": "经" + miit + "、" + drc + "联合复核，同意推荐至工业和信息化部。"})); err != nil {
				return nil, fmt.Errorf("demo: %s proposes application %d: %w", pair[0], id, err)
			}
			if _, err := d.Workflow.ActAs(ctx, who[pair[1]], id, "prov_cosign", nil); err != nil {
				return nil, fmt.Errorf("demo: %s co-signs application %d: %w", pair[1], id, err)
			}
		}
	}
	return accounts, nil
}

// seedExperts creates the experts' logins and the program's expert pool.
func seedExperts(ctx context.Context, d ReviewDeps, pwHash string) ([]Account, error) {
	var accounts []Account
	for _, e := range experts {
		c, err := uscc.CheckChar(e.uscc17)
		if err != nil {
			return nil, fmt.Errorf("demo: expert USCC %s: %w", e.uscc17, err)
		}
		u := &biopilot.User{Username: e.username, DisplayName: e.name, Role: biopilot.RoleExpert,
			PasswordHash: pwHash, Email: e.username + "@example.cn"}
		if err := d.DB.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		rec := &store.ExpertRecord{ProgramID: d.Program.ID, UserID: u.ID, Name: e.name, OrgName: e.org,
			OrgUSCC: e.uscc17 + string(c), CityCode: e.city, Domains: e.domains, Active: true}
		if e.relatedOrg != "" {
			rec.Relations = []national.Relation{{OrgName: e.relatedOrg, Kind: e.relation}}
		}
		if err := d.DB.CreateExpert(ctx, rec); err != nil {
			return nil, fmt.Errorf("demo: expert %s: %w", e.name, err)
		}
		accounts = append(accounts, Account{e.username, biopilot.RoleExpert, e.name,
			e.org + "（" + d.Program.CityName(e.city) + "）"})
	}
	return accounts, nil
}

// edit makes the sample's document its own: its business, overview, chassis
// cells, its domain's key equipment in the 其他设备 table, a contract and the
// targets' wording.
func (s nationalSample) edit(doc program.Document) {
	program.Set(doc, "platform.business_scope", s.scope)
	program.Set(doc, "overview", s.overview)
	chassis := make([]any, len(s.chassis))
	for i, c := range s.chassis {
		chassis[i] = c
	}
	program.Set(doc, "chassis_cells", chassis)
	v, _ := program.Lookup(doc, "equipment.other")
	rows, _ := v.([]any)
	for i, name := range s.equipment {
		rows = append(rows, map[string]any{"name": name, "brand": "示例", "model": fmt.Sprintf("SL-%d", i+1),
			"key_params": "", "gap_level": "small", "gap_detail": "", "domestic_suppliers": "国内多家",
			"purchased_on": "2023-05", "price_10k_yuan": float64(10 + 5*i)})
	}
	program.Set(doc, "equipment.other", rows)
	if v, _ := program.Lookup(doc, "market.contracts"); v != nil {
		if list, _ := v.([]any); len(list) > 0 {
			if row, ok := list[0].(map[string]any); ok {
				row["client"], row["title"] = s.client, s.contract
			}
		}
	}
	for _, key := range []string{"applicant.legal_rep.name", "declaration.signatory"} {
		program.Set(doc, key, s.person)
	}
	program.Set(doc, "platform.contact.email", s.username+"@example.cn")
	for _, d := range s.domains {
		if d == "biopharma" { // the guide asks a biopharma platform for GMP
			program.Set(doc, "compliance.gmp", true)
			program.Set(doc, "evidence.gmp", []any{"gmp"}) // its certificate is uploaded with the rest
		}
	}
}
