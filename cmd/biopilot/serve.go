package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"biopilot"
	"biopilot/files"
	"biopilot/notify"
	"biopilot/program"
	"biopilot/render"
	"biopilot/rules"
	"biopilot/store"
	"biopilot/web"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	c := config{}
	fs := flagSet(e, "serve", "serve [参数]")
	fs.StringVar(&c.Addr, "addr", envOr(e, "BIOPILOT_ADDR", "127.0.0.1:8080"), "监听地址（环境变量 BIOPILOT_ADDR）")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", envBool(e, "BIOPILOT_SECURE_COOKIES"), "在 HTTPS 反向代理之后运行时设置 Cookie 的 Secure 属性（环境变量 BIOPILOT_SECURE_COOKIES）")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", e.getenv("BIOPILOT_METRICS_ADDR"), "在此单独地址上提供 Prometheus 指标 /metrics，例如 127.0.0.1:9090（默认不提供；环境变量 BIOPILOT_METRICS_ADDR）")
	fs.Int64Var(&c.MaxUploadMB, "max-upload-mb", envInt(e, "BIOPILOT_MAX_UPLOAD_MB", 50), "每个佐证材料文件的大小上限（MB；环境变量 BIOPILOT_MAX_UPLOAD_MB）")
	fs.StringVar(&c.TLSCert, "tls-cert", e.getenv("BIOPILOT_TLS_CERT"), "HTTPS 证书文件（PEM，与 --tls-key 同时使用；环境变量 BIOPILOT_TLS_CERT）")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", envBool(e, "BIOPILOT_TRUST_PROXY"), "信任反向代理提供的客户端地址与协议头（X-Real-IP、X-Forwarded-For、X-Forwarded-Proto）；仅在只能经由代理访问时开启（环境变量 BIOPILOT_TRUST_PROXY）")
	fs.StringVar(&c.TLSKey, "tls-key", e.getenv("BIOPILOT_TLS_KEY"), "HTTPS 私钥文件（PEM；环境变量 BIOPILOT_TLS_KEY）")
	addCommonFlags(fs, e, &c)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		fmt.Fprintln(e.stderr, "biopilot serve：--tls-cert 与 --tls-key 须同时提供")
		return exitError{2}
	}
	prog, err := loadProgram(c.Program)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	return serve(ctx, e, &c, db, prog, biopilot.SystemClock{})
}

// serve runs the web server on c.Addr until ctx is done, then shuts down gracefully,
// finishing the requests in flight.
func serve(ctx context.Context, e *env, c *config, db *store.DB, prog *program.Program, clock biopilot.Clock) error {
	applyGCDefaults(e)
	logger, err := c.logger(e.stderr)
	if err != nil {
		return err
	}
	eng, err := rules.Compile(prog)
	if err != nil {
		return fmt.Errorf("项目规则编译失败：%w", err)
	}
	mk, err := c.masterKey()
	if err != nil {
		return err
	}
	fstore, err := files.Open(ctx, c.filesURL())
	if err != nil {
		return fmt.Errorf("无法打开佐证材料存储：%w", err)
	}
	defer fstore.Close()
	smtp, err := notify.ConfigFromEnv(e.getenv)
	if err != nil {
		return err
	}
	mailer, err := notify.NewMailer(smtp, logger)
	if err != nil {
		return err
	}
	notifier := notify.New(db, mailer, logger, e.getenv("BIOPILOT_BASE_URL"))
	renderer, err := render.New()
	if err != nil {
		return err
	}
	wcfg := web.DefaultConfig()
	wcfg.SecureCookies = c.SecureCookies
	wcfg.TrustProxy = c.TrustProxy
	if c.MaxUploadMB > 0 {
		wcfg.MaxUploadBytes = c.MaxUploadMB << 20
	}
	deps := web.Deps{DB: db, Program: prog, Rules: eng, Clock: clock,
		Logger: logger, Files: fstore, MasterKey: mk, Notifier: notifier, Renderer: renderer}
	if oc, ok := clock.(*biopilot.OffsetClock); ok { // the demo: /demo/clock fast-forwards it
		deps.DemoClock = oc
		db.SetClock(oc)
	}
	srv := web.NewServer(wcfg, deps)
	hctx, stopHousekeeping := context.WithCancel(ctx)
	defer stopHousekeeping()
	go housekeeping(hctx, db, prog, notifier, clock, logger)
	go func() {
		// Evidence uploaded before SM3 was recorded at upload gets it once, so that
		// packages copy it instead of hashing it again.
		if n, err := fstore.BackfillSM3(hctx, db); err != nil && hctx.Err() == nil {
			logger.Warn("backfill SM3", "err", err, "recorded", n)
		} else if n > 0 {
			logger.Info("backfill SM3", "recorded", n)
		}
	}()

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("无法监听 %s：%w", c.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          nil,
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "biopilot 已启动：%s://%s/\n", scheme, ln.Addr())
	logger.Info("listening", "addr", ln.Addr().String(), "program", prog.ID, "db", db.Dialect())
	if c.MetricsAddr != "" {
		stopMetrics, err := serveMetrics(c.MetricsAddr, srv, logger)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopMetrics()
		fmt.Fprintf(e.stdout, "Prometheus 指标：http://%s/metrics\n", c.MetricsAddr)
	}

	errc := make(chan error, 1)
	go func() {
		if c.TLSCert != "" {
			errc <- hs.ServeTLS(ln, c.TLSCert, c.TLSKey)
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("关闭服务器：%w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(e.stdout, "biopilot 已停止。")
	return nil
}

// housekeeping deletes expired sessions and old login failures and sends the
// deadline reminders (3 days and 24 hours before) every ten minutes, and once at
// start. Any number of instances may run it at once: the deletes are idempotent and
// each reminder is recorded once in the database before it is sent.
func housekeeping(ctx context.Context, db *store.DB, prog *program.Program, n *notify.Notifier, clock biopilot.Clock, logger *slog.Logger) {
	if _, err := n.DeadlineReminders(ctx, prog, clock.Now()); err != nil && ctx.Err() == nil {
		logger.Warn("housekeeping: reminders", "err", err)
	}
	// OPS: the query planner's statistics, at start and hourly (store.Analyze).
	if err := db.Analyze(ctx); err != nil && ctx.Err() == nil {
		logger.Warn("housekeeping: analyze", "err", err)
	}
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := clock.Now()
		if tick%6 == 0 {
			if err := db.Analyze(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("housekeeping: analyze", "err", err)
			}
		}
		if _, err := db.DeleteExpiredSessions(ctx, now); err != nil && ctx.Err() == nil {
			logger.Warn("housekeeping: sessions", "err", err)
		}
		if _, err := db.PruneLoginFailures(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			logger.Warn("housekeeping: login failures", "err", err)
		}
		if _, err := n.DeadlineReminders(ctx, prog, now); err != nil && ctx.Err() == nil {
			logger.Warn("housekeeping: reminders", "err", err)
		}
	}
}

// serveMetrics serves the metrics alone on their own listener (OPS: never on the
// public port) and returns the function that stops it.
func serveMetrics(addr string, srv *web.Server, logger *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("无法监听指标地址 %s：%w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", srv.MetricsHandler())
	ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := ms.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "err", err)
		}
	}()
	logger.Info("metrics listening", "addr", ln.Addr().String())
	return func() { ms.Close() }, nil
}
