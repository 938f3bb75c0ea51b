package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"biopilot"
	"biopilot/auth"
)

// reqInfo is what the middleware learns about a request as it passes down: the
// logging middleware puts it in the context first, the others fill it in.
type reqInfo struct {
	user    *biopilot.User
	session *biopilot.Session
	route   string
	// expired is set when the request carried a session that timed out.
	expired bool
}

type infoKey struct{}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// currentUser returns the logged-in user, or nil.
func currentUser(r *http.Request) *biopilot.User { return info(r).user }

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one structured line per request: method, route pattern, status,
// duration and user id.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		var uid int64
		if ri.user != nil {
			uid = ri.user.ID
		}
		level := slogLevel(sw.status)
		s.logger.Log(r.Context(), level, "http request", "method", r.Method, "route", ri.route,
			"path", r.URL.Path, "status", sw.status, "duration_ms",
			float64(time.Since(start).Microseconds())/1000, "user_id", uid, "addr", s.clientAddr(r))
	})
}

// recoverPanic turns a panic into a 500 and logs it with its stack.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err := fmt.Errorf("panic: %v", v)
			if isAPI(r) {
				s.apiError(w, r, err)
			} else {
				s.pageError(w, r, err)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only the server's own scripts, styles and images:
// no inline script, no framing.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.isTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// sessionCookie is the name of the session cookie.
const sessionCookie = "biopilot_session"

// touchEvery is how often a session's LastSeen is written: at most once a minute.
const touchEvery = time.Minute

// loadSession finds the request's session from its cookie and puts the session and
// its user in the request info. An unknown, idle, expired or disabled session is
// deleted and its cookie cleared: the request goes on anonymous.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" || noSession(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		id := auth.HashToken(c.Value)
		sess, user, err := s.db.Session(ctx, id)
		switch {
		case biopilot.ErrorCode(err) == biopilot.ENOTFOUND:
			s.clearSessionCookie(w, r)
			next.ServeHTTP(w, r)
			return
		case err != nil:
			s.fail(w, r, err)
			return
		}
		now := s.now()
		if user == nil || user.Disabled || now.Sub(sess.LastSeen) > s.cfg.IdleTimeout || !now.Before(sess.ExpiresAt) {
			if err := s.db.DeleteSession(ctx, id); err != nil && biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
				s.logger.WarnContext(ctx, "delete expired session", "err", err)
			}
			s.clearSessionCookie(w, r)
			info(r).expired = true
			next.ServeHTTP(w, r)
			return
		}
		if now.Sub(sess.LastSeen) >= touchEvery {
			if err := s.db.TouchSession(ctx, id, now); err != nil {
				s.fail(w, r, err)
				return
			}
			sess.LastSeen = now
		}
		ri := info(r)
		ri.session, ri.user = sess, user
		next.ServeHTTP(w, r)
	})
}

// noSession reports whether a path is served without looking up a session: static
// files and the health checks (which must answer even when the database does not).
func noSession(path string) bool {
	return strings.HasPrefix(path, "/static/") || path == "/healthz" || path == "/readyz"
}

// csrfExempt are the requests that act on no session's authority: they create one
// (login) or an account (register). They are still covered by the cross-origin check.
var csrfExempt = map[string]bool{
	"POST /login":           true,
	"POST /api/v1/login":    true,
	"POST /api/v1/register": true,
}

// csrf protects every state-changing request (anything but GET, HEAD, OPTIONS) in
// two layers:
//
//  1. Cross-origin check, for every such request, with or without a session:
//     net/http's CrossOriginProtection refuses a request whose Sec-Fetch-Site
//     header says it came from another site, or (for browsers without that header)
//     whose Origin names a host other than the request's. Requests with neither
//     header do not come from a browser and so cannot be forged by a web page.
//     This is what protects the login form, which has no session yet (no
//     double-submit cookie is needed: modern browsers send one of the two headers
//     on every cross-site POST).
//  2. Synchronizer token, for every request made with a session (except the
//     exempt ones above): the session's CSRF token, stored with the session, must
//     come back in the X-CSRF-Token header (API) or the csrf_token form field
//     (HTML forms). Login and GET /api/v1/me return it.
//
// The session cookie is also SameSite=Lax, so most browsers do not even send it
// on a cross-site POST.
func (s *Server) csrf(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if err := cop.Check(r); err != nil {
			s.fail(w, r, biopilot.Errorf(biopilot.EFORBIDDEN, "跨站请求被拒绝：请从本系统页面发起操作"))
			return
		}
		ri := info(r)
		if ri.session != nil && !csrfExempt[r.Method+" "+r.URL.Path] {
			token := r.Header.Get("X-CSRF-Token")
			if token == "" && isForm(r) {
				token = r.PostFormValue("csrf_token")
			}
			if !auth.TokensEqual(token, ri.session.CSRFToken) {
				s.fail(w, r, biopilot.Errorf(biopilot.EFORBIDDEN, "缺少或错误的 CSRF 令牌，请刷新页面后重试"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")
}

// isAPI reports whether a request is for the JSON API (errors as JSON, 401 rather
// than a redirect to the login page).
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// fail writes an error the way the request's side expects: JSON for the API, a page
// otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.auditRefusal(r, err)
	if isAPI(r) {
		s.apiError(w, r, err)
		return
	}
	s.pageError(w, r, err)
}

// isTLS reports whether the client's connection is TLS (directly, or at a trusted
// proxy that says so).
func (s *Server) isTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// clientAddr returns the client's IP address: the connection's, or with TrustProxy
// the one the proxy reports (X-Real-IP, else the last X-Forwarded-For entry, which
// is the one the proxy itself added).
func (s *Server) clientAddr(r *http.Request) string {
	if s.cfg.TrustProxy {
		if ip := strings.TrimSpace(r.Header.Get("X-Real-IP")); net.ParseIP(ip) != nil {
			return ip
		}
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func slogLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
