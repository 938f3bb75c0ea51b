// Package national is the domain core of the national stage of a call: after the
// provinces recommend, the ministry assigns experts, collects and aggregates their
// scores, ranks per domain, records the committee's decisions, publishes the proposed
// list for a public notice (公示) counted in working days, handles objections, and
// publishes the list with only the public fields of each application.
//
// Everything here is pure: no HTTP, no SQL, no clock. The store keeps the data and
// the web layer enforces who sees what (an expert sees only what is assigned to it;
// an applicant never sees who reviewed it).
package national

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"biopilot"
)

// Relation is a relation an expert declared with an organisation (employment in the
// last years, a joint project, a family tie …): that organisation's applications are
// excluded. USCC is preferred; OrgName is matched when no USCC is given.
type Relation struct {
	USCC    string
	OrgName string
	Kind    string // e.g. "近三年合作项目"
}

// Expert is a member of the ministry's expert pool.
type Expert struct {
	ID        string
	Name      string
	OrgName   string
	OrgUSCC   string
	CityCode  string
	Domains   []string // keys of the program's domains
	Relations []Relation
}

// Candidate is what assignment needs to know of an application.
type Candidate struct {
	ID       string
	OrgUSCC  string
	OrgName  string
	CityCode string
	Domains  []string
}

// Conflicts returns why e may not review app, in Chinese, or nil: the same
// organisation (同一单位), the same city (同一地市), or a declared relation
// (申报关联关系).
func Conflicts(e Expert, app Candidate) []string {
	var out []string
	switch {
	case e.OrgUSCC != "" && strings.EqualFold(e.OrgUSCC, app.OrgUSCC):
		out = append(out, "同一单位："+orName(app.OrgName, app.OrgUSCC))
	case e.OrgName != "" && sameName(e.OrgName, app.OrgName):
		out = append(out, "同一单位："+app.OrgName)
	}
	if e.CityCode != "" && e.CityCode == app.CityCode {
		out = append(out, "同一地市："+app.CityCode)
	}
	for _, r := range e.Relations {
		hit := (r.USCC != "" && strings.EqualFold(r.USCC, app.OrgUSCC)) ||
			(r.USCC == "" && r.OrgName != "" && sameName(r.OrgName, app.OrgName))
		if hit {
			kind := r.Kind
			if kind == "" {
				kind = "关联"
			}
			out = append(out, fmt.Sprintf("申报关联关系：%s（%s）", kind, orName(app.OrgName, app.OrgUSCC)))
		}
	}
	return out
}

func orName(name, uscc string) string {
	if name != "" {
		return name
	}
	return uscc
}

// nameNorm normalises organisation names for comparison (read only).
var nameNorm = strings.NewReplacer(" ", "", "\u3000", "", "（", "(", "）", ")")

// sameName compares organisation names ignoring white space and full-width brackets.
func sameName(a, b string) bool {
	if a == b {
		return true
	}
	return nameNorm.Replace(a) == nameNorm.Replace(b)
}

// Options are the inputs of an assignment besides applications and experts.
type Options struct {
	// Existing are assignments already made (app → experts): they are kept, except an
	// expert who is now conflicted or has declined, who is dropped and replaced.
	Existing map[string][]string
	// Manual are the ministry's overrides (app → experts): kept whatever their domain
	// or load, but a conflicted expert is refused.
	Manual map[string][]string
	// Declined are the experts who declared a conflict on opening an application
	// (app → experts): never assigned to it again.
	Declined map[string][]string
	// Seed makes the tie-break between equally loaded experts reproducible.
	Seed uint64
	// DomainLabel names a domain key in messages (the program's DomainLabel); nil
	// shows keys.
	DomainLabel func(string) string
}

// Assignment is who reviews what.
type Assignment struct {
	// Experts maps each application to its experts: kept ones first, in order.
	Experts map[string][]string
	// Load is how many applications each expert of the pool has.
	Load map[string]int
	// Shortfalls lists the applications that got fewer experts than needed.
	Shortfalls []Shortfall
	// Dropped lists existing assignments removed because of a conflict.
	Dropped []Drop
}

// Shortfall is an application with too few eligible experts.
type Shortfall struct {
	AppID   string
	Need    int
	Got     int
	Domains []string
	Message string
}

// Drop is an existing assignment removed, with why.
type Drop struct {
	AppID, ExpertID, Reason string
}

// Has reports whether expert is assigned to app: the only applications an expert
// may open.
func (a Assignment) Has(app, expert string) bool {
	return slices.Contains(a.Experts[app], expert)
}

// Assign gives each application n experts whose domains meet the application's and
// who have no conflict of interest with it, balancing the load: for each place the
// least-loaded eligible expert is taken, ties broken by an order drawn from the seed.
// Applications with the fewest eligible experts are served first. Existing and
// manual assignments count in the load, including existing assignments of
// applications not in apps (an earlier batch), which are carried over unchanged.
//
// When some application cannot get n experts, the assignment made so far is returned
// with its Shortfalls and an EINVALID *biopilot.Error naming the applications and
// domains. A manual override naming a conflicted or unknown expert is an EINVALID
// error and nothing is assigned.
func Assign(apps []Candidate, experts []Expert, n int, opt Options) (Assignment, error) {
	if n <= 0 {
		return Assignment{}, biopilot.FieldErrorf("experts_per_application", "每件申报书的评审专家人数应大于 0")
	}
	pool := newPool(experts, opt.Seed)
	a := Assignment{Experts: make(map[string][]string), Load: make(map[string]int)}
	for _, e := range experts {
		a.Load[e.ID] = 0
	}
	byID := make(map[string]Candidate, len(apps))
	for _, app := range apps {
		byID[app.ID] = app
	}
	// Manual overrides first: refused outright when conflicted.
	for _, app := range apps {
		for _, id := range opt.Manual[app.ID] {
			e, ok := pool.byID[id]
			if !ok {
				return Assignment{}, biopilot.FieldErrorf("manual", "专家 %s 不在专家库中", id)
			}
			if slices.Contains(opt.Declined[app.ID], id) {
				return Assignment{}, biopilot.FieldErrorf("manual", "专家 %s 已声明与申报书 %s 存在利益冲突，不能指定", e.Name, app.ID)
			}
			if c := Conflicts(e, app); len(c) > 0 {
				return Assignment{}, biopilot.FieldErrorf("manual", "专家 %s 与申报书 %s 存在利益冲突（%s），不能指定", e.Name, app.ID, strings.Join(c, "；"))
			}
			a.add(app.ID, id)
		}
	}
	// Existing assignments: kept unless now conflicted, declined or gone.
	for _, app := range apps {
		for _, id := range opt.Existing[app.ID] {
			if a.Has(app.ID, id) {
				continue
			}
			e, ok := pool.byID[id]
			switch {
			case !ok:
				a.Dropped = append(a.Dropped, Drop{app.ID, id, "专家已不在专家库中"})
			case slices.Contains(opt.Declined[app.ID], id):
				a.Dropped = append(a.Dropped, Drop{app.ID, id, "专家已声明利益冲突"})
			case len(Conflicts(e, app)) > 0:
				a.Dropped = append(a.Dropped, Drop{app.ID, id, strings.Join(Conflicts(e, app), "；")})
			default:
				a.add(app.ID, id)
			}
		}
	}
	// Existing assignments of applications outside this batch are carried over as
	// they are and count in the load.
	for appID, ids := range opt.Existing {
		if _, ok := byID[appID]; ok {
			continue
		}
		for _, id := range ids {
			if !a.Has(appID, id) {
				a.add(appID, id)
			}
		}
	}
	fillAll(&a, apps, pool, n, opt)
	return a, shortfallError(a.Shortfalls)
}

// Reassign removes an expert who declared a conflict on app and gives app one
// replacement (the least-loaded eligible expert), leaving every other assignment as
// it is. opt.Declined must already include the declaration (it is added if not).
// It returns the new assignment and the replacement's ID ("" with an error when
// nobody eligible is left).
func Reassign(a Assignment, app Candidate, declined string, experts []Expert, opt Options) (Assignment, string, error) {
	if !a.Has(app.ID, declined) {
		return a, "", biopilot.Errorf(biopilot.ENOTFOUND, "专家 %s 未被分配评审申报书 %s", declined, app.ID)
	}
	dec := make(map[string][]string, len(opt.Declined)+1)
	for k, v := range opt.Declined {
		dec[k] = slices.Clone(v)
	}
	if !slices.Contains(dec[app.ID], declined) {
		dec[app.ID] = append(dec[app.ID], declined)
	}
	opt.Declined = dec
	out := Assignment{Experts: make(map[string][]string, len(a.Experts)), Load: make(map[string]int, len(a.Load))}
	for k, v := range a.Load {
		out.Load[k] = v
	}
	for k, v := range a.Experts {
		out.Experts[k] = slices.Clone(v)
	}
	out.Experts[app.ID] = slices.DeleteFunc(out.Experts[app.ID], func(id string) bool { return id == declined })
	out.Load[declined]--
	need := len(out.Experts[app.ID]) + 1
	fillAll(&out, []Candidate{app}, newPool(experts, opt.Seed), need, opt)
	if len(out.Shortfalls) > 0 {
		return out, "", shortfallError(out.Shortfalls)
	}
	got := out.Experts[app.ID]
	return out, got[len(got)-1], nil
}

// Declaration is what an expert declares on opening an assigned application, before
// seeing its content: no conflict, or a conflict with its reason. A conflict hides the
// application from the expert and calls for Reassign.
type Declaration struct {
	AppID    string
	ExpertID string
	Conflict bool
	Reason   string
}

// Validate checks a declaration: a conflict needs a reason.
func (d Declaration) Validate() error {
	if d.Conflict && strings.TrimSpace(d.Reason) == "" {
		return biopilot.FieldErrorf("reason", "声明存在利益冲突时请说明原因")
	}
	return nil
}

func (a *Assignment) add(app, expert string) {
	a.Experts[app] = append(a.Experts[app], expert)
	a.Load[expert]++
}

// pool is the expert pool with a seeded tie-break order.
type pool struct {
	experts []Expert
	byID    map[string]Expert
	rank    map[string]int
}

func newPool(experts []Expert, seed uint64) *pool {
	p := &pool{experts: experts, byID: make(map[string]Expert, len(experts)), rank: make(map[string]int, len(experts))}
	ids := make([]string, 0, len(experts))
	for _, e := range experts {
		p.byID[e.ID] = e
		ids = append(ids, e.ID)
	}
	sort.Strings(ids) // independent of the input order
	r := rand.New(rand.NewPCG(seed, 0x6e6174696f6e616c))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for i, id := range ids {
		p.rank[id] = i
	}
	return p
}

// eligible lists the experts who may still be given app.
func (p *pool) eligible(a *Assignment, app Candidate, opt Options) []string {
	var out []string
	for _, e := range p.experts {
		if a.Has(app.ID, e.ID) || slices.Contains(opt.Declined[app.ID], e.ID) {
			continue
		}
		if !intersects(e.Domains, app.Domains) || len(Conflicts(e, app)) > 0 {
			continue
		}
		out = append(out, e.ID)
	}
	return out
}

// fillAll tops every application up to n experts, scarcest first.
func fillAll(a *Assignment, apps []Candidate, p *pool, n int, opt Options) {
	type todo struct {
		app   Candidate
		cands []string // eligible experts; assigning other applications does not change it
	}
	var list []todo
	for _, app := range apps {
		list = append(list, todo{app, p.eligible(a, app, opt)})
	}
	sort.SliceStable(list, func(i, j int) bool {
		if len(list[i].cands) != len(list[j].cands) {
			return len(list[i].cands) < len(list[j].cands)
		}
		return list[i].app.ID < list[j].app.ID
	})
	for _, t := range list {
		app, cands := t.app, t.cands
		for len(a.Experts[app.ID]) < n && len(cands) > 0 {
			best := slices.MinFunc(cands, func(x, y string) int {
				if a.Load[x] != a.Load[y] {
					return a.Load[x] - a.Load[y]
				}
				return p.rank[x] - p.rank[y]
			})
			a.add(app.ID, best)
			cands = slices.DeleteFunc(cands, func(id string) bool { return id == best })
		}
		if got := len(a.Experts[app.ID]); got < n {
			a.Shortfalls = append(a.Shortfalls, Shortfall{
				AppID: app.ID, Need: n, Got: got, Domains: app.Domains,
				Message: fmt.Sprintf("申报书 %s 需要 %d 名评审专家，符合%s领域且无利益冲突的专家仅有 %d 名", app.ID, n, labels(app.Domains, opt.DomainLabel), got),
			})
		}
	}
	sort.SliceStable(a.Shortfalls, func(i, j int) bool { return a.Shortfalls[i].AppID < a.Shortfalls[j].AppID })
}

func labels(domains []string, label func(string) string) string {
	out := make([]string, len(domains))
	for i, d := range domains {
		out[i] = d
		if label != nil {
			out[i] = label(d)
		}
	}
	return strings.Join(out, "、")
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func shortfallError(s []Shortfall) error {
	if len(s) == 0 {
		return nil
	}
	e := &biopilot.Error{Code: biopilot.EINVALID, Message: fmt.Sprintf("%d 件申报书的评审专家不足：%s", len(s), s[0].Message)}
	for _, x := range s {
		e.Fields = append(e.Fields, biopilot.FieldError{Field: x.AppID, Message: x.Message})
	}
	return e
}
