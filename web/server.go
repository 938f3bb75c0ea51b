// Package web is everything HTTP: sessions and login, CSRF protection, the JSON API
// under /api/v1 with its OpenAPI document, and the server-rendered pages. It decides
// no authorization of its own: it asks package authz. It runs no SQL: it calls the
// store.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"biopilot"
	"biopilot/auth"
	"biopilot/files"
	"biopilot/notify"
	"biopilot/program"
	"biopilot/render"
	"biopilot/rules"
	"biopilot/seal"
	"biopilot/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed openapi.json
var openapiJSON []byte

// MaxBodyBytes limits the body of any request (JSON documents are the largest).
const MaxBodyBytes = 2 << 20

// Config configures the server. DefaultConfig gives the production values.
type Config struct {
	// SecureCookies marks cookies Secure even when the request did not arrive over
	// TLS (behind a TLS-terminating proxy). Under TLS they are always Secure.
	SecureCookies bool
	// IdleTimeout ends a session not used for so long (30 minutes by default).
	IdleTimeout time.Duration
	// SessionMaxAge ends a session so long after login, however active.
	SessionMaxAge time.Duration
	// LoginMaxFailuresPerAccount and LoginMaxFailuresPerAddress are how many failed
	// logins an account, and a client address, may have within LoginWindow before
	// further attempts are refused without looking at the password.
	LoginMaxFailuresPerAccount int
	LoginMaxFailuresPerAddress int
	LoginWindow                time.Duration
	// TrustProxy takes the client address from X-Real-IP / X-Forwarded-For (set by a
	// reverse proxy in front) instead of the connection.
	TrustProxy bool
	// PasswordParams are the argon2id costs for new password hashes. Tests use
	// cheaper ones; verification reads the parameters stored in each hash.
	PasswordParams auth.Params
	// MaxUploadBytes limits each uploaded evidence file (files.DefaultLimit, 50 MB,
	// when zero).
	MaxUploadBytes int64
}

// DefaultConfig returns the production configuration.
func DefaultConfig() Config {
	return Config{
		IdleTimeout:                30 * time.Minute,
		SessionMaxAge:              12 * time.Hour,
		LoginMaxFailuresPerAccount: 5,
		LoginMaxFailuresPerAddress: 20,
		LoginWindow:                15 * time.Minute,
		PasswordParams:             auth.DefaultParams,
	}
}

// Server serves the web application. It holds no global state: everything it needs
// is passed to NewServer.
type Server struct {
	cfg       Config
	db        *store.DB
	prog      *program.Program
	eng       *rules.Engine
	clock     biopilot.Clock
	demoClock *biopilot.OffsetClock
	logger    *slog.Logger

	files     *files.Store
	masterKey seal.MasterKey
	notifier  *notify.Notifier
	renderer  *render.Renderer

	mux    *http.ServeMux
	routes []Route
	pages  map[string]*template.Template
	static http.Handler

	dummyOnce sync.Once
	dummyHash string

	// metrics are the request counts for /metrics (OPS: ops_metrics.go).
	metrics opsMetrics

	// cache keeps eligibility reports and rendered PDFs (PERF: cache.go).
	cache serverCache
}

// Route is one registered route: its pattern ("GET /api/v1/me") and whether it can
// be used without logging in.
type Route struct {
	Pattern string
	Method  string
	Path    string
	Public  bool
}

// Deps are what the server works with, built once in cmd/ and passed in.
type Deps struct {
	DB      *store.DB
	Program *program.Program
	// Rules is the program's compiled rules; nil compiles them from Program.
	Rules *rules.Engine
	// Clock tells the time (deadlines depend on it); nil is the system clock.
	Clock biopilot.Clock
	// Logger logs; nil discards.
	Logger *slog.Logger
	// Files stores evidence content-addressed.
	Files *files.Store
	// MasterKey encrypts the organisations' and authorities' signing keys at rest.
	MasterKey seal.MasterKey
	// Notifier delivers in-app notifications and their e-mails; nil records the
	// in-app notifications only (REVIEW).
	Notifier *notify.Notifier
	// Renderer renders the print preview; nil makes one when first needed.
	Renderer *render.Renderer
	// DemoClock, set only by the demo, is the clock the ministry and the
	// administrator may fast-forward at /demo/clock (to get past a public notice).
	// When set it must also be Clock. Nil everywhere else: /demo/clock is a 404.
	DemoClock *biopilot.OffsetClock
}

// NewServer returns a server. Zero values in cfg are taken from DefaultConfig.
func NewServer(cfg Config, d Deps) *Server {
	db, prog, eng, clock, logger := d.DB, d.Program, d.Rules, d.Clock, d.Logger
	def := DefaultConfig()
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = def.IdleTimeout
	}
	if cfg.SessionMaxAge <= 0 {
		cfg.SessionMaxAge = def.SessionMaxAge
	}
	if cfg.LoginMaxFailuresPerAccount <= 0 {
		cfg.LoginMaxFailuresPerAccount = def.LoginMaxFailuresPerAccount
	}
	if cfg.LoginMaxFailuresPerAddress <= 0 {
		cfg.LoginMaxFailuresPerAddress = def.LoginMaxFailuresPerAddress
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = def.LoginWindow
	}
	if cfg.PasswordParams == (auth.Params{}) {
		cfg.PasswordParams = def.PasswordParams
	}
	if clock == nil {
		clock = biopilot.SystemClock{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if eng == nil {
		var err error
		if eng, err = rules.Compile(prog); err != nil {
			panic("web: compile rules: " + err.Error())
		}
	}
	s := &Server{cfg: cfg, db: db, prog: prog, eng: eng, clock: clock, demoClock: d.DemoClock, logger: logger,
		files: d.Files, masterKey: d.MasterKey, notifier: d.Notifier, renderer: d.Renderer, mux: http.NewServeMux()}
	s.pages = mustParsePages()
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	s.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	s.registerRoutes()
	return s
}

// Handler returns the server's handler with its middleware: request logging, panic
// recovery, security headers, body size limit, session loading and CSRF protection.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	h = s.csrf(h)
	h = s.loadSession(h)
	h = s.limitBodies(h) // MaxBodyBytes; uploads: MaxUploadBytes per file (applicant_evidence.go)
	h = s.securityHeaders(h)
	h = s.recoverPanic(h)
	h = s.instrument(h) // OPS: request metrics (ops_metrics.go)
	h = s.logRequests(h)
	return h
}

// Routes returns the registered routes, in registration order.
func (s *Server) Routes() []Route {
	return append([]Route(nil), s.routes...)
}

// OpenAPI returns the OpenAPI 3 document served at /api/v1/openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openapiJSON...) }

func (s *Server) now() time.Time { return s.clock.Now() }
