package rules

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"biopilot/program"
)

const examplePath = "../../shared/spec/examples/eligible-enzymes.json"

// testEngine compiles the default program once per test binary.
var testEngine = func() *Engine {
	e, err := Compile(program.MustDefault())
	if err != nil {
		panic(err)
	}
	return e
}()

// exampleJSON returns the example document as a JSON object to edit.
func exampleJSON(t testing.TB) map[string]any {
	t.Helper()
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// edit sets dotted keys of a JSON object; a nil value deletes the key.
func edit(m map[string]any, edits map[string]any) {
	for k, v := range edits {
		parts := strings.Split(k, ".")
		cur := m
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		if v == nil {
			delete(cur, parts[len(parts)-1])
		} else {
			cur[parts[len(parts)-1]] = v
		}
	}
}

// judge evaluates the example with edits, going through the strict decoder as a
// real document does.
func judge(t testing.TB, e *Engine, edits map[string]any) *Report {
	t.Helper()
	m := exampleJSON(t)
	edit(m, edits)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := e.Program().Form.DecodeDocument(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return e.Evaluate(doc)
}

func find(rep *Report, id string) *Result {
	for i := range rep.Rules {
		if rep.Rules[i].ID == id {
			return &rep.Rules[i]
		}
	}
	return nil
}

func TestExampleEligible(t *testing.T) {
	rep := judge(t, testEngine, nil)
	if rep.Verdict != Eligible {
		t.Errorf("verdict = %s", rep.Verdict)
	}
	want := []string{"A1", "A2", "A3", "A4", "A5", "T1", "T2", "T3", "T4", "T5", "T6", "T7.enzymes", "T7.food_additives",
		"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "V1", "V2", "V3", "P1", "P2", "P3", "P4", "P5",
		"F1", "F2", "F3", "F4", "F5", "F6"}
	if len(rep.Rules) != len(want) {
		t.Fatalf("%d results, want %d", len(rep.Rules), len(want))
	}
	for i, r := range rep.Rules {
		if r.ID != want[i] {
			t.Errorf("rule %d = %s, want %s", i, r.ID, want[i])
		}
		wantStatus := Pass
		if r.ID == "V3" {
			wantStatus = NA
		}
		if r.Status != wantStatus {
			t.Errorf("%s: %s (%s), want %s", r.ID, r.Status, r.Message, wantStatus)
		}
		if r.Title == "" || r.Clause == "" || r.Message == "" || r.Guide == "" || r.Group == "" {
			t.Errorf("%s: incomplete result %+v", r.ID, r)
		}
		if strings.Contains(r.Message, "规则无法计算") || strings.Contains(r.Message, ".0 ") {
			t.Errorf("%s: message %q", r.ID, r.Message)
		}
	}
	if got := find(rep, "S7").Message; !strings.Contains(got, "72.7%") || !strings.Contains(got, "16 人") {
		t.Errorf("S7 message %q", got)
	}
	if got := find(rep, "S1").Message; got != "用房面积 2600 平方米，不少于指南要求的 1500 平方米" {
		t.Errorf("S1 message %q", got)
	}
}

// fermentation returns fermentation rows with the given volumes.
func fermentation(vols ...float64) []any {
	var rows []any
	for _, v := range vols {
		rows = append(rows, map[string]any{"category": "发酵罐", "volume_l": v, "quantity": 1})
	}
	return rows
}

func rows(names ...string) []any {
	var out []any
	for _, n := range names {
		out = append(out, map[string]any{"name": n})
	}
	return out
}

type statusCase struct {
	name   string
	edits  map[string]any
	id     string
	status string
	msg    []string // substrings of the message
	fields []string // when set, the result's fields
}

func runCases(t *testing.T, cases []statusCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
			rep := judge(t, testEngine, tc.edits)
			r := find(rep, tc.id)
			if r == nil {
				t.Fatalf("no result %s in %v", tc.id, rep.Rules)
			}
			if r.Status != tc.status {
				t.Errorf("status = %s (%s), want %s", r.Status, r.Message, tc.status)
			}
			for _, m := range tc.msg {
				if !strings.Contains(r.Message, m) {
					t.Errorf("message %q does not contain %q", r.Message, m)
				}
			}
			if tc.fields != nil && strings.Join(r.Fields, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields = %v, want %v", r.Fields, tc.fields)
			}
		})
	}
}

func TestApplicantRules(t *testing.T) {
	runCases(t, []statusCase{
		{"valid", nil, "A1", Pass, []string{"91440606MA5ABCDE1P", "440606"}, []string{"applicant.uscc"}},
		{"bad check char", map[string]any{"applicant.uscc": "91440606MA5ABCDE1Q"}, "A1", Fail, []string{"无效", "应为「P」"}, nil},
		{"bad length", map[string]any{"applicant.uscc": "9144060"}, "A1", Fail, []string{"应为 18 位"}, nil},
		{"outside Guangdong", map[string]any{"applicant.uscc": "91110000100000000R"}, "A1", Fail, []string{"110000", "不属于广东省"}, nil},
		{"absent", map[string]any{"applicant.uscc": nil}, "A1", Missing, []string{"统一社会信用代码"}, []string{"applicant.uscc"}},
		{"blank", map[string]any{"applicant.uscc": "  "}, "A1", Missing, nil, nil},
		{"sole trader", map[string]any{"applicant.uscc": "92440101MA59XXXXX7"}, "A2", Fail, []string{"92", "个体工商户"}, nil},
		{"company", nil, "A2", Pass, nil, nil},
		{"absent", map[string]any{"applicant.uscc": nil}, "A2", Missing, nil, nil},
		{"penalized", map[string]any{"compliance.penalized": true, "compliance.penalty_details": "2023年环保罚款"}, "A3", Fail, []string{"受到处罚", "2023年环保罚款"}, nil},
		{"not penalized", nil, "A3", Pass, nil, nil},
		{"absent", map[string]any{"compliance.penalized": nil}, "A3", Missing, nil, nil},
		{"not built", map[string]any{"platform.built": false}, "A4", Fail, []string{"尚未建成"}, nil},
		{"zero years", map[string]any{"platform.operating_years": 0}, "A4", Fail, []string{"0 年"}, nil},
		{"years absent", map[string]any{"platform.operating_years": nil}, "A4", Missing, []string{"平台运行时间"}, []string{"platform.operating_years"}},
		{"built absent", map[string]any{"platform.built": nil}, "A4", Missing, nil, nil},
		{"half a year", map[string]any{"platform.operating_years": 0.5}, "A4", Pass, []string{"0.5 年"}, nil},
		{"no domain", map[string]any{"domains": []any{}}, "A5", Missing, nil, nil},
		{"domains absent", map[string]any{"domains": nil}, "A5", Missing, nil, nil},
		{"one domain", map[string]any{"domains": []any{"energy"}}, "A5", Pass, []string{"1 个", "能源领域"}, nil},
	})
}

func TestEquipmentRules(t *testing.T) {
	runCases(t, []statusCase{
		{"exactly 1000 L", map[string]any{"equipment.fermentation": fermentation(1000, 5)}, "T1", Pass, []string{"1000 L"}, nil},
		{"999 L", map[string]any{"equipment.fermentation": fermentation(999, 5)}, "T1", Fail, []string{"999 L", "低于指南要求的 1000 L"}, nil},
		{"pharma only, small tanks", map[string]any{"equipment.fermentation": fermentation(200), "domains": []any{"biopharma"}}, "T1", Pass, []string{"200 L", "生物制药"}, nil},
		{"pharma and another, small tanks", map[string]any{"equipment.fermentation": fermentation(200), "domains": []any{"biopharma", "enzymes"}}, "T1", Fail, []string{"200 L"}, nil},
		{"no rows", map[string]any{"equipment.fermentation": []any{}}, "T1", Missing, nil, nil},
		{"no volumes", map[string]any{"equipment.fermentation": []any{map[string]any{"category": "发酵罐"}}}, "T1", Missing, []string{"体积"}, nil},
		{"parallel by quantity", map[string]any{"equipment.fermentation": []any{map[string]any{"category": "发酵罐", "volume_l": 2000, "quantity": 2}}}, "T2", Pass, nil, nil},
		{"single tank", map[string]any{"equipment.fermentation": fermentation(2000)}, "T2", Warn, []string{"鼓励"}, nil},
		{"parallel by category", map[string]any{"equipment.fermentation": []any{map[string]any{"category": "平行反应器", "volume_l": 2000, "quantity": 1}}}, "T2", Pass, []string{"平行反应器"}, nil},
		{"no purification", map[string]any{"equipment.purification": []any{}}, "T3", Fail, nil, nil},
		{"purification absent", map[string]any{"equipment.purification": nil}, "T3", Fail, nil, nil},
		{"no testing", map[string]any{"equipment.testing": nil}, "T4", Fail, nil, nil},
		{"no filling or biosafety", map[string]any{"equipment.other": rows("超净工作台")}, "T5", Warn, []string{"分装", "生物安全"}, nil},
		{"biosafety only", map[string]any{"equipment.other": rows("生物安全柜")}, "T5", Pass, []string{"生物安全柜"}, nil},
		{"no software", map[string]any{"software": []any{}}, "T6", Warn, []string{"不影响申报"}, nil},
		// enzymes: 6 instruments; 3 found is exactly 50%.
		{"exactly half", map[string]any{"domains": []any{"enzymes"}, "equipment.purification": rows("细胞破碎仪", "板框过滤机"),
			"equipment.testing": rows("酶标仪", "生化分析仪"), "equipment.other": rows("分装机")}, "T7.enzymes", Pass, []string{"6 类", "3 类", "50%", "脱色装置"}, nil},
		{"below half", map[string]any{"domains": []any{"enzymes"}, "equipment.purification": rows("细胞破碎仪"),
			"equipment.testing": rows("酶标仪"), "equipment.other": rows("分装机")}, "T7.enzymes", Warn, []string{"2 类", "33.3%", "脱色装置", "流化床", "超微量分光光度计", "生化分析仪"}, nil},
		{"substring in category", map[string]any{"domains": []any{"energy"}, "equipment.fermentation": []any{map[string]any{"category": "精馏塔", "volume_l": 2000}}},
			"T7.energy", Warn, []string{"能源领域", "10 类", "3 类（30%）", "反应釜"}, nil},
	})
	// One T7 result per selected domain, none without domains.
	rep := judge(t, testEngine, map[string]any{"domains": []any{"energy", "biopharma", "cosmetics"}, "compliance.gmp": true})
	var ids []string
	for _, r := range rep.Rules {
		if strings.HasPrefix(r.ID, "T7") {
			ids = append(ids, r.ID)
		}
	}
	if strings.Join(ids, " ") != "T7.energy T7.biopharma T7.cosmetics" {
		t.Errorf("T7 results %v", ids)
	}
	rep = judge(t, testEngine, map[string]any{"domains": nil})
	for _, r := range rep.Rules {
		if strings.HasPrefix(r.ID, "T7") {
			t.Errorf("T7 result without domains: %+v", r)
		}
	}
}

func TestSiteAndTeamRules(t *testing.T) {
	runCases(t, []statusCase{
		{"exactly 1500", map[string]any{"site.area_m2": 1500}, "S1", Pass, []string{"1500 平方米"}, []string{"site.area_m2"}},
		{"1200", map[string]any{"site.area_m2": 1200}, "S1", Fail, []string{"用房面积 1200 平方米，低于指南要求的 1500 平方米（指南 二（一））"}, nil},
		{"1499.5", map[string]any{"site.area_m2": 1499.5}, "S1", Fail, []string{"1499.5 平方米"}, nil},
		{"absent", map[string]any{"site.area_m2": nil}, "S1", Missing, []string{"用房面积"}, []string{"site.area_m2"}},
		{"no storage area", map[string]any{"site.facilities": []any{"strain_room", "clean_area", "explosion_proof_area"}}, "S2", Fail, []string{"储存区"}, nil},
		{"no rules", map[string]any{"site.facility_rules": false}, "S2", Fail, []string{"相应管理制度"}, nil},
		{"none", map[string]any{"site.facilities": []any{}}, "S2", Fail, []string{"菌种室、洁净区、防爆区、储存区"}, nil},
		{"absent", map[string]any{"site.facilities": nil}, "S2", Missing, nil, nil},
		{"no health assessment", map[string]any{"site.assessments": []any{"safety", "environmental"}}, "S3", Fail, []string{"卫生评估"}, nil},
		{"no fire protection", map[string]any{"site.safety_equipment": []any{"explosion_proof"}}, "S4", Fail, []string{"消防"}, nil},
		{"two utilities lacking", map[string]any{"utilities": []any{"cip", "ventilation", "air_purification", "pure_water", "steam", "chilled_water", "power_supply"}}, "S5", Fail, []string{"尾气处理系统、污水处理系统"}, nil},
		{"15 people", map[string]any{"team.fixed_technical": 15, "team.qualified": 10}, "S6", Pass, []string{"15 人"}, nil},
		{"14 people", map[string]any{"team.fixed_technical": 14, "team.qualified": 10}, "S6", Fail, []string{"14 人", "15 人"}, nil},
		{"exactly 60%", map[string]any{"team.fixed_technical": 15, "team.qualified": 9}, "S7", Pass, []string{"9 人", "15 人", "60%"}, nil},
		{"53.3%", map[string]any{"team.fixed_technical": 15, "team.qualified": 8}, "S7", Fail, []string{"53.3%", "低于指南要求的 60%"}, nil},
		{"zero team", map[string]any{"team.fixed_technical": 0, "team.qualified": 0}, "S7", Fail, []string{"为 0"}, nil},
		{"qualified absent", map[string]any{"team.qualified": nil}, "S7", Missing, nil, []string{"team.qualified"}},
		{"not certified", map[string]any{"team.certified": false}, "S8", Fail, nil, nil},
	})
}

func TestServiceAndIPRules(t *testing.T) {
	runCases(t, []statusCase{
		{"5 projects", map[string]any{"service_3y.projects": 5, "service_3y.industrialized": 2}, "V1", Pass, []string{"5 项"}, nil},
		{"4 projects", map[string]any{"service_3y.projects": 4, "service_3y.industrialized": 2}, "V1", Fail, []string{"4 项", "5 项"}, nil},
		{"industrialization path", map[string]any{"service_3y.industrialized": 2, "service_3y.revenue_10k_yuan": 1}, "V2", Pass, []string{"产业化", "2 项"}, nil},
		{"no revenue", map[string]any{"service_3y.industrialized": 2, "service_3y.revenue_10k_yuan": 0}, "V2", Fail, []string{"营业收入 0 万元"}, nil},
		{"incubation path", map[string]any{"service_3y.industrialized": 1, "service_3y.incubated_companies": 3, "service_3y.incubated_valuation_10k_yuan": 2000,
			"evidence.industrialization": nil, "evidence.incubation": []any{"att-inc"}}, "V2", Pass, []string{"孵化", "3 家", "2000 万元"}, nil},
		{"valuation too low", map[string]any{"service_3y.industrialized": 1, "service_3y.incubated_companies": 3, "service_3y.incubated_valuation_10k_yuan": 1999}, "V2", Fail, []string{"1999 万元"}, nil},
		{"both paths", map[string]any{"service_3y.incubated_companies": 4, "service_3y.incubated_valuation_10k_yuan": 3000}, "V2", Pass, []string{"两项条件均满足"}, nil},
		{"unknown", map[string]any{"service_3y.industrialized": 1, "service_3y.incubated_companies": nil}, "V2", Missing, []string{"创办或孵化企业"}, []string{"service_3y.incubated_companies"}},
		{"not pharma", nil, "V3", NA, nil, nil},
		{"pharma with GMP", map[string]any{"domains": []any{"biopharma"}, "compliance.gmp": true}, "V3", Pass, nil, nil},
		{"pharma without GMP", map[string]any{"domains": []any{"biopharma"}, "compliance.gmp": false}, "V3", Fail, nil, nil},
		{"pharma, GMP absent", map[string]any{"domains": []any{"enzymes", "biopharma"}}, "V3", Missing, []string{"GMP"}, nil},
		{"organisation blank", map[string]any{"ip.organization": " "}, "P1", Missing, []string{"组织框架情况"}, nil},
		{"strains absent", map[string]any{"ip.strains": nil}, "P2", Missing, nil, nil},
		{"technical absent", map[string]any{"ip.technical": nil}, "P3", Missing, nil, nil},
		{"site absent", map[string]any{"ip.site": nil}, "P4", Missing, nil, nil},
		{"90 days", map[string]any{"ip.cctv_retention_days": 90}, "P5", Pass, []string{"90 天"}, nil},
		{"89 days", map[string]any{"ip.cctv_retention_days": 89}, "P5", Fail, []string{"89 天", "3 个月"}, nil},
		{"absent", map[string]any{"ip.cctv_retention_days": nil}, "P5", Missing, nil, nil},
	})
}

// text of n characters that are not white space, with white space between.
func textOf(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("字")
		if i%10 == 0 {
			b.WriteString(" \n\t　")
		}
	}
	return b.String()
}

func TestFormRules(t *testing.T) {
	runCases(t, []statusCase{
		{"name absent", map[string]any{"applicant.name": nil, "goals.service": ""}, "F1", Missing, []string{"2 项", "申报单位名称", "服务目标"}, []string{"applicant.name", "goals.service"}},
		{"contact mobile absent", map[string]any{"platform.contact.mobile": nil}, "F1", Missing, []string{"平台联系人手机"}, nil},
		{"800 characters", map[string]any{"overview": textOf(800)}, "F2", Pass, nil, nil},
		{"801 characters", map[string]any{"overview": textOf(801)}, "F2", Fail, []string{"「基本情况」801 字，超过 800 字"}, []string{"overview"}},
		{"cases too long", map[string]any{"market.cases": []any{map[string]any{"task": textOf(300), "problem": textOf(150)}, map[string]any{"task": "a", "problem": textOf(50)}}}, "F2", Fail, []string{"501 字"}, []string{"market.cases"}},
		{"service 301", map[string]any{"goals.service": textOf(301)}, "F2", Fail, []string{"301 字，超过 300 字"}, nil},
		{"industrialized > projects", map[string]any{"service_3y.projects": 2, "service_3y.industrialized": 3}, "F3", Fail, []string{"3 项", "2 项"}, []string{"service_3y.industrialized", "service_3y.projects"}},
		{"engineers", map[string]any{"staff.engineering": 20}, "F3", Fail, []string{"合计 22 名", "20 名"}, nil},
		{"qualified > team", map[string]any{"team.qualified": 23}, "F3", Fail, []string{"23 人", "22 人"}, nil},
		{"contract total", map[string]any{"market.contract_total_10k_yuan": 2600.5}, "F3", Fail, []string{"2600 万元", "2600.5 万元"}, nil},
		{"contract total within 0.01", map[string]any{"market.contract_total_10k_yuan": 2600.005}, "F3", Pass, nil, nil},
		{"one case", map[string]any{"market.cases": []any{map[string]any{"task": "a", "problem": "b"}}}, "F3", Fail, []string{"典型案例 1 个"}, nil},
		{"penalty without details", map[string]any{"compliance.penalized": true}, "F3", Fail, []string{"未填写受到何种处罚"}, []string{"compliance.penalty_details"}},
		{"two problems", map[string]any{"team.qualified": 23, "market.cases": []any{}}, "F3", Fail, []string{"23 人", "；", "典型案例 0 个"}, []string{"team.qualified", "team.fixed_technical", "market.cases"}},
		{"no licence", map[string]any{"evidence.license": nil}, "F4", Missing, []string{"营业执照或法人证书"}, []string{"evidence.license"}},
		{"pharma needs gmp", map[string]any{"domains": []any{"biopharma"}, "compliance.gmp": true}, "F4", Missing, []string{"药品质量管理规范符合性证明"}, []string{"evidence.gmp"}},
		{"industrialization evidence", map[string]any{"evidence.industrialization": nil}, "F4", Missing, []string{"成果产业化及营业收入证明"}, nil},
		{"incubation evidence", map[string]any{"service_3y.industrialized": 1, "service_3y.incubated_companies": 3, "service_3y.incubated_valuation_10k_yuan": 2500}, "F4", Missing, []string{"孵化企业及估值证明"}, []string{"evidence.incubation"}},
		{"both paths, either evidence", map[string]any{"service_3y.incubated_companies": 3, "service_3y.incubated_valuation_10k_yuan": 2500,
			"evidence.industrialization": nil, "evidence.incubation": []any{"att-inc-1"}}, "F4", Pass, []string{"孵化企业及估值证明"}, nil},
		{"both paths, no evidence", map[string]any{"service_3y.incubated_companies": 3, "service_3y.incubated_valuation_10k_yuan": 2500,
			"evidence.industrialization": nil}, "F4", Missing, []string{"成果产业化及营业收入证明或孵化企业及估值证明"}, nil},
		{"declaration false", map[string]any{"declaration.accepted": false}, "F5", Fail, nil, nil},
		{"declaration absent", map[string]any{"declaration.accepted": nil}, "F5", Missing, nil, nil},
		{"postcode", map[string]any{"applicant.postcode": "52830"}, "F6", Fail, []string{"邮政编码", "52830", "6 位数字"}, []string{"applicant.postcode"}},
		{"mobile and email", map[string]any{"platform.head.mobile": "23800138000", "platform.contact.email": "li@"}, "F6", Fail,
			[]string{"平台负责人手机", "23800138000", "平台联系人E-mail", "li@"}, []string{"platform.head.mobile", "platform.contact.email"}},
		{"blank is F1's", map[string]any{"applicant.postcode": ""}, "F6", Pass, nil, nil},
	})
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits map[string]any
		want  string
	}{
		{"example", nil, Eligible},
		{"area too small", map[string]any{"site.area_m2": 1000}, Ineligible},
		{"a warning does not block", map[string]any{"software": nil}, Eligible},
		{"missing data", map[string]any{"ip.cctv_retention_days": nil}, Incomplete},
		{"form error", map[string]any{"applicant.postcode": "1"}, Incomplete},
		{"fail beats missing", map[string]any{"ip.cctv_retention_days": nil, "site.area_m2": 1000}, Ineligible},
		{"empty document", map[string]any{}, Eligible},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "empty document" {
				rep := testEngine.Evaluate(program.Document{})
				if rep.Verdict != Ineligible { // T3/T4 fail without equipment
					t.Errorf("empty: verdict %s", rep.Verdict)
				}
				for _, r := range rep.Rules {
					if strings.Contains(r.Message, "规则无法计算") {
						t.Errorf("%s: %s", r.ID, r.Message)
					}
				}
				return
			}
			if got := judge(t, testEngine, tc.edits).Verdict; got != tc.want {
				t.Errorf("verdict = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestEngineDescribesRules(t *testing.T) {
	ri, ok := testEngine.Rule("T7.enzymes")
	if !ok || ri.ID != "T7" || !ri.PerItem || ri.Guide == "" {
		t.Errorf("Rule(T7.enzymes) = %+v, %v", ri, ok)
	}
	ri, ok = testEngine.Rule("S1")
	if !ok || ri.Title != "独立中试场地，用房面积不少于 1500 平方米" || !strings.Contains(ri.Guide, "1500 平方米") {
		t.Errorf("Rule(S1) = %+v", ri)
	}
	if _, ok := testEngine.Rule("Z9"); ok {
		t.Error("Rule(Z9) found")
	}
	if len(testEngine.Groups()) != 6 || testEngine.Group("F").OnFail != "incomplete" {
		t.Errorf("groups = %+v", testEngine.Groups())
	}
}

func TestEvaluateConcurrently(t *testing.T) {
	m := exampleJSON(t)
	data, _ := json.Marshal(m)
	doc, err := testEngine.Program().Form.DecodeDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	want := testEngine.Evaluate(doc)
	done := make(chan *Report)
	for i := 0; i < 4; i++ {
		go func() { done <- testEngine.Evaluate(doc) }()
	}
	for i := 0; i < 4; i++ {
		got := <-done
		if got.Verdict != want.Verdict || len(got.Rules) != len(want.Rules) {
			t.Fatalf("concurrent report differs")
		}
		for j := range got.Rules {
			if got.Rules[j].Message != want.Rules[j].Message {
				t.Errorf("%s: %q vs %q", got.Rules[j].ID, got.Rules[j].Message, want.Rules[j].Message)
			}
		}
	}
}

// TestEveryFieldAbsentOrZero deletes each field of the example in turn, then
// sets each number to 0 and each text to "": no rule ever fails to compute, and
// a rule that requires a deleted field says it is missing.
func TestEveryFieldAbsentOrZero(t *testing.T) {
	requires := map[string][]string{}
	for _, r := range testEngine.Program().Rules.Rules {
		requires[r.ID] = r.Requires
	}
	var keys []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			if sub, ok := v.(map[string]any); ok && key != "evidence" {
				walk(key, sub)
				continue
			}
			keys = append(keys, key)
		}
	}
	walk("", exampleJSON(t))
	if len(keys) < 60 {
		t.Fatalf("only %d keys", len(keys))
	}
	for _, k := range keys {
		for _, v := range []any{nil, 0, ""} {
			m := exampleJSON(t)
			old := lookupJSON(m, k)
			switch old.(type) {
			case float64:
				if v == "" {
					continue
				}
			case string:
				if v == 0 {
					continue
				}
			default:
				if v != nil {
					continue
				}
			}
			edit(m, map[string]any{k: v})
			data, _ := json.Marshal(m)
			doc, err := testEngine.Program().Form.DecodeDocument(data)
			if err != nil && v == "" {
				continue // an enumeration or date: "" is not a value
			}
			if err != nil {
				t.Fatalf("%s=%v: %v", k, v, err)
			}
			rep := testEngine.Evaluate(doc)
			for _, r := range rep.Rules {
				if strings.Contains(r.Message, "规则无法计算") {
					t.Errorf("%s=%v: %s: %s", k, v, r.ID, r.Message)
				}
				if v == nil && slicesContains(requires[r.ID], k) && r.Status != Missing {
					t.Errorf("%s deleted: %s is %s, want missing: %s", k, r.ID, r.Status, r.Message)
				}
			}
		}
	}
}

func lookupJSON(m map[string]any, key string) any {
	var cur any = m
	for _, p := range strings.Split(key, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
