package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/auth"
	"biopilot/authz"
	"biopilot/program"
	"biopilot/store"
)

// newAccount is the body that creates an account (invitation or administrator).
type newAccount struct {
	Username     string `json:"username"`
	DisplayName  string `json:"display_name"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	Role         string `json:"role"`
	Jurisdiction string `json:"jurisdiction"`
}

// createdAccount answers an account creation: the one-time password is shown once
// and must be changed at first login.
type createdAccount struct {
	User            userJSON `json:"user"`
	InitialPassword string   `json:"initial_password"`
}

func (s *Server) apiMembers(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if err := authz.CheckManageMembers(u); err != nil {
		return err
	}
	users, err := s.db.Users(r.Context(), store.UserFilter{OrgID: u.OrgID, Limit: 500})
	if err != nil {
		return err
	}
	org := s.orgName(r, u)
	items := make([]userJSON, 0, len(users))
	for _, m := range users {
		items = append(items, s.userJSON(m, org))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// createAccount checks and stores a new account with a one-time password.
func (s *Server) createAccount(r *http.Request, in newAccount, u *biopilot.User) (*createdAccount, error) {
	ctx := r.Context()
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Email, in.Phone = strings.TrimSpace(in.Email), strings.TrimSpace(in.Phone)
	var fe fieldErrors
	checkPerson(&fe, "", in.Username, in.DisplayName, in.Email, in.Phone)
	if err := fe.err(); err != nil {
		return nil, err
	}
	if _, err := s.db.UserByUsername(ctx, in.Username); err == nil {
		return nil, &biopilot.Error{Code: biopilot.ECONFLICT, Field: "username",
			Message: "用户名「" + in.Username + "」已被使用，请换一个"}
	} else if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return nil, err
	}
	pw, err := auth.NewInitialPassword()
	if err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(pw, s.cfg.PasswordParams)
	if err != nil {
		return nil, err
	}
	u.Username, u.DisplayName, u.Email, u.Phone = in.Username, strings.TrimSpace(in.DisplayName), in.Email, in.Phone
	u.PasswordHash, u.MustChangePassword, u.CreatedAt = hash, true, s.now()
	if err := s.db.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return &createdAccount{User: s.userJSON(u, s.orgName(r, u)), InitialPassword: pw}, nil
}

func (s *Server) apiInviteMember(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	if err := authz.CheckManageMembers(me); err != nil {
		return err
	}
	var in newAccount
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Role != "" && in.Role != string(biopilot.RoleApplicant) {
		return invalid("role", "邀请的同事只能是申报单位账号")
	}
	out, err := s.createAccount(r, in, &biopilot.User{Role: biopilot.RoleApplicant, OrgID: me.OrgID})
	if err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "member invited", "user_id", me.ID, "new_user_id", out.User.ID)
	s.audit(r, "user:"+strconv.FormatInt(out.User.ID, 10), "member_invite", auditOK, nil)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// targetUser loads the user named by the {id} path value; an unknown id is ENOTFOUND.
func (s *Server) targetUser(r *http.Request) (*biopilot.User, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未找到该账号")
	}
	t, err := s.db.User(r.Context(), id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, nil
	}
	return t, err
}

// disableMember disables the colleague named by the {id} path value after
// checking that the current user manages that organisation's members; it logs,
// audits and returns the disabled user. Both the JSON API and the applicant
// page call it.
func (s *Server) disableMember(r *http.Request) (*biopilot.User, error) {
	me := currentUser(r)
	if err := authz.CheckManageMembers(me); err != nil {
		return nil, err
	}
	t, err := s.targetUser(r)
	if err != nil {
		return nil, err
	}
	if err := authz.CheckMember(me, t); err != nil {
		return nil, err
	}
	if err := s.db.SetUserDisabled(r.Context(), t.ID, true); err != nil {
		return nil, err
	}
	t.Disabled = true
	s.logger.InfoContext(r.Context(), "member disabled", "user_id", me.ID, "target_id", t.ID)
	s.audit(r, auditUserObject(t), "member_disable", auditOK, nil)
	return t, nil
}

func (s *Server) apiDisableMember(w http.ResponseWriter, r *http.Request) error {
	t, err := s.disableMember(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": s.userJSON(t, s.orgName(r, t))})
	return nil
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) error {
	me := currentUser(r)
	if err := authz.CheckCreateAccount(me, biopilot.RoleAdmin); err != nil && biopilot.ErrorCode(err) != biopilot.EINVALID {
		return err
	}
	var in newAccount
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	role := biopilot.Role(in.Role)
	if err := authz.CheckCreateAccount(me, role); err != nil {
		return err
	}
	jur, err := s.jurisdictionFor(role, strings.TrimSpace(in.Jurisdiction))
	if err != nil {
		return err
	}
	out, err := s.createAccount(r, in, &biopilot.User{Role: role, Jurisdiction: jur})
	if err != nil {
		return err
	}
	s.logger.InfoContext(r.Context(), "account created", "user_id", me.ID, "new_user_id", out.User.ID, "role", role)
	s.audit(r, "user:"+strconv.FormatInt(out.User.ID, 10), "user_create", auditOK, map[string]any{"role": role, "jurisdiction": jur})
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// jurisdictionFor checks the jurisdiction of a new authority account: a city of the
// program for a city, one of the program's provinces for the province (the only
// one when left empty in a provincial deployment), the country for the ministry,
// none for experts and operators.
func (s *Server) jurisdictionFor(role biopilot.Role, jur string) (string, error) {
	switch {
	case role.IsCity():
		if s.prog.City(jur) == nil {
			return "", invalid("jurisdiction", "地市账号的管辖范围应为本项目地级以上市之一的代码")
		}
		return jur, nil
	case role.IsProvince():
		provs := s.prog.Provinces()
		if jur == "" && len(provs) == 1 {
			jur = provs[0].Code
		}
		if s.prog.Level(jur) != program.LevelProvince {
			var names []string
			for _, p := range provs {
				names = append(names, p.Code+"（"+p.Name+"）")
			}
			msg := "省级账号的管辖范围应为 " + strings.Join(names, "、")
			if len(names) > 1 {
				msg += " 之一"
			}
			return "", invalid("jurisdiction", msg)
		}
		return jur, nil
	case role == biopilot.RoleMinistry:
		if jur != "" && jur != biopilot.CountryCode {
			return "", invalid("jurisdiction", "部级账号的管辖范围应为 "+biopilot.CountryCode+"（全国）")
		}
		return biopilot.CountryCode, nil
	}
	if jur != "" {
		return "", invalid("jurisdiction", role.Label()+"账号没有管辖范围，请留空")
	}
	return "", nil
}

// accountAdmin loads the target of a security administrator's action and checks it.
func (s *Server) accountAdmin(r *http.Request) (*biopilot.User, error) {
	me := currentUser(r)
	if err := authz.CheckAccountAdmin(me, &biopilot.User{}); err != nil && biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return nil, err
	}
	t, err := s.targetUser(r)
	if err != nil {
		return nil, err
	}
	if err := authz.CheckAccountAdmin(me, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Server) apiAdminDisable(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, true)
}

func (s *Server) apiAdminEnable(w http.ResponseWriter, r *http.Request) error {
	return s.setDisabled(w, r, false)
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disabled bool) error {
	t, err := s.accountAdmin(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.db.SetUserDisabled(ctx, t.ID, disabled); err != nil {
		return err
	}
	if !disabled {
		// Enabling also unlocks: the account's failed logins are forgotten.
		if err := s.db.ClearLoginFailures(ctx, "user:"+t.Username); err != nil {
			return err
		}
	}
	t.Disabled = disabled
	s.logger.InfoContext(ctx, "account disabled changed", "user_id", currentUser(r).ID,
		"target_id", t.ID, "disabled", disabled)
	s.audit(r, auditUserObject(t), map[bool]string{true: "user_disable", false: "user_enable"}[disabled], auditOK, nil)
	writeJSON(w, http.StatusOK, map[string]any{"user": s.userJSON(t, s.orgName(r, t))})
	return nil
}

func (s *Server) apiAdminResetPassword(w http.ResponseWriter, r *http.Request) error {
	t, err := s.accountAdmin(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	pw, err := auth.NewInitialPassword()
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(pw, s.cfg.PasswordParams)
	if err != nil {
		return err
	}
	if err := s.db.SetPassword(ctx, t.ID, hash, true); err != nil {
		return err
	}
	if err := s.db.DeleteUserSessions(ctx, t.ID); err != nil {
		return err
	}
	if err := s.db.ClearLoginFailures(ctx, "user:"+t.Username); err != nil {
		return err
	}
	t.MustChangePassword = true
	s.logger.InfoContext(ctx, "password reset", "user_id", currentUser(r).ID, "target_id", t.ID)
	s.audit(r, auditUserObject(t), "user_reset_password", auditOK, nil)
	writeJSON(w, http.StatusOK, createdAccount{User: s.userJSON(t, s.orgName(r, t)), InitialPassword: pw})
	return nil
}

// cityChoice says which cities an organisation may be in: "广东省 21 个" for the
// Guangdong program, "广东省 21 个、江苏省 13 个" for the national one.
func (s *Server) cityChoice() string {
	var parts []string
	for _, p := range s.prog.Provinces() {
		if n := len(s.prog.CitiesIn(p.Code)); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d 个", p.Name, n))
		}
	}
	return strings.Join(parts, "、")
}
