package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/seal"
	"biopilot/store"
)

// runCmd runs the real program with no environment. Until the integrator adds
// audit, backup and restore to commandTable, it calls those commands the way run
// does (the same env, the same error printing and exit codes).
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(string) string { return "" }
	if _, ok := commandTable()[args[0]]; ok {
		code := run(context.Background(), args, getenv, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	cmd, ok := map[string]func(context.Context, *env, []string) error{
		"audit": cmdAudit, "backup": cmdBackup, "restore": cmdRestore}[args[0]]
	if !ok {
		t.Fatalf("unknown command %q", args[0])
	}
	t.Logf("%s is not in commandTable yet: calling %s directly", args[0], args[0])
	err := cmd(context.Background(), &env{getenv: getenv, stdout: &stdout, stderr: &stderr}, args[1:])
	var x exitError
	if err != nil && !errors.As(err, &x) {
		fmt.Fprintf(&stderr, "biopilot %s：%v\n", args[0], err)
	}
	return exitCode(err), stdout.String(), stderr.String()
}

// auditDataDir returns a data directory whose database holds n audit records,
// and the database, open as a running server would hold it.
func auditDataDir(t *testing.T, n int) (string, *store.DB) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "biopilot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 7, 1, 9, 0, 0, 0, biopilot.Beijing)
	for i := 0; i < n; i++ {
		r := &seal.ChainRecord{Time: at.Add(time.Duration(i) * time.Minute), Actor: fmt.Sprintf("user:%d 张三", i+1),
			Role: string(biopilot.RoleCityMIIT), Address: "10.0.0.1", Object: "application:7",
			Action: "transition:return", Result: "ok", Detail: json.RawMessage(`{"reason":"材料不全"}`)}
		if i == 1 {
			r.Actor, r.Action, r.Result, r.Detail = "=HYPERLINK(\"http://x\")", "login_failed", "failed", nil
		}
		if err := db.AppendAudit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return dir, db
}

func TestAuditVerifyCommand(t *testing.T) {
	dir, _ := auditDataDir(t, 6)
	code, out, errOut := runCmd(t, "audit", "verify", "--data-dir", dir)
	if code != 0 || strings.TrimSpace(out) != "审计日志完整：共 6 条" {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	tests := []struct {
		name  string
		stmts []string
		want  string
	}{
		{"edited", []string{`UPDATE audit_log SET result = 'denied' WHERE seq = 4`},
			"第 4 条审计记录已被修改"},
		{"deleted", []string{`DELETE FROM audit_log WHERE seq = 3`},
			"第 3 条审计记录缺失"},
		{"swapped", []string{
			`UPDATE audit_log SET seq = -2 WHERE seq = 2`,
			`UPDATE audit_log SET seq = 2 WHERE seq = 5`,
			`UPDATE audit_log SET seq = 5 WHERE seq = -2`,
		}, "第 2 条审计记录顺序错乱"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, db := auditDataDir(t, 6)
			// As an attacker with access to the database file would: the
			// append-only triggers go first.
			for _, s := range append([]string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}, tt.stmts...) {
				if _, err := db.SQL().Exec(s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			code, out, errOut := runCmd(t, "audit", "verify", "--data-dir", dir)
			if code != 1 || !strings.Contains(out, "审计日志不完整") || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s\nwant %q", code, out, errOut, tt.want)
			}
		})
	}
}

func TestAuditExportCommand(t *testing.T) {
	dir, _ := auditDataDir(t, 3)
	code, out, errOut := runCmd(t, "audit", "export", "--format", "csv", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "\ufeff") {
		t.Fatal("no byte order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(auditHeader, ",") {
		t.Fatalf("rows %q", rows)
	}
	want := []string{"1", "2025-07-01 09:00:00.000", "user:1 张三", "地市工业和信息化局（city_miit）", "10.0.0.1",
		"application:7", "transition:return", "ok", `{"reason":"材料不全"}`}
	if got := rows[1][:9]; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("row 1\n got %q\nwant %q", got, want)
	}
	if rows[2][2] != `'=HYPERLINK("http://x")` || rows[2][8] != "" {
		t.Fatalf("row 2: %q (a formula must be neutralised)", rows[2])
	}
	if rows[1][9] != "" || rows[2][9] != rows[1][10] || len(rows[3][10]) != 64 {
		t.Fatalf("hash columns: %q", rows)
	}

	if code, _, errOut := runCmd(t, "audit", "export", "--format", "json", "--data-dir", dir); code != 2 || !strings.Contains(errOut, "csv") {
		t.Fatalf("json: exit %d, %s", code, errOut)
	}
	for _, args := range [][]string{{"audit"}, {"audit", "erase"}, {"audit", "verify", "extra", "--data-dir", dir}} {
		if code, _, _ := runCmd(t, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runCmd(t, "audit", "verify", "-h"); code != 0 || !strings.Contains(errOut, "audit verify") {
		t.Errorf("-h: exit %d, %s", code, errOut)
	}
}
