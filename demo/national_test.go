package demo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"biopilot"
	"biopilot/auth"
	"biopilot/authz"
	"biopilot/export"
	"biopilot/national"
	"biopilot/program"
	"biopilot/store"
)

// TestSeedNational: the national demo keeps every provincial demo state and adds
// recommended applications from both provinces, with each province's authorities
// named in its letters and seals, Jiangsu's and the ministry's accounts, and an
// expert pool from which five experts per application can be assigned with
// conflicts of interest excluded.
func TestSeedNational(t *testing.T) {
	s := seedProgram(t, program.MustNamed("cn-2025"), true)
	ctx := context.Background()
	apps, _, err := s.db.Applications(ctx, store.ApplicationFilter{ProgramID: s.prog.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]int{}
	var recommended []*biopilot.Application
	for _, a := range apps {
		have[string(a.State)+"@"+a.CityCode]++
		if a.State == biopilot.StateRecommendedToMinistry {
			recommended = append(recommended, a)
		}
	}
	for want, n := range map[string]int{"submitted@440100": 1, "submitted@440600": 1, "returned@440100": 1,
		"city_proposed@440100": 1, "at_province@440600": 1, "draft@440600": 1,
		"recommended_to_ministry@440100": 2, "recommended_to_ministry@440600": 1, "recommended_to_ministry@320100": 3} {
		if have[want] != n {
			t.Errorf("%d applications %s, want %d; have %v", have[want], want, n, have)
		}
	}

	// Each recommended application carries its own province's seals and opinion, and
	// its number its province's abbreviation.
	for _, a := range recommended {
		a, err := s.db.Application(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		miit, drc := s.prog.ProvinceAuthorities(a.CityCode)
		op, err := s.srv.ProvinceOpinion(ctx, a)
		if err != nil || op == nil || len(op.Signatures) != 2 {
			t.Fatalf("%s: province opinion %+v %v", a.PlatformName, op, err)
		}
		if op.Signatures[0].Holder != miit || op.Signatures[1].Holder != drc || !strings.Contains(op.Opinion, miit) {
			t.Errorf("%s: seals by %q and %q, opinion %q; want %s and %s", a.PlatformName,
				op.Signatures[0].Holder, op.Signatures[1].Holder, op.Opinion, miit, drc)
		}
		prefix := map[string]string{"440000": "GD2025-", "320000": "JS2025-"}[authz.ProvinceOf(a.CityCode)]
		if n := export.Number(s.prog, a); !strings.HasPrefix(n, prefix+a.CityCode) {
			t.Errorf("%s: number %s, want prefix %s", a.PlatformName, n, prefix)
		}
	}

	// 南京's letter is addressed to 江苏省工业和信息化厅, copied to its 发展和改革委员会.
	recs, err := s.db.Recommendations(ctx, s.prog.ID, store.LevelCity, "320100")
	if err != nil || len(recs) != 1 || recs[0].State != store.RecSent {
		t.Fatalf("南京's letters: %v %v", recs, err)
	}
	l, items, err := s.srv.Letter(ctx, recs[0])
	if err != nil {
		t.Fatal(err)
	}
	if l.Addressee != "江苏省工业和信息化厅" || len(l.CC) != 1 || l.CC[0] != "江苏省发展和改革委员会" || len(items) != 3 ||
		l.Authorities[0].Holder != "南京市工业和信息化局" || l.Number != "宁工信函〔2025〕27号" {
		t.Errorf("南京's letter: to %q cc %v by %v, %d items, %s", l.Addressee, l.CC, l.Authorities, len(items), l.Number)
	}

	// The new accounts log in with the demo password and have their roles.
	roles := map[string]biopilot.Role{"nj-miit": biopilot.RoleCityMIIT, "nj-drc": biopilot.RoleCityDRC,
		"js-prov-miit": biopilot.RoleProvMIIT, "js-prov-drc": biopilot.RoleProvDRC, "ministry": biopilot.RoleMinistry,
		"nj-pharma": biopilot.RoleApplicant, "fs-fiber": biopilot.RoleApplicant}
	for i := 1; i <= 7; i++ {
		roles["expert"+strconv.Itoa(i)] = biopilot.RoleExpert
	}
	printed := map[string]bool{}
	for _, a := range s.accounts {
		printed[a.Username] = true
	}
	for name, role := range roles {
		u, err := s.db.UserByUsername(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ok, _ := auth.VerifyPassword(u.PasswordHash, Password); !ok || u.Role != role || !printed[name] {
			t.Errorf("%s: role %s (want %s), password ok %v, printed %v", name, u.Role, role, ok, printed[name])
		}
	}
	if u, _ := s.db.UserByUsername(ctx, "ministry"); u.Jurisdiction != biopilot.CountryCode {
		t.Errorf("ministry's jurisdiction %q", u.Jurisdiction)
	}

	// Five experts per recommended application, conflicts excluded, no shortfall.
	pool, err := s.db.Experts(ctx, s.prog.ID)
	if err != nil || len(pool) != 7 {
		t.Fatalf("expert pool: %d %v", len(pool), err)
	}
	var experts []national.Expert
	for _, e := range pool {
		if e.UserID == 0 || !e.Active {
			t.Errorf("expert %s: user %d active %v", e.Name, e.UserID, e.Active)
		}
		experts = append(experts, national.Expert{ID: strconv.FormatInt(e.ID, 10), Name: e.Name, OrgName: e.OrgName,
			OrgUSCC: e.OrgUSCC, CityCode: e.CityCode, Domains: e.Domains, Relations: e.Relations})
	}
	var cands []national.Candidate
	orgs := map[int64]*biopilot.Organisation{}
	for _, a := range recommended {
		o, err := s.db.Organisation(ctx, a.OrgID)
		if err != nil {
			t.Fatal(err)
		}
		orgs[a.ID] = o
		cands = append(cands, national.Candidate{ID: strconv.FormatInt(a.ID, 10), OrgUSCC: o.USCC, OrgName: o.Name,
			CityCode: a.CityCode, Domains: a.Domains})
	}
	n := s.prog.Eval().ExpertsPerApplication
	as, err := national.Assign(cands, experts, n, national.Options{DomainLabel: s.prog.DomainLabel})
	if err != nil || len(as.Shortfalls) > 0 {
		t.Fatalf("assignment of %d experts: %v %v", n, err, as.Shortfalls)
	}
	excluded := 0
	for _, c := range cands {
		if got := len(as.Experts[c.ID]); got != n {
			t.Errorf("application %s: %d experts", c.ID, got)
		}
		for _, e := range experts {
			if len(national.Conflicts(e, c)) > 0 {
				excluded++
				if as.Has(c.ID, e.ID) {
					t.Errorf("conflicted expert %s assigned to %s", e.Name, c.OrgName)
				}
			}
		}
	}
	if excluded < 6 {
		t.Errorf("only %d conflicts in the demo; it should show exclusions by city and by relation", excluded)
	}
	if t.Failed() {
		for _, a := range recommended {
			t.Log(fmt.Sprintf("%d %s %s %v", a.ID, a.CityCode, orgs[a.ID].Name, a.Domains))
		}
	}
}

// TestSeedNationalNeedsNationalProgram: the provincial program cannot take the
// national walk-through.
func TestSeedNationalNeedsNationalProgram(t *testing.T) {
	s := seed(t)
	_, err := SeedNational(context.Background(), s.deps)
	if err == nil || !strings.Contains(err.Error(), "national program") {
		t.Fatalf("SeedNational on %s: %v", s.prog.ID, err)
	}
	if _, err := s.db.UserByUsername(context.Background(), "ministry"); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Errorf("the provincial demo has a ministry account: %v", err)
	}
}
