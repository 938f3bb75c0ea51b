package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const checkExample = "../../../shared/spec/examples/eligible-enzymes.json"

func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"check"}, args...), func(string) string { return "" }, &out, &errb)
	return code, out.String(), errb.String()
}

// writeDoc writes the example with edits to a temp file (a nil value deletes).
func writeDoc(t *testing.T, edits map[string]any) string {
	t.Helper()
	data, err := os.ReadFile(checkExample)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range edits {
		parts := strings.Split(k, ".")
		cur := m
		for _, p := range parts[:len(parts)-1] {
			cur = cur[p].(map[string]any)
		}
		if v == nil {
			delete(cur, parts[len(parts)-1])
		} else {
			cur[parts[len(parts)-1]] = v
		}
	}
	data, _ = json.Marshal(m)
	return writeRaw(t, string(data))
}

func writeRaw(t *testing.T, s string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type checkReport struct {
	Verdict string `json:"verdict"`
	Rules   []struct {
		ID, Status, Title, Clause, Message string
	} `json:"rules"`
}

func decodeReport(t *testing.T, out string) checkReport {
	t.Helper()
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return rep
}

func TestCheckExampleEligible(t *testing.T) {
	code, out, errs := runCheck(t, "--format", "json", checkExample)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	rep := decodeReport(t, out)
	if rep.Verdict != "eligible" || len(rep.Rules) != 35 {
		t.Errorf("verdict %s, %d rules", rep.Verdict, len(rep.Rules))
	}
	for _, r := range rep.Rules {
		if r.ID == "" || r.Status == "" || r.Title == "" || r.Clause == "" || r.Message == "" {
			t.Errorf("incomplete rule %+v", r)
		}
	}
	if !strings.Contains(out, `"verdict": "eligible"`) {
		t.Errorf("output lacks \"verdict\": \"eligible\"")
	}
	// Flags may follow the file.
	if code, _, _ := runCheck(t, checkExample, "--format", "json"); code != 0 {
		t.Errorf("flags after the file: exit %d", code)
	}
}

func TestCheckMutated(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edits   map[string]any
		verdict string
		id      string
		status  string
		msg     string
	}{
		{"small site", map[string]any{"site": map[string]any{"area_m2": 1200, "facilities": []any{"strain_room", "clean_area", "explosion_proof_area", "storage_area"},
			"facility_rules": true, "assessments": []any{"safety", "environmental", "health"}, "safety_equipment": []any{"explosion_proof", "fire_protection"}}},
			"ineligible", "S1", "fail", "用房面积 1200 平方米，低于指南要求的 1500 平方米（指南 二（一））"},
		{"no declaration", map[string]any{"declaration.accepted": false}, "incomplete", "F5", "fail", "申报声明"},
		{"cctv 89 days", map[string]any{"ip.cctv_retention_days": 89}, "ineligible", "P5", "fail", "89 天"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCheck(t, "--format", "json", writeDoc(t, tc.edits))
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %s", code, errs)
			}
			rep := decodeReport(t, out)
			if rep.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s", rep.Verdict, tc.verdict)
			}
			found := false
			for _, r := range rep.Rules {
				if r.ID == tc.id {
					found = true
					if r.Status != tc.status || !strings.Contains(r.Message, tc.msg) {
						t.Errorf("%s = %s %q", r.ID, r.Status, r.Message)
					}
				}
			}
			if !found {
				t.Errorf("no %s", tc.id)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	code, out, _ := runCheck(t, writeDoc(t, map[string]any{"ip.cctv_retention_days": 30, "software": nil}))
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"结论：不符合申报条件", "P 知识产权保护（指南 四）", "✗ [不符合] P5", "30 天", "! [提示] T6"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	// The part with the failure comes first, and the failure first within it.
	if p, a := strings.Index(out, "P 知识产权保护"), strings.Index(out, "A 申报主体"); p < 0 || a < 0 || p > a {
		t.Errorf("failing part not first:\n%s", out)
	}
	if f, ok := strings.Index(out, "P5 "), strings.Index(out, "P1 "); f > ok {
		t.Errorf("failure not first within its part")
	}
	code, out, _ = runCheck(t, checkExample)
	if code != 0 || !strings.Contains(out, "结论：符合申报条件") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestCheckBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"malformed", "{\n\"applicant\": {\"name\": \"x\",}\n}", []string{"JSON 格式错误", "第 2 行"}},
		{"unknown key", `{"applicant": {"nmae": "x"}}`, []string{"applicant.nmae", "未知的字段"}},
		{"wrong type", `{"site": {"area_m2": "很大"}}`, []string{"site.area_m2", "用房面积", "数字"}},
		{"several", `{"site": {"area_m2": "很大"}, "team": {"fixed_technical": 1.5}}`, []string{"另有 1 处错误", "- site.area_m2", "- team.fixed_technical"}},
		{"not an object", `[1, 2]`, []string{"JSON 对象"}},
		{"empty", ``, []string{"JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCheck(t, "--format", "json", writeRaw(t, tc.doc))
			if code != 2 {
				t.Fatalf("exit %d, want 2; stdout %s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
		})
	}
	if code, _, errs := runCheck(t, filepath.Join(t.TempDir(), "none.json")); code != 2 || !strings.Contains(errs, "无法读取") {
		t.Errorf("absent file: exit %d, %s", code, errs)
	}
}

func TestCheckArguments(t *testing.T) {
	if code, _, errs := runCheck(t, "-h"); code != 0 || !strings.Contains(errs, "用法：biopilot check") || !strings.Contains(errs, "退出码") {
		t.Errorf("-h: exit %d, %s", code, errs)
	}
	for _, args := range [][]string{{}, {"a.json", "b.json"}, {"--format", "xml", checkExample}, {"--colour", checkExample}} {
		if code, _, errs := runCheck(t, args...); code != 2 || !strings.Contains(errs, "用法") {
			t.Errorf("%v: exit %d, %s", args, code, errs)
		}
	}
	// --program loads a definition directory.
	if code, out, errs := runCheck(t, "--program", "../../program/defs/gd-2025", "--format", "json", checkExample); code != 0 || !strings.Contains(out, "eligible") {
		t.Errorf("--program: exit %d, %s", code, errs)
	}
	if code, _, errs := runCheck(t, "--program", t.TempDir(), checkExample); code != 2 || !strings.Contains(errs, "申报通知定义有误") {
		t.Errorf("--program empty dir: exit %d, %s", code, errs)
	}
}
