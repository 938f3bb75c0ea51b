package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestDemoPrograms: the demo runs the national definition by default, with the
// ministry, the experts and Jiangsu's accounts; --program gd-2025 runs the
// provincial demo with Guangdong's accounts only.
func TestDemoPrograms(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		source  string
		present []string
		absent  []string
	}{
		{"national", nil, "内置：defs/cn-2025",
			[]string{"ministry", "expert1", "expert7", "nj-miit", "nj-drc", "js-prov-miit", "js-prov-drc", "nj-pharma", "gz-cosmetic", "prov-miit", "fs-food"}, nil},
		{"provincial", []string{"--program", "gd-2025"}, "内置：defs/gd-2025",
			[]string{"prov-miit", "fs-food", "gz-synbio"}, []string{"ministry", "expert1", "nj-miit", "js-prov-miit", "gz-cosmetic"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, tc.args...)
			_, stdout := startProgram(t, nil, args...)
			out := stdout.String()
			if !strings.Contains(out, tc.source) {
				t.Errorf("the banner does not name %s:\n%s", tc.source, out)
			}
			users := map[string]bool{}
			for _, m := range regexp.MustCompile(`(?m)^  ([a-z][a-z0-9-]+)\s+\S`).FindAllStringSubmatch(out, -1) {
				users[m[1]] = true
			}
			for _, u := range tc.present {
				if !users[u] {
					t.Errorf("%s is not printed", u)
				}
			}
			for _, u := range tc.absent {
				if users[u] {
					t.Errorf("%s is printed", u)
				}
			}
		})
	}
}

func TestLoadProgramNames(t *testing.T) {
	for _, tc := range []struct {
		arg, id string
		ok      bool
	}{
		{"", "gd-2025-biomfg-pilot", true},
		{"gd-2025", "gd-2025-biomfg-pilot", true},
		{"cn-2025", "cn-2025-biomfg-pilot", true},
		{"../../program/defs/cn-2025", "cn-2025-biomfg-pilot", true}, // on disk, sharing ../gd-2025's files
		{"xx-2025", "", false},
	} {
		p, err := loadProgram(tc.arg)
		id := ""
		if p != nil {
			id = p.ID
		}
		if (err == nil) != tc.ok || id != tc.id {
			t.Errorf("loadProgram(%q) = %q, %v; want %q", tc.arg, id, err, tc.id)
		}
	}
}
