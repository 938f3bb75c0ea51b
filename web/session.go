package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"biopilot"
	"biopilot/auth"
)

// loginResult is a successful login: the new session, its cookie token, the user.
type loginResult struct {
	session *biopilot.Session
	token   string
	user    *biopilot.User
}

// errBadCredentials is the one answer to a wrong username or a wrong password, so
// that the difference is not revealed.
func errBadCredentials() error {
	return biopilot.Errorf(biopilot.EUNAUTHORIZED, "用户名或密码错误")
}

// loginCheck checks credentials and opens a session (login, in review_audit.go,
// calls it and audits the outcome). Throttling is checked first, before
// the password is looked at, so that a locked account cannot be brute-forced: over
// LoginMaxFailuresPerAccount failures of the account, or LoginMaxFailuresPerAddress
// failures from the address, within LoginWindow, the answer is ETOOMANY.
func (s *Server) loginCheck(ctx context.Context, username, password, addr, userAgent string) (*loginResult, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if username == "" {
		return nil, invalid("username", "请填写用户名")
	}
	if password == "" {
		return nil, invalid("password", "请填写密码")
	}
	now := s.now()
	since := now.Add(-s.cfg.LoginWindow)
	userKey, addrKey := "user:"+username, "addr:"+addr
	for _, k := range []struct {
		key   string
		limit int
	}{{userKey, s.cfg.LoginMaxFailuresPerAccount}, {addrKey, s.cfg.LoginMaxFailuresPerAddress}} {
		n, err := s.db.LoginFailures(ctx, k.key, since)
		if err != nil {
			return nil, err
		}
		if n >= k.limit {
			return nil, s.errThrottled()
		}
	}
	fail := func() error {
		for _, k := range []string{userKey, addrKey} {
			if err := s.db.RecordLoginFailure(ctx, k, now); err != nil {
				return err
			}
		}
		return errBadCredentials()
	}
	u, err := s.db.UserByUsername(ctx, username)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		// Spend the time of a real verification, so that timing does not tell
		// which usernames exist.
		_, _ = auth.VerifyPassword(s.dummyPasswordHash(), password)
		return nil, fail()
	} else if err != nil {
		return nil, err
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, password)
	if err != nil {
		s.logger.ErrorContext(ctx, "stored password hash unreadable", "user_id", u.ID, "err", err)
	}
	if !ok {
		return nil, fail()
	}
	if u.Disabled {
		return nil, biopilot.Errorf(biopilot.EFORBIDDEN, "该账号已停用，请联系本单位管理员或系统安全管理员")
	}
	if u.OrgID != 0 {
		org, err := s.db.Organisation(ctx, u.OrgID)
		if err != nil {
			return nil, err
		}
		if org.Disabled {
			return nil, biopilot.Errorf(biopilot.EFORBIDDEN, "所属单位已停用，请联系所在地市工业和信息化局")
		}
	}
	if err := s.db.ClearLoginFailures(ctx, userKey); err != nil {
		return nil, err
	}
	if auth.NeedsRehash(u.PasswordHash, s.cfg.PasswordParams) {
		if h, err := auth.HashPassword(password, s.cfg.PasswordParams); err == nil {
			if err := s.db.SetPassword(ctx, u.ID, h, u.MustChangePassword); err != nil {
				s.logger.WarnContext(ctx, "rehash password", "user_id", u.ID, "err", err)
			}
		}
	}
	if err := s.db.TouchLogin(ctx, u.ID, now); err != nil {
		return nil, err
	}
	sess, token, err := s.newSession(ctx, u, addr, userAgent)
	if err != nil {
		return nil, err
	}
	return &loginResult{session: sess, token: token, user: u}, nil
}

// errThrottled is the throttling answer, naming the minutes to wait.
func (s *Server) errThrottled() error {
	mins := int(math.Ceil(s.cfg.LoginWindow.Minutes()))
	return biopilot.Errorf(biopilot.ETOOMANY, "登录失败次数过多，请 %d 分钟后再试", mins)
}

// dummyPasswordHash is a hash of nothing anyone types, made once with the server's
// parameters, verified against when the username does not exist.
func (s *Server) dummyPasswordHash() string {
	s.dummyOnce.Do(func() {
		h, err := auth.HashPassword("\x00no such user\x00", s.cfg.PasswordParams)
		if err == nil {
			s.dummyHash = h
		}
	})
	return s.dummyHash
}

// newSession stores a new session of u and returns it with its cookie token. The
// database keeps only the token's hash.
func (s *Server) newSession(ctx context.Context, u *biopilot.User, addr, userAgent string) (*biopilot.Session, string, error) {
	token, err := auth.NewToken()
	if err != nil {
		return nil, "", err
	}
	csrf, err := auth.NewToken()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	sess := &biopilot.Session{ID: auth.HashToken(token), UserID: u.ID, CSRFToken: csrf,
		Address: addr, UserAgent: userAgent, CreatedAt: now, LastSeen: now,
		ExpiresAt: now.Add(s.cfg.SessionMaxAge)}
	if err := s.db.CreateSession(ctx, sess); err != nil {
		return nil, "", err
	}
	return sess, token, nil
}

// setSessionCookie sends the session cookie: HttpOnly, SameSite=Lax, Path=/, Secure
// under TLS or with cfg.SecureCookies, living as long as a session may (the server
// enforces the idle and absolute limits itself).
func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies || s.isTLS(r),
		MaxAge: int(s.cfg.SessionMaxAge.Seconds()),
	})
}

// clearSessionCookie tells the browser to forget the session cookie.
func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies || s.isTLS(r), MaxAge: -1,
	})
}

// logout deletes the request's session, if any, and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if sess := info(r).session; sess != nil {
		s.audit(r, auditUserObject(currentUser(r)), "logout", auditOK, nil)
		if err := s.db.DeleteSession(r.Context(), sess.ID); err != nil && biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
			return err
		}
	}
	s.clearSessionCookie(w, r)
	return nil
}

// changePassword checks the old password and the policy, stores the new hash, ends
// every session of the user and opens a fresh one for this client.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, oldPW, newPW string) (*biopilot.Session, error) {
	ctx := r.Context()
	u := currentUser(r)
	if oldPW == "" {
		return nil, invalid("old_password", "请填写原密码")
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, oldPW)
	if err != nil {
		s.logger.ErrorContext(ctx, "stored password hash unreadable", "user_id", u.ID, "err", err)
	}
	if !ok {
		return nil, invalid("old_password", "原密码不正确")
	}
	if err := auth.CheckPasswordPolicy(newPW, u.Username); err != nil {
		return nil, renameField(err, "new_password", "新密码")
	}
	if newPW == oldPW {
		return nil, invalid("new_password", "新密码不能与原密码相同")
	}
	hash, err := auth.HashPassword(newPW, s.cfg.PasswordParams)
	if err != nil {
		return nil, err
	}
	if err := s.db.SetPassword(ctx, u.ID, hash, false); err != nil {
		return nil, err
	}
	if err := s.db.DeleteUserSessions(ctx, u.ID); err != nil {
		return nil, err
	}
	u.MustChangePassword, u.PasswordHash = false, hash
	sess, token, err := s.newSession(ctx, u, s.clientAddr(r), r.UserAgent())
	if err != nil {
		return nil, err
	}
	s.setSessionCookie(w, r, token)
	info(r).session = sess
	return sess, nil
}

// renameField moves a password policy error to another field name and label.
func renameField(err error, field, label string) error {
	e := biopilot.AsError(err)
	if e == nil {
		return err
	}
	msg := strings.Replace(e.Message, "密码", label, 1)
	return &biopilot.Error{Code: e.Code, Message: msg, Field: field,
		Fields: []biopilot.FieldError{{Field: field, Message: msg}}}
}

// beijing formats a time in Beijing time for pages.
func beijing(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(biopilot.Beijing).Format("2006-01-02 15:04")
}

// rfc3339 formats a time as RFC 3339 in Beijing time (+08:00) for the API.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(biopilot.Beijing).Format(time.RFC3339)
}

// countdown is the deadline text of the page header, in days and hours.
func countdown(label string, deadline, now time.Time) string {
	d := deadline.Sub(now)
	if d <= 0 {
		return fmt.Sprintf("%s已截止（%s）", label, beijing(deadline))
	}
	days := int(d / (24 * time.Hour))
	hours := int((d % (24 * time.Hour)) / time.Hour)
	return fmt.Sprintf("距%s截止还有 %d 天 %d 小时", label, days, hours)
}
