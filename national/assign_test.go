package national

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"biopilot"
)

var app = Candidate{ID: "A1", OrgUSCC: "91440606MA5ABCDE1P", OrgName: "广东示例酶工程有限公司", CityCode: "440600", Domains: []string{"enzymes", "food_additives"}}

func TestConflicts(t *testing.T) {
	tests := []struct {
		name   string
		expert Expert
		want   []string // prefixes of the reasons, in order
	}{
		{"none", Expert{ID: "e", OrgName: "某大学", OrgUSCC: "12440000X", CityCode: "440100"}, nil},
		{"same org by USCC", Expert{ID: "e", OrgUSCC: "91440606ma5abcde1p", CityCode: "440100"}, []string{"同一单位"}},
		{"same org by name", Expert{ID: "e", OrgName: "广东示例酶工程有限公司 ", CityCode: "440100"}, []string{"同一单位"}},
		{"same city", Expert{ID: "e", OrgName: "佛山某研究院", CityCode: "440600"}, []string{"同一地市"}},
		{"declared relation by USCC", Expert{ID: "e", CityCode: "440300", Relations: []Relation{{USCC: "91440606MA5ABCDE1P", Kind: "近三年合作项目"}}}, []string{"申报关联关系：近三年合作项目"}},
		{"declared relation by name", Expert{ID: "e", CityCode: "440300", Relations: []Relation{{OrgName: "广东示例酶工程有限公司"}}}, []string{"申报关联关系：关联"}},
		{"relation with another org", Expert{ID: "e", CityCode: "440300", Relations: []Relation{{USCC: "91440300XXXXXXXXXX"}}}, nil},
		{"all three", Expert{ID: "e", OrgUSCC: "91440606MA5ABCDE1P", CityCode: "440600", Relations: []Relation{{USCC: "91440606MA5ABCDE1P", Kind: "兼职"}}}, []string{"同一单位", "同一地市", "申报关联关系"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Conflicts(tt.expert, app)
			if len(got) != len(tt.want) {
				t.Fatalf("Conflicts = %q, want %d reasons %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("reason %d = %q, want prefix %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// expertPool builds n experts of a domain in a city, IDs prefix01…
func expertPool(prefix, domain, city string, n int) []Expert {
	var out []Expert
	for i := 1; i <= n; i++ {
		out = append(out, Expert{ID: fmt.Sprintf("%s%02d", prefix, i), Name: fmt.Sprintf("专家%s%d", prefix, i), OrgName: "单位" + prefix + fmt.Sprint(i), CityCode: city, Domains: []string{domain}})
	}
	return out
}

func TestAssignExclusionsAndBalance(t *testing.T) {
	experts := expertPool("enz", "enzymes", "440100", 8)
	experts = append(experts,
		Expert{ID: "same-org", OrgUSCC: app.OrgUSCC, CityCode: "440300", Domains: []string{"enzymes"}},
		Expert{ID: "same-city", CityCode: "440600", Domains: []string{"enzymes"}},
		Expert{ID: "related", CityCode: "440300", Domains: []string{"food_additives"}, Relations: []Relation{{OrgName: app.OrgName, Kind: "亲属任职"}}},
		Expert{ID: "other-domain", CityCode: "440300", Domains: []string{"energy"}},
	)
	var apps []Candidate
	for i := 1; i <= 8; i++ {
		a := app
		a.ID = fmt.Sprintf("A%d", i)
		apps = append(apps, a)
	}
	got, err := Assign(apps, experts, 5, Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		ids := got.Experts[a.ID]
		if len(ids) != 5 {
			t.Errorf("%s got %d experts, want 5", a.ID, len(ids))
		}
		for _, bad := range []string{"same-org", "same-city", "related", "other-domain"} {
			if slices.Contains(ids, bad) {
				t.Errorf("%s was assigned excluded expert %s", a.ID, bad)
			}
		}
		if len(ids) != len(slices.Compact(slices.Sorted(slices.Values(ids)))) {
			t.Errorf("%s has an expert twice: %v", a.ID, ids)
		}
	}
	// 8 applications × 5 places over 8 eligible experts: exactly 5 each.
	for i := 1; i <= 8; i++ {
		if l := got.Load[fmt.Sprintf("enz%02d", i)]; l != 5 {
			t.Errorf("load of enz%02d = %d, want 5 (balanced)", i, l)
		}
	}
	again, _ := Assign(apps, experts, 5, Options{Seed: 7})
	for _, a := range apps {
		if !slices.Equal(again.Experts[a.ID], got.Experts[a.ID]) {
			t.Fatalf("same seed, different assignment for %s", a.ID)
		}
	}
}

func TestAssignExistingAndManual(t *testing.T) {
	experts := expertPool("e", "enzymes", "440100", 6)
	experts = append(experts, Expert{ID: "energy1", CityCode: "440300", Domains: []string{"energy"}},
		Expert{ID: "local", CityCode: "440600", Domains: []string{"enzymes"}})
	apps := []Candidate{app}
	t.Run("existing kept, conflicted one dropped", func(t *testing.T) {
		got, err := Assign(apps, experts, 3, Options{Existing: map[string][]string{"A1": {"e03", "local"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids := got.Experts["A1"]
		if len(ids) != 3 || ids[0] != "e03" || slices.Contains(ids, "local") {
			t.Errorf("experts = %v, want e03 first, 3 in all, without local", ids)
		}
		if len(got.Dropped) != 1 || got.Dropped[0].ExpertID != "local" || !strings.Contains(got.Dropped[0].Reason, "同一地市") {
			t.Errorf("dropped = %+v", got.Dropped)
		}
	})
	t.Run("manual override outside the domain", func(t *testing.T) {
		got, err := Assign(apps, experts, 3, Options{Manual: map[string][]string{"A1": {"energy1"}}})
		if err != nil {
			t.Fatal(err)
		}
		if ids := got.Experts["A1"]; len(ids) != 3 || ids[0] != "energy1" {
			t.Errorf("experts = %v, want energy1 kept first", ids)
		}
	})
	t.Run("manual override with a conflict is refused", func(t *testing.T) {
		_, err := Assign(apps, experts, 3, Options{Manual: map[string][]string{"A1": {"local"}}})
		if biopilot.ErrorCode(err) != biopilot.EINVALID || !strings.Contains(biopilot.ErrorMessage(err), "同一地市") {
			t.Errorf("err = %v, want EINVALID naming 同一地市", err)
		}
	})
	t.Run("declined never assigned", func(t *testing.T) {
		got, err := Assign(apps, experts, 6, Options{Declined: map[string][]string{"A1": {"e01"}}})
		if err == nil || slices.Contains(got.Experts["A1"], "e01") {
			t.Errorf("experts = %v, err = %v; want e01 excluded and a shortfall (5 of 6)", got.Experts["A1"], err)
		}
	})
	t.Run("load counts existing assignments of an earlier batch", func(t *testing.T) {
		existing := map[string][]string{"B1": {"e01", "e02", "e03"}}
		got, err := Assign([]Candidate{app}, experts, 3, Options{Existing: existing})
		if err != nil {
			t.Fatal(err)
		}
		if ids := slices.Sorted(slices.Values(got.Experts["A1"])); !slices.Equal(ids, []string{"e04", "e05", "e06"}) {
			t.Errorf("A1 experts = %v, want the three unloaded ones", ids)
		}
		if !slices.Equal(got.Experts["B1"], existing["B1"]) || got.Load["e01"] != 1 {
			t.Errorf("earlier batch not carried over: %v, load %v", got.Experts["B1"], got.Load)
		}
	})
}

func TestAssignShortfall(t *testing.T) {
	experts := append(expertPool("e", "enzymes", "440100", 3), expertPool("p", "plant_chassis", "440100", 1)...)
	apps := []Candidate{
		{ID: "A1", CityCode: "440600", Domains: []string{"enzymes"}},
		{ID: "A2", CityCode: "440600", Domains: []string{"plant_chassis"}},
	}
	label := map[string]string{"plant_chassis": "植物底盘细胞开发领域", "enzymes": "酶制剂领域"}
	got, err := Assign(apps, experts, 3, Options{DomainLabel: func(k string) string { return label[k] }})
	var e *biopilot.Error
	if err == nil || !errors.As(err, &e) || e.Code != biopilot.EINVALID {
		t.Fatalf("err = %v, want an EINVALID shortfall", err)
	}
	if len(got.Shortfalls) != 1 || got.Shortfalls[0].AppID != "A2" || got.Shortfalls[0].Got != 1 || got.Shortfalls[0].Need != 3 {
		t.Fatalf("shortfalls = %+v", got.Shortfalls)
	}
	if !strings.Contains(got.Shortfalls[0].Message, "植物底盘细胞开发领域") || len(e.Fields) != 1 || e.Fields[0].Field != "A2" {
		t.Errorf("shortfall not named by domain/app: %q %+v", got.Shortfalls[0].Message, e.Fields)
	}
	if len(got.Experts["A1"]) != 3 || len(got.Experts["A2"]) != 1 {
		t.Errorf("partial assignment = %v", got.Experts)
	}
	if _, err := Assign(apps, experts, 0, Options{}); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("n = 0: err = %v", err)
	}
}

func TestReassign(t *testing.T) {
	experts := expertPool("e", "enzymes", "440100", 5)
	b := app
	b.ID = "B1"
	a, err := Assign([]Candidate{app, b}, experts, 2, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	declined := a.Experts["A1"][0]
	out, repl, err := Reassign(a, app, declined, experts, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if repl == "" || repl == declined || slices.Contains(out.Experts["A1"], declined) || !out.Has("A1", repl) || len(out.Experts["A1"]) != 2 {
		t.Fatalf("after reassignment A1 = %v (replacement %s, declined %s)", out.Experts["A1"], repl, declined)
	}
	if !slices.Equal(out.Experts["B1"], a.Experts["B1"]) || !a.Has("A1", declined) {
		t.Error("reassignment changed another application or the input")
	}
	if a.Load[repl] != 0 {
		t.Errorf("replacement %s had load %d; the least-loaded (0) should be taken", repl, a.Load[repl])
	}
	if out.Load[declined] != a.Load[declined]-1 || out.Load[repl] != a.Load[repl]+1 {
		t.Errorf("loads not updated: %v → %v", a.Load, out.Load)
	}
	// Declining again until nobody is left.
	cur := out
	opt := Options{Declined: map[string][]string{"A1": {declined}}}
	for i := 0; i < 10; i++ {
		var r string
		cur2, r, err := Reassign(cur, app, cur.Experts["A1"][0], experts, opt)
		opt.Declined["A1"] = append(opt.Declined["A1"], cur.Experts["A1"][0])
		if err != nil {
			if biopilot.ErrorCode(err) != biopilot.EINVALID || r != "" {
				t.Fatalf("err = %v, replacement %q", err, r)
			}
			return
		}
		cur = cur2
	}
	t.Fatal("reassignment never ran out of experts")
}

func TestReassignNotAssigned(t *testing.T) {
	a := Assignment{Experts: map[string][]string{"A1": {"x"}}, Load: map[string]int{"x": 1}}
	if _, _, err := Reassign(a, app, "y", nil, Options{}); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Errorf("err = %v, want ENOTFOUND", err)
	}
}

func TestDeclarationValidate(t *testing.T) {
	if err := (Declaration{AppID: "A1", ExpertID: "e", Conflict: false}).Validate(); err != nil {
		t.Errorf("no conflict: %v", err)
	}
	if err := (Declaration{AppID: "A1", ExpertID: "e", Conflict: true}).Validate(); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("conflict without reason: %v", err)
	}
	if err := (Declaration{AppID: "A1", ExpertID: "e", Conflict: true, Reason: "曾在该单位任职"}).Validate(); err != nil {
		t.Errorf("conflict with reason: %v", err)
	}
}

// BenchmarkAssign is a national round: 600 applications over the nine domains,
// 900 experts, 5 each.
func BenchmarkAssign(b *testing.B) {
	domains := []string{"food_additives", "biopharma", "cosmetics", "chemicals", "energy", "enzymes", "lignocellulose", "c1_feedstock", "plant_chassis"}
	cities := []string{"440100", "440300", "320500", "110100", "330100", "510100"}
	var experts []Expert
	for i := 0; i < 900; i++ {
		experts = append(experts, Expert{ID: fmt.Sprintf("e%03d", i), OrgName: fmt.Sprintf("单位%d", i%300), CityCode: cities[i%len(cities)],
			Domains: []string{domains[i%9], domains[(i/9)%9]}, Relations: []Relation{{OrgName: fmt.Sprintf("企业%d", i%600)}}})
	}
	var apps []Candidate
	for i := 0; i < 600; i++ {
		apps = append(apps, Candidate{ID: fmt.Sprintf("A%03d", i), OrgName: fmt.Sprintf("企业%d", i), CityCode: cities[(i+1)%len(cities)], Domains: []string{domains[i%9]}})
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Assign(apps, experts, 5, Options{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
