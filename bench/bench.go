// Package bench is the capacity test an operator runs on their own machine
// (`biopilot bench`): it starts the real server in-process on a loopback port over a
// fresh database, seeds thousands of realistic applications across the 21 cities in
// every state, logs in as applicants and reviewers, and drives real HTTP with
// concurrent clients. It measures each operation (requests/s, p50/p95/p99, errors),
// a mixed load, two ceilings measured in the same run on the same machine (a bare
// net/http handler, and raw single-row commits to the same database) and the peak
// resident memory, and checks the targets, which are ratios to the ceilings so that
// they hold on any machine.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"time"

	"biopilot"
	"biopilot/demo"
	"biopilot/files"
	"biopilot/program"
	"biopilot/render"
	"biopilot/rules"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/web"
)

// Operation names, in the order they are measured and printed.
const (
	OpAutosave      = "autosave"
	OpApplicantPage = "applicant_page"
	OpReviewerList  = "reviewer_list"
	OpReviewerView  = "reviewer_view"
	OpEligibility   = "eligibility"
	OpFormPDF       = "form_pdf"
)

// Operations lists the operations with their Chinese names.
var Operations = []struct{ Name, Label string }{
	{OpAutosave, "申报人自动保存"},
	{OpApplicantPage, "申报人查看申请页面"},
	{OpReviewerList, "审核人员列表（筛选，50 行）"},
	{OpReviewerView, "审核人员查看申请"},
	{OpEligibility, "资格预审报告"},
	{OpFormPDF, "申请表 PDF"},
}

// Options configure a run. Zero values take the defaults.
type Options struct {
	// DB is the database: "" for a new SQLite database in a temporary directory, else
	// a DSN as for serve, which must name an empty database.
	DB string
	// Apps is how many applications to seed (default 10,000).
	Apps int
	// Concurrency is how many clients send requests at once (default 32).
	Concurrency int
	// Duration is how long each operation, baseline and the mixed load is measured
	// (default 10 s); Warmup runs before each, unrecorded (default 1 s).
	Duration time.Duration
	Warmup   time.Duration
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
	// Only, when not empty, names the measures to take: operation names, "mixed",
	// "baseline" and "commit_baseline" (for profiling one path; the targets of the
	// measures not taken are then reported unmet).
	Only []string
	// CPUProfile, when set, receives a CPU profile (runtime/pprof) of the measures,
	// from after the seeding to the end: server and load generator together.
	CPUProfile io.Writer
	// MemProfile, when set, receives a heap profile (runtime/pprof) taken after the
	// measures: what stays live (caches, statements, the program).
	MemProfile io.Writer
}

// wants reports whether the run takes the named measure.
func (o *Options) wants(name string) bool {
	return len(o.Only) == 0 || slices.Contains(o.Only, name)
}

func (o *Options) defaults() {
	if o.Apps <= 0 {
		o.Apps = 10000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Result is everything a run measured. Its JSON names are those of the issue.
type Result struct {
	Apps        int     `json:"apps"`
	Concurrency int     `json:"concurrency"`
	DurationS   float64 `json:"duration_s"`
	Database    string  `json:"database"`
	CPUs        int     `json:"cpus"`
	GoVersion   string  `json:"go_version"`
	SeedS       float64 `json:"seed_s"`

	BaselineRPS        float64             `json:"baseline_rps"`
	CommitBaselinePerS float64             `json:"commit_baseline_per_s"`
	Ops                map[string]OpResult `json:"ops"`
	Mixed              OpResult            `json:"mixed"`
	RSSPeakMB          float64             `json:"rss_peak_mb"`

	Targets []Target `json:"targets"`
	Notes   []string `json:"notes,omitempty"`
}

// Target is one of the targets and whether the run met it.
type Target struct {
	Name string  `json:"name"`
	Want string  `json:"want"`
	Got  float64 `json:"got"`
	Met  bool    `json:"met"`
}

// Met reports whether every target was met.
func (r *Result) Met() bool {
	for _, t := range r.Targets {
		if !t.Met {
			return false
		}
	}
	return len(r.Targets) > 0
}

// Run seeds a fresh database, serves it on loopback and measures it.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	dsn := o.DB
	if dsn == "" {
		dir, err := os.MkdirTemp("", "biopilot-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		dsn = "sqlite:" + dir + "/biopilot.db"
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	if _, n, err := db.Applications(ctx, store.ApplicationFilter{Limit: 1}); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, biopilot.FieldErrorf("db", "数据库中已有 %d 个申请：压力测试需要一个全新的空数据库", n)
	}

	now := time.Now()
	base := program.MustDefault()
	// The call's own deadlines are moved ahead, as in the demo: a load the night before
	// the applicant deadline.
	prog, err := base.WithDeadlines(demo.Deadlines(now, base.Location()))
	if err != nil {
		return nil, err
	}
	eng, err := rules.Compile(prog)
	if err != nil {
		return nil, err
	}
	res := &Result{Apps: o.Apps, Concurrency: o.Concurrency, DurationS: o.Duration.Seconds(),
		Database: db.Dialect(), CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
		Ops: map[string]OpResult{}}

	o.Logf("写入 %d 个申请（%s）…", o.Apps, db.Dialect())
	t0 := time.Now()
	sd, err := seed(ctx, db, prog, eng, o.Apps, now, o.Logf)
	if err != nil {
		return nil, fmt.Errorf("写入测试数据：%w", err)
	}
	// As serve's housekeeping does at start: the planner's statistics.
	if err := db.Analyze(ctx); err != nil {
		return nil, err
	}
	res.SeedS = round1(time.Since(t0).Seconds())

	fdir, err := os.MkdirTemp("", "biopilot-bench-files-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(fdir)
	fstore, err := files.Open(ctx, files.DirURL(fdir))
	if err != nil {
		return nil, err
	}
	defer fstore.Close()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	mk, err := seal.ParseMasterKey(hex.EncodeToString(key))
	if err != nil {
		return nil, err
	}
	cfg := web.DefaultConfig()
	cfg.PasswordParams = cheapParams
	// The server logs every request as in production, into nothing.
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// One renderer for the process, as serve has (parsing the font is ~0.1 s).
	renderer, err := render.New()
	if err != nil {
		return nil, err
	}
	srv := web.NewServer(cfg, web.Deps{DB: db, Program: prog, Rules: eng, Logger: logger,
		Files: fstore, MasterKey: mk, Renderer: renderer})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	runtime.GC()
	debug.FreeOSMemory()
	rss := startRSS()
	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}

	if o.wants("baseline") {
		o.Logf("基线：裸 net/http 处理器（2 KB 固定页面）…")
		r, err := httpBaseline(ctx, o.Concurrency, o.Warmup, o.Duration)
		if err != nil {
			return nil, err
		}
		res.BaselineRPS = r.RPS
	}
	if o.wants("commit_baseline") {
		o.Logf("基线：单行持久提交…")
		r, err := commitBaseline(ctx, db, sd.sampleDocs, o.Concurrency, o.Warmup, o.Duration)
		if err != nil {
			return nil, err
		}
		res.CommitBaselinePerS = r.RPS
		if r.Errors > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("单行提交基线有 %d 次失败：%s", r.Errors, r.FirstError))
		}
	}

	w, err := newWorkload(ctx, "http://"+ln.Addr().String(), sd, o.Concurrency, srv.Routes())
	if err != nil {
		return nil, err
	}
	defer w.c.close()
	if !w.hasPDF {
		res.Notes = append(res.Notes, "服务器尚无 GET /api/v1/applications/{id}/form.pdf：未测申请表 PDF")
	}
	for _, op := range Operations {
		f := w.op(op.Name)
		if f == nil || !o.wants(op.Name) {
			continue
		}
		o.Logf("测量：%s…", op.Label)
		res.Ops[op.Name] = drive(ctx, o.Concurrency, o.Warmup, o.Duration, f)
	}
	if o.wants("mixed") {
		o.Logf("测量：混合负载（90%% 读取，10%% 自动保存）…")
		res.Mixed = drive(ctx, o.Concurrency, o.Warmup, o.Duration, w.mixed)
	}
	res.RSSPeakMB = rss.finish()
	if o.MemProfile != nil {
		runtime.GC()
		if err := pprof.WriteHeapProfile(o.MemProfile); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Targets = targets(res)
	return res, nil
}

// targets checks the targets (for 2 cores, SQLite, 10,000 applications,
// concurrency 32), as ratios to the ceilings measured in the same run.
func targets(r *Result) []Target {
	var ts []Target
	add := func(name, want string, got float64, met bool) {
		ts = append(ts, Target{name, want, got, met})
	}
	add("混合负载吞吐 / 基线吞吐", "≥ 0.20", round3(r.Mixed.RPS/nonzero(r.BaselineRPS)), r.BaselineRPS > 0 && r.Mixed.RPS >= 0.2*r.BaselineRPS)
	add("混合负载 p99 (ms)", "≤ 50", r.Mixed.P99MS, r.Mixed.Requests > 0 && r.Mixed.P99MS <= 50)
	add("混合负载错误数", "= 0", float64(r.Mixed.Errors), r.Mixed.Requests > 0 && r.Mixed.Errors == 0)
	as := r.Ops[OpAutosave]
	add("自动保存吞吐 / 单行提交基线", "≥ 0.50", round3(as.RPS/nonzero(r.CommitBaselinePerS)), r.CommitBaselinePerS > 0 && as.RPS >= 0.5*r.CommitBaselinePerS)
	rl := r.Ops[OpReviewerList]
	add("审核列表 p99 (ms)", "≤ 20", rl.P99MS, rl.Requests > 0 && rl.P99MS <= 20)
	add("峰值常驻内存 (MB)", "≤ 256", r.RSSPeakMB, r.RSSPeakMB > 0 && r.RSSPeakMB <= 256)
	return ts
}

func nonzero(f float64) float64 {
	if f == 0 {
		return 1
	}
	return f
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
