package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const renderExample = "../../../shared/spec/examples/eligible-enzymes.json"

func runRender(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(string) string { return "" }
	code = run(context.Background(), append([]string{"render"}, args...), getenv, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRenderCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"applicant": {"kind": "company"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	rare := filepath.Join(dir, "rare.json")
	if err := os.WriteFile(rare, []byte(`{"applicant": {"name": "王𠀾科技有限公司"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		out      string // a file that must exist and start with this
		stdout   string
		stderrIn string
	}{
		{"pdf, -o after the file", []string{"--format", "pdf", renderExample, "-o", filepath.Join(dir, "x.pdf")}, 0, "%PDF-", "", "已生成"},
		{"pdf by default", []string{"-o", filepath.Join(dir, "y.pdf"), renderExample}, 0, "%PDF-", "", ""},
		{"html", []string{"--format=html", "-o", filepath.Join(dir, "x.html"), renderExample}, 0, "<!DOCTYPE html>", "", ""},
		{"html to stdout", []string{"--format", "html", "-o", "-", renderExample}, 0, "", "生物制造中试能力建设平台申请表", ""},
		{"another program", []string{"--program", "../../program/defs/gd-2025", "-o", filepath.Join(dir, "z.pdf"), renderExample}, 0, "%PDF-", "", ""},
		{"bad document names the key", []string{"-o", filepath.Join(dir, "bad.pdf"), bad}, 2, "", "", "applicant.kind"},
		{"missing glyph names character and field", []string{"-o", filepath.Join(dir, "rare.pdf"), rare}, 2, "", "", "字体缺少字符「𠀾」（U+2003E），位于 applicant.name"},
		{"no output", []string{renderExample}, 2, "", "", "缺少 -o"},
		{"bad format", []string{"--format", "docx", "-o", filepath.Join(dir, "x.docx"), renderExample}, 2, "", "", "--format 应为 pdf 或 html"},
		{"no document", []string{"-o", filepath.Join(dir, "n.pdf")}, 2, "", "", "需要且只需要一个申请文档"},
		{"missing file", []string{"-o", filepath.Join(dir, "m.pdf"), filepath.Join(dir, "none.json")}, 2, "", "", "无法读取申请文档"},
		{"unknown flag", []string{"--colour", "-o", filepath.Join(dir, "u.pdf"), renderExample}, 2, "", "", "用法"},
		{"help", []string{"-h"}, 0, "", "", "用法：biopilot render"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runRender(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tt.code, stderr)
			}
			if tt.stdout != "" && !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout lacks %q: %.200s", tt.stdout, stdout)
			}
			if tt.stderrIn != "" && !strings.Contains(stderr, tt.stderrIn) {
				t.Errorf("stderr lacks %q: %s", tt.stderrIn, stderr)
			}
			for i, a := range tt.args {
				if a != "-o" || i+1 >= len(tt.args) || tt.args[i+1] == "-" {
					continue
				}
				data, err := os.ReadFile(tt.args[i+1])
				switch {
				case tt.out == "" && err == nil:
					t.Errorf("a failed run left %s behind", tt.args[i+1])
				case tt.out != "" && err != nil:
					t.Errorf("no output: %v", err)
				case tt.out != "" && !bytes.HasPrefix(data, []byte(tt.out)):
					t.Errorf("output starts %q, want %q", data[:min(len(data), 20)], tt.out)
				}
			}
		})
	}
	// no temporary files are left in the output directory
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".biopilot-render-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
