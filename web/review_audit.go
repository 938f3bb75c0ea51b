package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"biopilot"
	"biopilot/seal"
	"biopilot/store"
)

// Audit results, as the store keeps them.
const (
	auditOK     = store.AuditOK
	auditDenied = store.AuditDenied
	auditFailed = store.AuditFailed
)

// audit appends one record to the audit trail (审计日志) for the request: the time,
// the logged-in person (or "anonymous"), their role, the client address, the
// object ("application:12", "user:5", "program:…", "file:SHA256"), the action
// ("login", "download", "transition:city_return", "denied", …), the result
// (ok, denied or failed) and a detail (any JSON-encodable value, or nil).
//
// The trail is append-only and hash-chained by the store. A failure to write it is
// logged and does not fail the request: the request's own outcome has already
// happened (a download served, a login refused), and refusing it afterwards would
// not undo it. Handlers of downloads call it after serving the file.
func (s *Server) audit(r *http.Request, object, action, result string, detail any) {
	u := currentUser(r)
	s.auditAs(r.Context(), u, s.clientAddr(r), object, action, result, detail)
}

// auditAs is audit without a request (or for a person other than the session's:
// a login names the account that logged in).
func (s *Server) auditAs(ctx context.Context, u *biopilot.User, addr, object, action, result string, detail any) {
	rec := &seal.ChainRecord{Time: s.now(), Actor: auditActor(u), Address: addr,
		Object: object, Action: action, Result: result}
	if u != nil {
		rec.Role = string(u.Role)
	}
	if detail != nil {
		raw, err := json.Marshal(detail)
		if err != nil {
			s.logger.ErrorContext(ctx, "audit: detail not encodable", "action", action, "err", err)
		} else if string(raw) != "null" {
			rec.Detail = raw
		}
	}
	if s.db == nil {
		return
	}
	// The record is written even when the request was cancelled: what happened
	// happened.
	if err := s.db.AppendAudit(context.WithoutCancel(ctx), rec); err != nil {
		s.logger.ErrorContext(ctx, "audit: append failed", "action", action, "object", object,
			"result", result, "actor", rec.Actor, "err", err)
		return
	}
	s.logger.DebugContext(ctx, "audit", "seq", rec.Seq, "action", action, "object", object,
		"result", result, "actor", rec.Actor)
}

// auditActor names a person in the trail: "user:ID username", or "anonymous".
func auditActor(u *biopilot.User) string {
	if u == nil {
		return "anonymous"
	}
	return fmt.Sprintf("user:%d %s", u.ID, u.Username)
}

// auditRefusal records a permission refusal of a route: every ENOTFOUND and
// EFORBIDDEN a logged-in caller meets (anonymous callers are turned away before
// any handler runs and are not recorded, or the trail would fill with scanners).
// It is called from the one place errors are written, (*Server).fail.
func (s *Server) auditRefusal(r *http.Request, err error) {
	u := currentUser(r)
	if u == nil {
		return
	}
	e := biopilot.AsError(err)
	if e == nil || (e.Code != biopilot.EFORBIDDEN && e.Code != biopilot.ENOTFOUND) {
		return
	}
	if e.Code == biopilot.ENOTFOUND && r.URL.Path != "" && info(r).route == "/api/" {
		return // an unknown API path is not a refusal
	}
	s.audit(r, "route:"+r.Method+" "+r.URL.Path, "denied", auditDenied,
		map[string]string{"route": info(r).route, "code": e.Code, "message": e.Message})
}

// auditUserObject names an account as an audit object: "user:ID username".
func auditUserObject(u *biopilot.User) string {
	if u == nil {
		return "user:0"
	}
	return fmt.Sprintf("user:%d %s", u.ID, u.Username)
}

// login checks credentials and opens a session (loginCheck), and records the
// outcome in the audit trail: "login" ok, or "login_failed" with the reason. The
// account named is the one typed (a username that does not exist is recorded as
// typed, so that guessing shows).
func (s *Server) login(ctx context.Context, username, password, addr, userAgent string) (*loginResult, error) {
	res, err := s.loginCheck(ctx, username, password, addr, userAgent)
	if err == nil {
		s.auditAs(ctx, res.user, addr, auditUserObject(res.user), "login", auditOK, nil)
		return res, nil
	}
	e := biopilot.AsError(err)
	if e == nil || e.Code == biopilot.EINVALID {
		return nil, err // a form left empty, or our own failure: not a login attempt
	}
	result := auditFailed
	if e.Code == biopilot.ETOOMANY || e.Code == biopilot.EFORBIDDEN {
		result = auditDenied
	}
	name := strings.ToLower(strings.TrimSpace(username))
	if len(name) > 64 {
		name = name[:64]
	}
	s.auditAs(ctx, nil, addr, "user:"+name, "login_failed", result,
		map[string]string{"username": name, "message": e.Message})
	return nil, err
}
