package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads the metrics of f's server.
func scrape(t *testing.T, f *fixture) string {
	t.Helper()
	w := httptest.NewRecorder()
	f.srv.MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("metrics: HTTP %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	return w.Body.String()
}

// sampleLine is one sample of the text exposition format.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$`)

// metricValue returns the value of the sample named exactly series (name and
// labels as written), failing when it is absent.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: value %q", series, v)
			}
			return f
		}
	}
	t.Fatalf("no sample %s in:\n%s", series, body)
	return 0
}

func TestMetricsFormatAndCounts(t *testing.T) {
	f := newFixture(t)
	a := f.as("applicantA")
	for i := 0; i < 3; i++ {
		wantStatus(t, a.do("GET", "/api/v1/me", nil), 200)
	}
	wantStatus(t, f.anon().do("GET", "/api/v1/me", nil), 401)
	wantStatus(t, a.do("GET", idPath("/api/v1/applications/%d", f.appSub.ID), nil), 200)
	wantStatus(t, a.do("GET", "/no/such/page", nil), 404)

	body := scrape(t, f)
	for i, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		if !sampleLine.MatchString(line) {
			t.Errorf("line %d is not a valid sample: %q", i+1, line)
		}
	}
	// Logging in as applicantA made requests of its own; count from here on.
	me := metricValue(t, body, `biopilot_http_requests_total{route="GET /api/v1/me",code="200"}`)
	if me < 3 {
		t.Errorf("GET /api/v1/me 200 = %v, want ≥ 3", me)
	}
	if v := metricValue(t, body, `biopilot_http_requests_total{route="GET /api/v1/me",code="401"}`); v != 1 {
		t.Errorf("GET /api/v1/me 401 = %v, want 1", v)
	}
	// The route pattern, never the raw path: no series per application.
	if v := metricValue(t, body, `biopilot_http_requests_total{route="GET /api/v1/applications/{id}",code="200"}`); v != 1 {
		t.Errorf("GET /api/v1/applications/{id} = %v", v)
	}
	if strings.Contains(body, "/no/such/page") || strings.Contains(body, idPath("/applications/%d", f.appSub.ID)) {
		t.Error("a raw path leaked into a label")
	}
	if v := metricValue(t, body, `biopilot_http_requests_total{route="unmatched",code="404"}`); v != 1 {
		t.Errorf("unmatched 404 = %v", v)
	}
	// The histogram is cumulative and ends with +Inf = count.
	var prev float64
	for _, le := range []string{"0.001", "0.01", "0.1", "1", "10", "+Inf"} {
		v := metricValue(t, body, `biopilot_http_request_duration_seconds_bucket{route="GET /api/v1/me",le="`+le+`"}`)
		if v < prev {
			t.Errorf("bucket le=%s = %v < %v", le, v, prev)
		}
		prev = v
	}
	count := metricValue(t, body, `biopilot_http_request_duration_seconds_count{route="GET /api/v1/me"}`)
	if prev != count || count != me+1 {
		t.Errorf("+Inf bucket %v, count %v, want %v", prev, count, me+1)
	}
	// From the database: the fixture has one draft and one submitted application.
	if v := metricValue(t, body, `biopilot_applications{state="draft"}`); v != 1 {
		t.Errorf("drafts = %v", v)
	}
	if v := metricValue(t, body, `biopilot_applications{state="submitted"}`); v != 1 {
		t.Errorf("submitted = %v", v)
	}
	if v := metricValue(t, body, `biopilot_transitions_total{to="submitted"}`); v != 1 {
		t.Errorf("transitions to submitted = %v", v)
	}
	if v := metricValue(t, body, `biopilot_submissions_total`); v != 1 {
		t.Errorf("submissions = %v", v)
	}
	if v := metricValue(t, body, `biopilot_db_up`); v != 1 {
		t.Errorf("db_up = %v", v)
	}
	if v := metricValue(t, body, `biopilot_db_max_open_connections{dialect="sqlite"}`); v <= 0 {
		t.Errorf("max open connections = %v", v)
	}
	metricValue(t, body, `biopilot_db_wait_count_total{dialect="sqlite"}`)
	metricValue(t, body, `biopilot_http_requests_in_flight`)
}

// The public handler has no /metrics: it is served on a separate listener only.
func TestMetricsNotOnPublicPort(t *testing.T) {
	f := newFixture(t)
	for _, who := range []*client{f.anon(), f.as("admin")} {
		w := who.do("GET", "/metrics", nil)
		if w.Code == 200 || strings.Contains(w.Body.String(), "biopilot_http_requests_total") {
			t.Errorf("%s: GET /metrics on the public handler = %d", who.name, w.Code)
		}
	}
	w := httptest.NewRecorder()
	f.srv.MetricsHandler().ServeHTTP(w, httptest.NewRequest("POST", "/metrics", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics = %d", w.Code)
	}
}

func TestMetricsLabelQuoting(t *testing.T) {
	for in, want := range map[string]string{`GET /a`: `"GET /a"`, `a"b`: `"a\"b"`, "a\\b\nc": `"a\\b\nc"`} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
	var m opsMetrics
	m.observe("r", 200, 3*time.Millisecond)
	m.observe("r", 200, 20*time.Second)
	rs := m.routes["r"]
	if rs.count != 2 || rs.buckets[2] != 1 || rs.status[200] != 2 {
		t.Errorf("observe: %+v", rs)
	}
	var inBuckets uint64
	for _, b := range rs.buckets {
		inBuckets += b
	}
	if inBuckets != 1 { // 20 s is above the last bound: only in +Inf
		t.Errorf("%d observations in finite buckets, want 1", inBuckets)
	}
}
