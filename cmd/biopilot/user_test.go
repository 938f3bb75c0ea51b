package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs the real program once and returns its exit code and output.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func apiLogin(t *testing.T, base, user, password string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := newClient(t).Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestMigrateAndUserCommands manages an account from the command line and checks
// each step against a running server on the same data directory.
func TestMigrateAndUserCommands(t *testing.T) {
	env := map[string]string{"BIOPILOT_DATA_DIR": t.TempDir()}
	if code, out, errs := runCLI(t, env, "migrate"); code != 0 || !strings.Contains(out, "已迁移") {
		t.Fatalf("migrate = %d %q %q", code, out, errs)
	}
	for _, bad := range [][]string{
		{"user", "add", "--username", "x", "--name", "某", "--role", "boss"},
		{"user", "add", "--username", "x", "--name", "某", "--role", "city_miit"},
		{"user", "add", "--username", "x", "--name", "某", "--role", "applicant", "--org-uscc", "91440606MA5ABCDE1P"},
		{"user", "add", "--username", "x", "--name", "某", "--role", "city_drc", "--jurisdiction", "440100", "--password", "short"},
		{"user", "passwd", "nobody"},
	} {
		if code, _, errs := runCLI(t, env, bad...); code == 0 || errs == "" {
			t.Errorf("%v = %d, want a refusal with a message", bad, code)
		}
	}
	code, out, errs := runCLI(t, env, "user", "add", "--username", "gz-reviewer", "--name", "张明", "--role", "city_miit", "--jurisdiction", "440100")
	m := regexp.MustCompile(`临时密码：(\S+)（`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("user add = %d %q %q", code, out, errs)
	}
	temp := m[1]
	if code, _, _ := runCLI(t, env, "user", "add", "--username", "GZ-Reviewer", "--name", "重复", "--role", "city_miit", "--jurisdiction", "440100"); code == 0 {
		t.Error("duplicate username (case-insensitive) accepted")
	}

	base, _ := startProgram(t, env, "serve", "--addr", "127.0.0.1:0", "--log-level", "error")
	if got := apiLogin(t, base, "gz-reviewer", temp); got != http.StatusOK {
		t.Fatalf("login with the temporary password = %d", got)
	}
	if code, out, errs := runCLI(t, env, "user", "passwd", "--password", "Guangzhou#2025", "gz-reviewer"); code != 0 || !strings.Contains(out, "已重设") {
		t.Fatalf("user passwd = %d %q %q", code, out, errs)
	}
	if got := apiLogin(t, base, "gz-reviewer", temp); got != http.StatusUnauthorized {
		t.Errorf("old password after passwd = %d, want 401", got)
	}
	if got := apiLogin(t, base, "gz-reviewer", "Guangzhou#2025"); got != http.StatusOK {
		t.Errorf("new password = %d", got)
	}
	if code, _, errs := runCLI(t, env, "user", "disable", "gz-reviewer"); code != 0 {
		t.Fatalf("user disable = %d %q", code, errs)
	}
	if got := apiLogin(t, base, "gz-reviewer", "Guangzhou#2025"); got == http.StatusOK {
		t.Error("a disabled account logged in")
	}
	if code, _, errs := runCLI(t, env, "user", "enable", "gz-reviewer"); code != 0 {
		t.Fatalf("user enable = %d %q", code, errs)
	}
	if got := apiLogin(t, base, "gz-reviewer", "Guangzhou#2025"); got != http.StatusOK {
		t.Errorf("after enable = %d", got)
	}
}
