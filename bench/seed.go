package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"biopilot"
	"biopilot/auth"
	"biopilot/demo"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/uscc"
)

// Password is the password of every account the capacity test creates.
const Password = "Bench#Passw0rd-2025"

// cheapParams hash the bench accounts' passwords: the test measures the application,
// not argon2id (whose production cost is a deliberate ~50–100 ms per login).
var cheapParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// stateShare is how the seeded applications are spread over the states, in percent:
// the night before the applicant deadline, with the cities and the province busy
// with the early submissions.
var stateShare = []struct {
	state biopilot.State
	pct   int
}{
	{biopilot.StateDraft, 40}, {biopilot.StateSubmitted, 25}, {biopilot.StateReturned, 5},
	{biopilot.StateCityRejected, 3}, {biopilot.StateCityProposed, 3},
	{biopilot.StateCityRecommended, 5}, {biopilot.StateAtProvince, 8},
	{biopilot.StateProvinceRejected, 2}, {biopilot.StateProvProposed, 2},
	{biopilot.StateRecommendedToMinistry, 4}, {biopilot.StateExpertReview, 1},
	{biopilot.StateListed, 1}, {biopilot.StateNotListed, 1},
}

// paths are the transitions that lead from a draft to each state (the history
// recorded with a seeded application), with the role acting at each step.
var paths = func() map[biopilot.State][]step {
	s := func(to biopilot.State, role biopilot.Role) step { return step{to, role} }
	submit := s(biopilot.StateSubmitted, biopilot.RoleApplicant)
	propose := s(biopilot.StateCityProposed, biopilot.RoleCityMIIT)
	recommend := s(biopilot.StateCityRecommended, biopilot.RoleCityDRC)
	send := s(biopilot.StateAtProvince, biopilot.RoleCityMIIT)
	pPropose := s(biopilot.StateProvProposed, biopilot.RoleProvMIIT)
	pCosign := s(biopilot.StateRecommendedToMinistry, biopilot.RoleProvDRC)
	expert := s(biopilot.StateExpertReview, biopilot.RoleMinistry)
	toProv := []step{submit, propose, recommend, send}
	toMin := append(append([]step{}, toProv...), pPropose, pCosign)
	return map[biopilot.State][]step{
		biopilot.StateDraft:                 nil,
		biopilot.StateSubmitted:             {submit},
		biopilot.StateReturned:              {submit, s(biopilot.StateReturned, biopilot.RoleCityMIIT)},
		biopilot.StateCityRejected:          {submit, s(biopilot.StateCityRejected, biopilot.RoleCityMIIT)},
		biopilot.StateCityProposed:          {submit, propose},
		biopilot.StateCityRecommended:       {submit, propose, recommend},
		biopilot.StateAtProvince:            toProv,
		biopilot.StateProvinceRejected:      append(append([]step{}, toProv...), s(biopilot.StateProvinceRejected, biopilot.RoleProvMIIT)),
		biopilot.StateProvProposed:          append(append([]step{}, toProv...), pPropose),
		biopilot.StateRecommendedToMinistry: toMin,
		biopilot.StateExpertReview:          append(append([]step{}, toMin...), expert),
		biopilot.StateListed: append(append([]step{}, toMin...), expert,
			s(biopilot.StatePublicized, biopilot.RoleMinistry), s(biopilot.StateListed, biopilot.RoleMinistry)),
		biopilot.StateNotListed: append(append([]step{}, toMin...), expert, s(biopilot.StateNotListed, biopilot.RoleMinistry)),
	}
}()

type step struct {
	to   biopilot.State
	role biopilot.Role
}

// seeded is what the load needs to know of the seeded data.
type seeded struct {
	applicantOf map[int64]string // organisation id → applicant username
	cityUser    map[string]string
	province    string
	cities      []string
	// editable are the drafts and returned applications, for autosaves.
	editable []appRef
	// byOrg lists every application of an organisation (the applicant's pages).
	byOrg map[int64][]int64
	// cityVisible lists the applications each city's reviewers see.
	cityVisible map[string][]int64
	// sampleDocs are some of the seeded documents (the commit baseline writes them).
	sampleDocs [][]byte
	count      map[biopilot.State]int
}

type appRef struct {
	id, orgID int64
	version   int64
}

var platformWords = []string{"酶制剂", "食品配料", "生物药", "化妆品原料", "生物基材料", "合成生物",
	"木质纤维素", "一碳利用", "植物细胞", "发酵工程", "微生物制造", "生物催化"}

var districts = []string{"高新区", "经济开发区", "科学城", "生物谷", "产业园", "滨海新区"}

// seed creates the accounts and n applications across the program's cities.
func seed(ctx context.Context, db *store.DB, prog *program.Program, eng *rules.Engine, n int, now time.Time, logf func(string, ...any)) (*seeded, error) {
	base, err := demo.ExampleDocument()
	if err != nil {
		return nil, err
	}
	if _, err := prog.Form.DecodeDocument(base); err != nil {
		return nil, fmt.Errorf("example document: %w", err)
	}
	hash, err := auth.HashPassword(Password, cheapParams)
	if err != nil {
		return nil, err
	}
	sd := &seeded{applicantOf: map[int64]string{}, cityUser: map[string]string{},
		byOrg: map[int64][]int64{}, cityVisible: map[string][]int64{}, count: map[biopilot.State]int{}}
	perCity := min(max(n/(len(prog.Cities)*40), 1), 6)
	type orgInfo struct {
		org  *biopilot.Organisation
		user *biopilot.User
	}
	var orgs []orgInfo
	authority := map[biopilot.Role]map[string]*biopilot.User{}
	addAuthority := func(role biopilot.Role, jur, name string) error {
		u := &biopilot.User{Username: fmt.Sprintf("%s-%s", role, jur), DisplayName: name, Role: role,
			Jurisdiction: jur, PasswordHash: hash}
		if err := db.CreateUser(ctx, u); err != nil {
			return err
		}
		if authority[role] == nil {
			authority[role] = map[string]*biopilot.User{}
		}
		authority[role][jur] = u
		return nil
	}
	for ci, city := range prog.Cities {
		sd.cities = append(sd.cities, city.Code)
		for k := 0; k < perCity; k++ {
			first17 := fmt.Sprintf("91%sMA5%06d", city.Code, ci*100+k)
			c, err := uscc.CheckChar(first17)
			if err != nil {
				return nil, err
			}
			org := &biopilot.Organisation{Name: fmt.Sprintf("%s示例%s科技有限公司%d号", city.Name,
				platformWords[(ci+k)%len(platformWords)], k+1), USCC: first17 + string(c),
				Kind: biopilot.OrgKinds[(ci+k)%len(biopilot.OrgKinds)].Key, CityCode: city.Code, CreatedAt: now}
			if err := db.CreateOrganisation(ctx, org); err != nil {
				return nil, err
			}
			u := &biopilot.User{Username: fmt.Sprintf("applicant-%s-%d", city.Code, k+1),
				DisplayName: "申报人" + city.Name + fmt.Sprint(k+1), Role: biopilot.RoleApplicant,
				OrgID: org.ID, OrgAdmin: true, PasswordHash: hash, Phone: "13800138000"}
			if err := db.CreateUser(ctx, u); err != nil {
				return nil, err
			}
			orgs = append(orgs, orgInfo{org, u})
			sd.applicantOf[org.ID] = u.Username
		}
		if err := addAuthority(biopilot.RoleCityMIIT, city.Code, city.Name+"工业和信息化局"); err != nil {
			return nil, err
		}
		if err := addAuthority(biopilot.RoleCityDRC, city.Code, city.Name+"发展和改革局"); err != nil {
			return nil, err
		}
		sd.cityUser[city.Code] = fmt.Sprintf("%s-%s", biopilot.RoleCityMIIT, city.Code)
	}
	// Every province of the program has its two authorities (one for a provincial
	// deployment); the workload's province is the first.
	type acct struct {
		role biopilot.Role
		jur  string
	}
	var accts []acct
	for _, p := range prog.Provinces() {
		accts = append(accts, acct{biopilot.RoleProvMIIT, p.Code}, acct{biopilot.RoleProvDRC, p.Code})
	}
	pc := accts[0].jur
	for _, a := range append(accts, acct{biopilot.RoleMinistry, biopilot.CountryCode}) {
		if err := addAuthority(a.role, a.jur, a.role.Label()); err != nil {
			return nil, err
		}
	}
	sd.province = fmt.Sprintf("%s-%s", biopilot.RoleProvMIIT, pc)

	// Documents are built and judged on every core, then written in batches.
	const batch = 500
	start := time.Now()
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		bulk := make([]store.BulkApplication, hi-lo)
		var wg sync.WaitGroup
		errs := make([]error, runtime.GOMAXPROCS(0))
		for w := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo + w; i < hi; i += len(errs) {
					o := orgs[i%len(orgs)]
					state := stateOf(i)
					b, err := buildApp(prog, eng, base, i, o.org, o.user, state, now, authority)
					if err != nil {
						errs[w] = err
						return
					}
					bulk[i-lo] = b
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		if err := db.BulkCreateApplications(ctx, bulk); err != nil {
			return nil, err
		}
		for _, b := range bulk {
			a := b.App
			sd.count[a.State]++
			sd.byOrg[a.OrgID] = append(sd.byOrg[a.OrgID], a.ID)
			if a.State.Editable() {
				sd.editable = append(sd.editable, appRef{a.ID, a.OrgID, a.Version})
			} else {
				sd.cityVisible[a.CityCode] = append(sd.cityVisible[a.CityCode], a.ID)
			}
			if len(sd.sampleDocs) < 64 {
				sd.sampleDocs = append(sd.sampleDocs, a.Document)
			}
		}
		if logf != nil && (hi == n || hi%5000 == 0) {
			logf("已写入 %d/%d 个申请（%.1f 秒）", hi, n, time.Since(start).Seconds())
		}
	}
	return sd, nil
}

// stateOf spreads application i over the states by stateShare, interleaved so that
// every organisation and city gets every state.
func stateOf(i int) biopilot.State {
	k := (i * 37) % 100
	for _, s := range stateShare {
		if k < s.pct {
			return s.state
		}
		k -= s.pct
	}
	return biopilot.StateDraft
}

// buildApp varies the example document into application i of an organisation: its
// own names, domains, sizes and figures, some drafts still sparse. The document is
// validated by the form and judged by the rules like a real save.
func buildApp(prog *program.Program, eng *rules.Engine, base []byte, i int, org *biopilot.Organisation,
	applicant *biopilot.User, state biopilot.State, now time.Time, authority map[biopilot.Role]map[string]*biopilot.User) (store.BulkApplication, error) {
	r := rand.New(rand.NewPCG(uint64(i), 2025))
	doc, err := prog.Form.DecodeDocument(base)
	if err != nil {
		return store.BulkApplication{}, err
	}
	city := prog.CityName(org.CityCode)
	word := platformWords[r.IntN(len(platformWords))]
	platform := fmt.Sprintf("%s%s%s中试平台（%d）", city, districts[r.IntN(len(districts))], word, i+1)
	program.Set(doc, "applicant.name", org.Name)
	program.Set(doc, "applicant.uscc", org.USCC)
	program.Set(doc, "applicant.kind", org.Kind)
	program.Set(doc, "applicant.address", fmt.Sprintf("广东省%s%s示例路%d号", city, districts[i%len(districts)], 1+r.IntN(300)))
	program.Set(doc, "platform.name", platform)
	program.Set(doc, "platform.operating_years", int64(1+r.IntN(12)))
	program.Set(doc, "platform.equipment_value_10k_yuan", float64(500+r.IntN(9000)))
	program.Set(doc, "site.area_m2", float64(600+r.IntN(6000)))
	program.Set(doc, "staff.engineering", int64(8+r.IntN(60)))
	program.Set(doc, "market.clients_3y", int64(3+r.IntN(60)))
	program.Set(doc, "overview", fmt.Sprintf("%s平台面向%s企业提供发酵放大、分离纯化和检测等开放中试服务，已形成逐级放大能力。编号%d。",
		platform, word, i+1))
	domains := make([]any, 0, 2)
	d1 := prog.Domains[r.IntN(len(prog.Domains))].Key
	domains = append(domains, d1)
	if d2 := prog.Domains[r.IntN(len(prog.Domains))].Key; r.IntN(3) == 0 && d2 != d1 {
		domains = append(domains, d2)
	}
	program.Set(doc, "domains", domains)
	for _, group := range []string{"equipment.purification", "equipment.testing", "equipment.other"} {
		if v, ok := program.Lookup(doc, group); ok {
			if rows, ok := v.([]any); ok && len(rows) > 1 {
				program.Set(doc, group, rows[:1+r.IntN(len(rows))])
			}
		}
	}
	if state == biopilot.StateDraft && r.IntN(3) == 0 {
		// A draft begun recently: the later sections are still empty.
		for _, key := range []string{"market", "goals", "ip", "declaration", "evidence", "software"} {
			program.Set(doc, key, nil)
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return store.BulkApplication{}, err
	}
	if _, err := prog.Form.DecodeDocument(data); err != nil {
		return store.BulkApplication{}, fmt.Errorf("seeded document %d: %w", i, err)
	}
	var names []string
	for _, d := range domains {
		names = append(names, d.(string))
	}
	created := now.Add(-time.Duration(24+r.IntN(60*24)) * time.Hour)
	a := &biopilot.Application{ProgramID: prog.ID, OrgID: org.ID, CityCode: org.CityCode, State: state,
		Version: int64(1 + r.IntN(40)), Document: data, PlatformName: platform, Domains: names,
		Verdict: eng.Evaluate(doc).Verdict, CreatedBy: applicant.ID, UpdatedBy: applicant.ID,
		CreatedAt: created, UpdatedAt: created.Add(time.Duration(r.IntN(20)) * time.Hour)}
	b := store.BulkApplication{App: a}
	at := a.UpdatedAt
	from := biopilot.StateDraft
	for _, st := range paths[state] {
		at = at.Add(time.Duration(1+r.IntN(48)) * time.Hour)
		t := &biopilot.Transition{From: from, To: st.to, ActorRole: st.role, At: at}
		if st.role == biopilot.RoleApplicant {
			t.ActorID, t.ActorName = applicant.ID, applicant.DisplayName
		} else if u := actor(authority, st.role, org.CityCode); u != nil {
			t.ActorID, t.ActorName = u.ID, u.DisplayName
		}
		if st.to == biopilot.StateReturned || st.to == biopilot.StateCityRejected {
			t.Reason = "场地面积佐证材料不清晰，请补充产权证明或租赁合同"
		}
		t.Data = json.RawMessage(fmt.Sprintf(`{"action":"bench","to":%q}`, st.to))
		if st.to == biopilot.StateSubmitted {
			a.SubmittedAt = at
		}
		b.Transitions = append(b.Transitions, t)
		from = st.to
	}
	if state != biopilot.StateDraft {
		a.Snapshot = data
		if a.SnapshotHash, err = seal.CanonicalHash(map[string]any{"document": doc, "evidence": []any{}}); err != nil {
			return store.BulkApplication{}, err
		}
		if a.UpdatedAt.Before(at) {
			a.UpdatedAt = at
		}
	}
	return b, nil
}

// actor is the account acting for a role where an application is filed.
func actor(authority map[biopilot.Role]map[string]*biopilot.User, role biopilot.Role, city string) *biopilot.User {
	m := authority[role]
	if m == nil {
		return nil
	}
	switch {
	case role.IsCity():
		return m[city]
	}
	for _, u := range m {
		return u
	}
	return nil
}
