package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// OpResult is the measure of one operation under load.
type OpResult struct {
	Requests int     `json:"requests"`
	RPS      float64 `json:"rps"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	P99MS    float64 `json:"p99_ms"`
	Errors   int     `json:"errors"`
	// FirstError describes the first failed request, if any.
	FirstError string `json:"first_error,omitempty"`
}

// sample is one request's outcome.
type sample struct {
	d   time.Duration
	err error
}

// drive runs c clients in a closed loop: each calls do(client, i) again as soon as
// the previous call returns, for warmup (not recorded) and then for d. It returns
// the measure of the recorded calls.
func drive(ctx context.Context, c int, warmup, d time.Duration, do func(ctx context.Context, client, i int) error) OpResult {
	var wg sync.WaitGroup
	per := make([][]sample, c)
	begin := time.Now()
	measureFrom := begin.Add(warmup)
	end := measureFrom.Add(d)
	for k := 0; k < c; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]sample, 0, 1024)
			for i := 0; ; i++ {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					break
				}
				err := do(ctx, k, i)
				t1 := time.Now()
				if !t0.Before(measureFrom) && !t1.After(end.Add(5*time.Second)) {
					out = append(out, sample{t1.Sub(t0), err})
				}
			}
			per[k] = out
		}()
	}
	wg.Wait()
	elapsed := time.Since(measureFrom)
	var all []sample
	for _, s := range per {
		all = append(all, s...)
	}
	return summarize(all, elapsed)
}

// summarize computes the throughput, latency percentiles and errors of samples
// taken over elapsed.
func summarize(all []sample, elapsed time.Duration) OpResult {
	r := OpResult{Requests: len(all)}
	if len(all) == 0 || elapsed <= 0 {
		return r
	}
	ds := make([]time.Duration, len(all))
	for i, s := range all {
		ds[i] = s.d
		if s.err != nil {
			r.Errors++
			if r.FirstError == "" {
				r.FirstError = s.err.Error()
			}
		}
	}
	slices.Sort(ds)
	r.RPS = round1(float64(len(all)) / elapsed.Seconds())
	r.P50MS = ms(percentile(ds, 50))
	r.P95MS = ms(percentile(ds, 95))
	r.P99MS = ms(percentile(ds, 99))
	return r
}

// percentile returns the p-th percentile of sorted durations by the nearest-rank
// method: the smallest value with at least p% of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// session is one logged-in client: its cookie and CSRF token.
type session struct {
	cookie string
	csrf   string
}

// client speaks HTTP to the server under test over keep-alive connections.
type client struct {
	base string
	hc   *http.Client
}

func newClient(base string, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost: 0, DisableCompression: true, IdleConnTimeout: time.Minute}
	return &client{base: base, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// login opens a session through the API.
func (c *client) login(ctx context.Context, username, password string) (*session, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/api/v1/login", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("登录 %s：HTTP %d %s", username, resp.StatusCode, data)
	}
	var out struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "biopilot_session" {
			return &session{cookie: ck.Name + "=" + ck.Value, csrf: out.CSRFToken}, nil
		}
	}
	return nil, fmt.Errorf("登录 %s：响应没有会话 Cookie", username)
}

// do sends one request and reads the whole answer. Any status but want is an error.
// When into is non-nil the JSON answer is decoded into it.
func (c *client) do(ctx context.Context, s *session, method, path string, body []byte, want int, into any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if s != nil {
		req.Header.Set("Cookie", s.cookie)
		if method != http.MethodGet {
			req.Header.Set("X-CSRF-Token", s.csrf)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s：HTTP %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if into != nil {
		return json.NewDecoder(resp.Body).Decode(into)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
