package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"biopilot/store"
)

// fixedPage is the bare handler's answer: 2 KB of HTML.
var fixedPage = func() []byte {
	var b bytes.Buffer
	b.WriteString("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>基线</title></head><body>")
	for b.Len() < 2048-len("</body></html>") {
		b.WriteString("<p>生物制造中试能力建设平台</p>")
	}
	out := append(b.Bytes()[:min(b.Len(), 2048-len("</body></html>"))], "</body></html>"...)
	return out
}()

// httpBaseline measures a bare net/http handler writing a fixed 2 KB page, served and
// driven over loopback like the application: the ceiling for HTTP on this machine.
func httpBaseline(ctx context.Context, conc int, warmup, d time.Duration) (OpResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return OpResult{}, err
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(fixedPage)))
		_, _ = w.Write(fixedPage)
	}), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	c := newClient("http://"+ln.Addr().String(), conc)
	defer c.close()
	return drive(ctx, conc, warmup, d, func(ctx context.Context, _, _ int) error {
		return c.do(ctx, nil, "GET", "/", nil, http.StatusOK, nil)
	}), nil
}

// commitBaseline measures raw durable single-row commits of documents to the
// database under test, with conc writers: each commit is one INSERT of a whole
// document in its own transaction, in a scratch table dropped afterwards. It is the
// ceiling for saves: an autosave commits one such row and more.
func commitBaseline(ctx context.Context, db *store.DB, docs [][]byte, conc int, warmup, d time.Duration) (OpResult, error) {
	if len(docs) == 0 {
		return OpResult{}, fmt.Errorf("bench: no documents for the commit baseline")
	}
	create := `CREATE TABLE bench_commit_baseline (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)`
	if db.Dialect() == store.DialectPostgres {
		create = `CREATE TABLE bench_commit_baseline (id BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL)`
	}
	if _, err := db.SQL().ExecContext(ctx, create); err != nil {
		return OpResult{}, fmt.Errorf("bench: scratch table: %w", err)
	}
	defer db.SQL().ExecContext(context.Background(), `DROP TABLE bench_commit_baseline`)
	insert := db.Rebind(`INSERT INTO bench_commit_baseline (doc) VALUES (?)`)
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = string(d)
	}
	// SQLite has one writer: the commits queue in Go for it, as the store's writes do
	// (see store.DB), rather than poll the lock with the busy timeout's sleeps. The
	// statement is prepared once, as the store's are.
	stmt, err := db.SQL().PrepareContext(ctx, insert)
	if err != nil {
		return OpResult{}, fmt.Errorf("bench: prepare: %w", err)
	}
	defer stmt.Close()
	var mu sync.Mutex
	serial := db.Dialect() == store.DialectSQLite
	return drive(ctx, conc, warmup, d, func(ctx context.Context, k, i int) error {
		if serial {
			mu.Lock()
			defer mu.Unlock()
		}
		_, err := stmt.ExecContext(ctx, texts[(k*7+i)%len(texts)])
		return err
	}), nil
}

// rssSampler follows the process's resident set size: the kernel's high-water mark
// (VmHWM, reset when the measure starts, where the kernel allows it) and VmRSS
// polled every 50 ms, whichever is larger.
type rssSampler struct {
	mu   sync.Mutex
	peak int64 // kB
	stop chan struct{}
	done chan struct{}
}

// startRSS resets the high-water mark and starts polling.
func startRSS() *rssSampler {
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	rss, hwm := procStatus()
	s.mu.Lock()
	s.peak = max(s.peak, rss, hwm)
	s.mu.Unlock()
}

// finish stops polling and returns the peak in MB (0 where /proc is missing).
func (s *rssSampler) finish() float64 {
	close(s.stop)
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return round1(float64(s.peak) / 1024)
}

// procStatus reads VmRSS and VmHWM (kB) from /proc/self/status.
func procStatus() (rss, hwm int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if name == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
	}
	return rss, hwm
}
