package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"biopilot/demo"
	"biopilot/program"
	"biopilot/store"
	"biopilot/store/storetest"
)

// TestTwoInstances runs two biopilot server processes — the real binary, built here —
// on one PostgreSQL schema and one evidence directory, as two instances behind a load
// balancer would run: a session opened on one is used on the other, evidence uploaded
// to one is downloaded from the other, concurrent saves across both lose no update,
// and concurrent submits and withdrawals across both record each transition exactly
// once. Skipped without BIOPILOT_TEST_POSTGRES (CI sets it).
func TestTwoInstances(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	if testing.Short() {
		t.Skip("builds the binary and runs two servers")
	}
	bin := buildBinary(t)
	progDir := programWithOpenDeadlines(t)
	blobDir := t.TempDir()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	// One master key for both, as from one secret store.
	env := []string{"BIOPILOT_MASTER_KEY=" + hex.EncodeToString(key)}
	var a, b *instance
	var wg sync.WaitGroup
	wg.Add(2)
	// Both start at once: migrations are serialised by the database, not by luck.
	go func() { defer wg.Done(); a = startInstance(t, bin, "A", env, dsn, progDir, blobDir) }()
	go func() { defer wg.Done(); b = startInstance(t, bin, "B", env, dsn, progDir, blobDir) }()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}

	// Register and log in on A; the session works on B (it lives in the database).
	const uscc = "91440606MA5ABCDE1P"
	const password = "Two-Instances-2025"
	status, body := a.call(t, nil, "POST", "/api/v1/register", map[string]any{
		"organisation": map[string]any{"name": "广东示例酶工程有限公司", "uscc": uscc, "kind": "private", "city_code": "440600"},
		"user":         map[string]any{"username": "multi", "display_name": "陈立新", "phone": "13800138000", "password": password},
	})
	if status != 201 {
		t.Fatalf("register on A: %d %s", status, body)
	}
	sess := a.login(t, "multi", password)
	if status, body := b.call(t, sess, "GET", "/api/v1/me", nil); status != 200 || !strings.Contains(body, `"multi"`) {
		t.Fatalf("A's session on B: %d %s", status, body)
	}

	// A draft created on B from the example, without its evidence; the evidence is
	// uploaded half to A, half to B, into the one blob store.
	base, err := demo.ExampleDocument()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		t.Fatal(err)
	}
	evidence := doc["evidence"].(map[string]any)
	delete(doc, "evidence")
	status, body = b.call(t, sess, "POST", "/api/v1/applications", map[string]any{"document": doc})
	if status != 201 {
		t.Fatalf("create on B: %d %s", status, body)
	}
	var app struct {
		ID      int64 `json:"id"`
		Version int64 `json:"version"`
	}
	mustJSON(t, body, &app)
	i := 0
	var lastAttachment string
	var lastPDF []byte
	for category := range evidence {
		inst := []*instance{a, b}[i%2]
		pdf := fmt.Appendf(nil, "%%PDF-1.4\n%% 佐证材料 %s %d\n%%%%EOF\n", category, i)
		status, body := inst.upload(t, sess, fmt.Sprintf("/api/v1/applications/%d/evidence/%s", app.ID, category), category+".pdf", pdf)
		if status != 200 && status != 201 {
			t.Fatalf("upload %s to %s: %d %s", category, inst.name, status, body)
		}
		if m := regexp.MustCompile(`"id":\s*(\d+)`).FindStringSubmatch(body); m != nil && inst == a {
			lastAttachment, lastPDF = m[1], pdf
		}
		i++
	}
	if lastAttachment != "" {
		status, body := b.call(t, sess, "GET", "/api/v1/attachments/"+lastAttachment, nil)
		if status != 200 || body != string(lastPDF) {
			t.Errorf("evidence uploaded to A, downloaded from B: %d %q", status, body)
		}
	}

	t.Run("saves", func(t *testing.T) { concurrentSaves(t, dsn, a, b, sess, app.ID) })
	t.Run("transitions", func(t *testing.T) { concurrentTransitions(t, a, b, sess, app.ID) })

	// The audit chain, appended to by both instances at once, is whole.
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.VerifyAudit(context.Background()); err != nil || n == 0 {
		t.Errorf("audit chain after both instances: %d records, %v", n, err)
	}
	// Each instance counts its own requests; the counts from the database agree.
	ma, mb := a.metrics(t), b.metrics(t)
	sub := regexp.MustCompile(`(?m)^biopilot_transitions_total\{to="submitted"\} (\d+)$`)
	if x, y := sub.FindStringSubmatch(ma), sub.FindStringSubmatch(mb); x == nil || y == nil || x[1] != y[1] || x[1] == "0" {
		t.Errorf("submissions on A %v, on B %v", x, y)
	}
	if !strings.Contains(ma, `route="PUT /api/v1/applications/{id}/document"`) ||
		!strings.Contains(mb, `route="PUT /api/v1/applications/{id}/document"`) {
		t.Error("saves not counted by route on both instances")
	}
}

// concurrentSaves saves from 8 clients, 4 on each instance, each reading the current
// version and saving on it, several times. No update is lost: every successful save
// got a distinct version, the final version is the successes + 1, and each stored
// version holds the document of the save that got it.
func concurrentSaves(t *testing.T, dsn string, a, b *instance, sess *session, id int64) {
	var mu sync.Mutex
	got := map[int64]string{} // version → marker of the save that made it
	var wg sync.WaitGroup
	start := make(chan struct{})
	var first int64
	_, body := a.call(t, sess, "GET", fmt.Sprintf("/api/v1/applications/%d", id), nil)
	var cur struct {
		Version  int64          `json:"version"`
		Document map[string]any `json:"document"`
	}
	mustJSON(t, body, &cur)
	first = cur.Version
	conflicts := 0
	for c := 0; c < 8; c++ {
		inst := []*instance{a, b}[c%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for n := 0; n < 5; n++ {
				_, body := inst.call(t, sess, "GET", fmt.Sprintf("/api/v1/applications/%d", id), nil)
				var now struct {
					Version  int64          `json:"version"`
					Document map[string]any `json:"document"`
				}
				if err := json.Unmarshal([]byte(body), &now); err != nil {
					t.Error(err)
					return
				}
				marker := fmt.Sprintf("客户端%d第%d次保存（%s）", c, n, inst.name)
				now.Document["operations"] = marker
				status, body := inst.call(t, sess, "PUT", fmt.Sprintf("/api/v1/applications/%d/document", id),
					map[string]any{"base_version": now.Version, "document": now.Document})
				mu.Lock()
				switch status {
				case 200:
					var saved struct{ Version int64 }
					_ = json.Unmarshal([]byte(body), &saved)
					if prev, dup := got[saved.Version]; dup {
						t.Errorf("version %d given to two saves: %s and %s", saved.Version, prev, marker)
					}
					if saved.Version != now.Version+1 {
						t.Errorf("save on version %d made version %d", now.Version, saved.Version)
					}
					got[saved.Version] = marker
				case 409:
					conflicts++
				default:
					t.Errorf("save on %s: %d %s", inst.name, status, body)
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	_, body = b.call(t, sess, "GET", fmt.Sprintf("/api/v1/applications/%d", id), nil)
	mustJSON(t, body, &cur)
	if cur.Version != first+int64(len(got)) {
		t.Errorf("final version %d, want %d + %d successful saves", cur.Version, first, len(got))
	}
	t.Logf("%d saves succeeded, %d refused as stale", len(got), conflicts)
	if len(got) == 0 {
		t.Fatal("no save succeeded")
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for v := first + 1; v <= cur.Version; v++ {
		marker, ok := got[v]
		if !ok {
			t.Errorf("version %d was made by no successful save", v)
			continue
		}
		ver, err := db.ApplicationVersionDocument(context.Background(), id, v)
		if err != nil {
			t.Errorf("version %d: %v", v, err)
		} else if !strings.Contains(string(ver.Document), marker) {
			t.Errorf("version %d does not hold %s", v, marker)
		}
	}
}

// concurrentTransitions submits from 6 clients across both instances at once, then
// withdraws from 6 at once, for several rounds: each round exactly one submit and one
// withdrawal win, and the history records exactly the winners.
func concurrentTransitions(t *testing.T, a, b *instance, sess *session, id int64) {
	path := func(act string) string { return fmt.Sprintf("/api/v1/applications/%d/%s", id, act) }
	_, body := a.call(t, sess, "GET", path("history"), nil)
	var hist struct{ Items []map[string]any }
	mustJSON(t, body, &hist)
	before := len(hist.Items)
	wins := 0
	for round := 0; round < 3; round++ {
		_, body := a.call(t, sess, "GET", fmt.Sprintf("/api/v1/applications/%d", id), nil)
		var cur struct{ Version int64 }
		mustJSON(t, body, &cur)
		for _, act := range []string{"submit", "withdraw"} {
			var mu sync.Mutex
			ok, refused := 0, 0
			var wg sync.WaitGroup
			start := make(chan struct{})
			for c := 0; c < 6; c++ {
				inst := []*instance{a, b}[c%2]
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var in any = map[string]any{}
					if act == "submit" {
						in = map[string]any{"base_version": cur.Version, "confirm_ineligible": true}
					}
					status, body := inst.call(t, sess, "POST", path(act), in)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case status == 200:
						ok++
					case status == 409 || status == 403 || status == 422:
						refused++
					default:
						t.Errorf("%s on %s: %d %s", act, inst.name, status, body)
					}
				}()
			}
			close(start)
			wg.Wait()
			if ok != 1 {
				t.Fatalf("round %d: %d of 6 concurrent %s calls succeeded, want exactly 1", round, ok, act)
			}
			wins += ok
		}
	}
	_, body = b.call(t, sess, "GET", path("history"), nil)
	mustJSON(t, body, &hist)
	if got := len(hist.Items) - before; got != wins {
		t.Errorf("history grew by %d transitions, want %d (the successful calls)", got, wins)
	}
}

// instance is one running server process.
type instance struct {
	name, base, metricsAddr string
	hc                      *http.Client
}

type session struct{ cookie, csrf string }

// buildBinary builds the biopilot command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "biopilot")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// programWithOpenDeadlines copies the embedded program's definition with its
// deadlines moved ahead (as the demo does), so that applicants may submit.
func programWithOpenDeadlines(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "program", program.DefaultDir)
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	p := program.MustDefault()
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "program.json" {
			var m map[string]any
			mustJSON(t, string(data), &m)
			d := demo.Deadlines(time.Now(), p.Location())
			m["deadlines"] = map[string]any{"applicant": d.Applicant, "city": d.City}
			if data, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startInstance starts the binary serving on a free loopback port, with its own data
// directory and metrics listener, and stops it (SIGTERM, clean exit) at cleanup.
func startInstance(t *testing.T, bin, name string, env []string, dsn, progDir, blobDir string) *instance {
	t.Helper()
	metricsAddr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dsn, "--files", "file://"+blobDir,
		"--data-dir", t.TempDir(), "--program", progDir, "--log-level", "warn", "--metrics-addr", metricsAddr)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Error(err)
		return nil
	}
	if err := cmd.Start(); err != nil {
		t.Error(err)
		return nil
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`biopilot 已启动：(http://[^/\s]+)/`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("instance %s exited with %v; stderr:\n%s", name, err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("instance %s did not stop", name)
		}
	})
	select {
	case base, ok := <-addr:
		if !ok {
			t.Errorf("instance %s exited before serving; stderr:\n%s", name, stderr.String())
			return nil
		}
		return &instance{name: name, base: base, metricsAddr: metricsAddr,
			hc: &http.Client{Timeout: 30 * time.Second}}
	case <-time.After(60 * time.Second):
		t.Errorf("instance %s did not start", name)
		return nil
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// call sends a JSON request (with the session's cookie and CSRF token) and returns
// the status and body.
func (in *instance) call(t *testing.T, s *session, method, path string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, in.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return in.send(t, s, req)
}

func (in *instance) send(t *testing.T, s *session, req *http.Request) (int, string) {
	t.Helper()
	if s != nil {
		req.Header.Set("Cookie", s.cookie)
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	resp, err := in.hc.Do(req)
	if err != nil {
		t.Errorf("%s %s on %s: %v", req.Method, req.URL.Path, in.name, err)
		return 0, ""
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// upload posts one file as multipart form data.
func (in *instance) upload(t *testing.T, s *session, path, filename string, content []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, err := http.NewRequest("POST", in.base+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return in.send(t, s, req)
}

func (in *instance) login(t *testing.T, user, password string) *session {
	t.Helper()
	data, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := in.hc.Post(in.base+"/api/v1/login", "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("login on %s: %d %s", in.name, resp.StatusCode, body)
	}
	var out struct {
		CSRFToken string `json:"csrf_token"`
	}
	mustJSON(t, string(body), &out)
	for _, c := range resp.Cookies() {
		if c.Name == "biopilot_session" {
			return &session{cookie: c.Name + "=" + c.Value, csrf: out.CSRFToken}
		}
	}
	t.Fatal("login: no session cookie")
	return nil
}

func (in *instance) metrics(t *testing.T) string {
	t.Helper()
	resp, err := in.hc.Get("http://" + in.metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("metrics of %s: %v", in.name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("metrics of %s: %d", in.name, resp.StatusCode)
	}
	return string(body)
}

func mustJSON(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("not JSON (%v): %.300s", err, body)
	}
}

// TestServeMetricsAddr: --metrics-addr serves /metrics on its own listener; the
// public address has none.
func TestServeMetricsAddr(t *testing.T) {
	maddr := freeAddr(t)
	base, out := startProgram(t, map[string]string{"BIOPILOT_DATA_DIR": t.TempDir(), "BIOPILOT_METRICS_ADDR": maddr},
		"serve", "--addr", "127.0.0.1:0", "--log-level", "warn", "--trust-proxy")
	c := newClient(t)
	if code, _ := getBody(t, c, base+"/healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	if code, body := getBody(t, c, base+"/metrics"); code == 200 || strings.Contains(body, "biopilot_") {
		t.Errorf("public /metrics = %d", code)
	}
	code, body := getBody(t, c, "http://"+maddr+"/metrics")
	if code != 200 || !strings.Contains(body, `biopilot_http_requests_total{route="GET /healthz",code="200"} 1`) ||
		!strings.Contains(body, `biopilot_db_up 1`) {
		t.Errorf("metrics listener: %d\n%s", code, body)
	}
	if !strings.Contains(out.String(), "Prometheus 指标：http://"+maddr+"/metrics") {
		t.Errorf("stdout does not name the metrics address: %s", out.String())
	}
}
