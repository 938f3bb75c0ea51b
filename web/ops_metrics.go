package web

// OPS: metrics in the Prometheus text exposition format (version 0.0.4), written by
// hand: a few counters and histograms do not need a client library and its
// dependencies. The handler is never mounted on the public port: `biopilot serve
// --metrics-addr` serves it on a separate listener (a loopback address, or one the
// firewall keeps internal).

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"biopilot"
	"biopilot/store"
)

// latencyBuckets are the upper bounds (seconds) of the request latency histogram.
var latencyBuckets = [...]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// opsMetrics are the server's request metrics. The zero value is ready; it lives in
// the Server (no global state), so two servers in one process count apart.
type opsMetrics struct {
	inFlight atomic.Int64
	mu       sync.Mutex
	routes   map[string]*routeStats
	started  time.Time
	once     sync.Once
}

// routeStats are one route pattern's counts.
type routeStats struct {
	status  map[int]uint64
	buckets [len(latencyBuckets)]uint64 // non-cumulative; summed when written
	count   uint64
	sum     float64
}

// observe records one request.
func (m *opsMetrics) observe(route string, status int, d time.Duration) {
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.routes == nil {
		m.routes = map[string]*routeStats{}
	}
	rs := m.routes[route]
	if rs == nil {
		rs = &routeStats{status: map[int]uint64{}}
		m.routes[route] = rs
	}
	rs.status[status]++
	rs.count++
	rs.sum += sec
	for i, le := range latencyBuckets {
		if sec <= le {
			rs.buckets[i]++
			break
		}
	}
}

// instrument counts every request by the route pattern that served it (never by
// its raw path, which would make a series per application) and its status. It sits
// inside logRequests, which puts the request info in the context.
func (s *Server) instrument(next http.Handler) http.Handler {
	s.metrics.once.Do(func() { s.metrics.started = time.Now() })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Add(1)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			s.metrics.inFlight.Add(-1)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := info(r).route
			if route == "" {
				route = "unmatched"
			}
			s.metrics.observe(route, status, time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// MetricsHandler serves the metrics in the Prometheus text format: requests by
// route and status, latency histograms, requests in flight, applications by state,
// transitions by the state they led to (submissions are those to "submitted"),
// database pool statistics and a few runtime figures. Counts from the database are
// read at scrape time, so every instance reports the same totals: sum the request
// metrics over instances, but not biopilot_applications or biopilot_transitions_total.
// Serve it on a separate, internal listener only.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		bw := bufio.NewWriterSize(w, 32<<10)
		s.writeMetrics(r.Context(), bw)
		_ = bw.Flush()
	})
}

// writeMetrics writes every metric family.
func (s *Server) writeMetrics(ctx context.Context, w *bufio.Writer) {
	m := &s.metrics
	m.mu.Lock()
	routes := make([]string, 0, len(m.routes))
	for r := range m.routes {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	family(w, "biopilot_http_requests_total", "counter", "HTTP requests served, by route pattern and status code.")
	for _, route := range routes {
		rs := m.routes[route]
		codes := make([]int, 0, len(rs.status))
		for c := range rs.status {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			fmt.Fprintf(w, "biopilot_http_requests_total{route=%s,code=\"%d\"} %d\n", quote(route), c, rs.status[c])
		}
	}
	family(w, "biopilot_http_request_duration_seconds", "histogram", "HTTP request latency, by route pattern.")
	for _, route := range routes {
		rs := m.routes[route]
		var cum uint64
		for i, le := range latencyBuckets {
			cum += rs.buckets[i]
			fmt.Fprintf(w, "biopilot_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n",
				quote(route), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "biopilot_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quote(route), rs.count)
		fmt.Fprintf(w, "biopilot_http_request_duration_seconds_sum{route=%s} %s\n", quote(route), float(rs.sum))
		fmt.Fprintf(w, "biopilot_http_request_duration_seconds_count{route=%s} %d\n", quote(route), rs.count)
	}
	started := m.started
	m.mu.Unlock()
	family(w, "biopilot_http_requests_in_flight", "gauge", "HTTP requests being served.")
	fmt.Fprintf(w, "biopilot_http_requests_in_flight %d\n", m.inFlight.Load())

	dbUp := 1
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if counts, err := s.db.CountByState(qctx, store.ApplicationFilter{ProgramID: s.prog.ID}); err != nil {
		dbUp = 0
		s.logger.WarnContext(ctx, "metrics: applications by state", "err", err)
	} else {
		family(w, "biopilot_applications", "gauge", "Applications of the program, by state (the same on every instance).")
		for _, st := range biopilot.States {
			fmt.Fprintf(w, "biopilot_applications{state=%q} %d\n", st, counts[st])
		}
	}
	if counts, err := s.db.TransitionCounts(qctx, s.prog.ID); err != nil {
		dbUp = 0
		s.logger.WarnContext(ctx, "metrics: transitions", "err", err)
	} else {
		family(w, "biopilot_transitions_total", "counter", "Workflow transitions recorded, by the state they led to (the same on every instance).")
		for _, st := range biopilot.States {
			fmt.Fprintf(w, "biopilot_transitions_total{to=%q} %d\n", st, counts[st])
		}
		family(w, "biopilot_submissions_total", "counter", "Submissions (transitions to submitted), resubmissions included.")
		fmt.Fprintf(w, "biopilot_submissions_total %d\n", counts[biopilot.StateSubmitted])
	}
	family(w, "biopilot_db_up", "gauge", "Whether the database answered the scrape's queries.")
	fmt.Fprintf(w, "biopilot_db_up %d\n", dbUp)

	st := s.db.SQL().Stats()
	gauge := func(name, help string, v int) {
		family(w, name, "gauge", help)
		fmt.Fprintf(w, "%s{dialect=%q} %d\n", name, s.db.Dialect(), v)
	}
	counter := func(name, help string, v int64) {
		family(w, name, "counter", help)
		fmt.Fprintf(w, "%s{dialect=%q} %d\n", name, s.db.Dialect(), v)
	}
	gauge("biopilot_db_max_open_connections", "Maximum open database connections.", st.MaxOpenConnections)
	gauge("biopilot_db_open_connections", "Open database connections.", st.OpenConnections)
	gauge("biopilot_db_in_use_connections", "Database connections in use.", st.InUse)
	gauge("biopilot_db_idle_connections", "Idle database connections.", st.Idle)
	counter("biopilot_db_wait_count_total", "Waits for a free database connection.", st.WaitCount)
	family(w, "biopilot_db_wait_duration_seconds_total", "counter", "Time spent waiting for a free database connection.")
	fmt.Fprintf(w, "biopilot_db_wait_duration_seconds_total{dialect=%q} %s\n", s.db.Dialect(), float(st.WaitDuration.Seconds()))
	counter("biopilot_db_max_idle_closed_total", "Connections closed because the idle pool was full.", st.MaxIdleClosed)
	counter("biopilot_db_max_idle_time_closed_total", "Connections closed for being idle too long.", st.MaxIdleTimeClosed)
	counter("biopilot_db_max_lifetime_closed_total", "Connections closed for reaching their maximum lifetime.", st.MaxLifetimeClosed)

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	family(w, "go_goroutines", "gauge", "Goroutines.")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	family(w, "go_memstats_heap_inuse_bytes", "gauge", "Heap bytes in use.")
	fmt.Fprintf(w, "go_memstats_heap_inuse_bytes %d\n", ms.HeapInuse)
	family(w, "go_memstats_sys_bytes", "gauge", "Bytes obtained from the system.")
	fmt.Fprintf(w, "go_memstats_sys_bytes %d\n", ms.Sys)
	if !started.IsZero() {
		family(w, "process_start_time_seconds", "gauge", "When the handler started, in Unix seconds.")
		fmt.Fprintf(w, "process_start_time_seconds %d\n", started.Unix())
	}
}

// family writes the HELP and TYPE lines of a metric family.
func family(w *bufio.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// quote writes a label value: in double quotes, with backslash, quote and newline
// escaped as the exposition format requires.
func quote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}

func float(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
