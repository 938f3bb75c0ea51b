package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"biopilot"
	"biopilot/auth"
	"biopilot/store"
	"biopilot/uscc"
)

// userJSON is a user as the API shows it: never the password hash.
type userJSON struct {
	ID                 int64  `json:"id"`
	Username           string `json:"username"`
	DisplayName        string `json:"display_name"`
	Email              string `json:"email,omitempty"`
	Phone              string `json:"phone,omitempty"`
	Role               string `json:"role"`
	RoleLabel          string `json:"role_label"`
	OrgID              int64  `json:"org_id,omitempty"`
	OrgName            string `json:"org_name,omitempty"`
	Jurisdiction       string `json:"jurisdiction,omitempty"`
	JurisdictionName   string `json:"jurisdiction_name,omitempty"`
	OrgAdmin           bool   `json:"org_admin"`
	Disabled           bool   `json:"disabled"`
	MustChangePassword bool   `json:"must_change_password"`
	CreatedAt          string `json:"created_at,omitempty"`
	LastLoginAt        string `json:"last_login_at,omitempty"`
}

func (s *Server) userJSON(u *biopilot.User, orgName string) userJSON {
	j := userJSON{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email,
		Phone: u.Phone, Role: string(u.Role), RoleLabel: u.Role.Label(), OrgID: u.OrgID,
		OrgName: orgName, Jurisdiction: u.Jurisdiction, OrgAdmin: u.OrgAdmin, Disabled: u.Disabled,
		MustChangePassword: u.MustChangePassword, CreatedAt: rfc3339(u.CreatedAt),
		LastLoginAt: rfc3339(u.LastLoginAt)}
	if u.Jurisdiction != "" {
		j.JurisdictionName = s.jurisdictionName(u.Jurisdiction)
	}
	return j
}

func (s *Server) jurisdictionName(code string) string {
	if code == biopilot.CountryCode {
		return "全国"
	}
	return s.prog.CityName(code)
}

// orgName returns the name of a user's organisation, or "".
func (s *Server) orgName(r *http.Request, u *biopilot.User) string {
	if u == nil || u.OrgID == 0 {
		return ""
	}
	org, err := s.db.Organisation(r.Context(), u.OrgID)
	if err != nil {
		return ""
	}
	return org.Name
}

type sessionJSON struct {
	User      userJSON `json:"user"`
	CSRFToken string   `json:"csrf_token"`
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := s.login(r.Context(), in.Username, in.Password, s.clientAddr(r), r.UserAgent())
	if err != nil {
		return err
	}
	// A new login replaces whatever session the client had (no fixation).
	if old := info(r).session; old != nil {
		_ = s.db.DeleteSession(r.Context(), old.ID)
	}
	s.setSessionCookie(w, r, res.token)
	info(r).user = res.user
	writeJSON(w, http.StatusOK, sessionJSON{User: s.userJSON(res.user, s.orgName(r, res.user)), CSRFToken: res.session.CSRFToken})
	return nil
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.logout(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	writeJSON(w, http.StatusOK, sessionJSON{User: s.userJSON(u, s.orgName(r, u)), CSRFToken: info(r).session.CSRFToken})
	return nil
}

func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		OldPassword string `json:"old_password"`
		NewPassword string `json:"new_password"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sess, err := s.changePassword(w, r, in.OldPassword, in.NewPassword)
	if err != nil {
		return err
	}
	u := currentUser(r)
	writeJSON(w, http.StatusOK, sessionJSON{User: s.userJSON(u, s.orgName(r, u)), CSRFToken: sess.CSRFToken})
	return nil
}

// registration is the body of POST /api/v1/register.
type registration struct {
	Organisation struct {
		Name     string `json:"name"`
		USCC     string `json:"uscc"`
		Kind     string `json:"kind"`
		CityCode string `json:"city_code"`
	} `json:"organisation"`
	User struct {
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
		Phone       string `json:"phone"`
		Password    string `json:"password"`
	} `json:"user"`
}

var (
	usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.@-]{2,31}$`)
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	mobileRE   = regexp.MustCompile(`^1[0-9]{10}$`)
)

// fieldErrors collects the problems of a form, in order.
type fieldErrors []biopilot.FieldError

func (fe *fieldErrors) add(field, msg string) {
	*fe = append(*fe, biopilot.FieldError{Field: field, Message: msg})
}

// page reads the paging parameters limit (1–500) and offset (≥ 0) of a list
// query into *limit and *offset, leaving them unchanged when absent and
// recording a Chinese message per malformed parameter.
func (fe *fieldErrors) page(q url.Values, limit, offset *int) {
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fe.add("limit", "每页条数 limit 应为 1 到 500 之间的整数")
		}
		*limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fe.add("offset", "偏移量 offset 应为不小于 0 的整数")
		}
		*offset = n
	}
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	e := &biopilot.Error{Code: biopilot.EINVALID, Field: fe[0].Field, Message: fe[0].Message, Fields: fe}
	if len(fe) > 1 {
		e.Message += "（另有 " + strconv.Itoa(len(fe)-1) + " 处错误）"
	}
	return e
}

// checkPerson checks the personal fields of an account, with a key prefix.
func checkPerson(fe *fieldErrors, prefix, username, displayName, email, phone string) {
	if !usernameRE.MatchString(username) {
		fe.add(prefix+"username", "用户名应为 3–32 个小写字母、数字或 _ . @ -，并以字母或数字开头")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(displayName)); n == 0 || n > 50 {
		fe.add(prefix+"display_name", "请填写姓名（不超过 50 个字）")
	}
	if email != "" && !emailRE.MatchString(email) {
		fe.add(prefix+"email", "电子邮箱格式不正确")
	}
	if !mobileRE.MatchString(phone) {
		fe.add(prefix+"phone", "手机号码应为以 1 开头的 11 位数字")
	}
}

func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request) error {
	var in registration
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	o, u := &in.Organisation, &in.User
	o.Name, o.USCC = strings.TrimSpace(o.Name), strings.ToUpper(strings.TrimSpace(o.USCC))
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	u.Email, u.Phone = strings.TrimSpace(u.Email), strings.TrimSpace(u.Phone)
	var fe fieldErrors
	if n := utf8.RuneCountInString(o.Name); n == 0 || n > 100 {
		fe.add("organisation.name", "请填写单位名称（不超过 100 个字）")
	}
	if err := uscc.Validate(o.USCC); err != nil {
		fe.add("organisation.uscc", biopilot.ErrorMessage(err))
	}
	if !validKind(o.Kind) {
		fe.add("organisation.kind", "单位属性应为：高校、科研机构、国有企业、民营企业之一")
	}
	if s.prog.City(o.CityCode) == nil {
		fe.add("organisation.city_code", "请选择单位所在地市（"+s.cityChoice()+"地级以上市之一）")
	}
	checkPerson(&fe, "user.", u.Username, u.DisplayName, u.Email, u.Phone)
	if err := auth.CheckPasswordPolicy(u.Password, u.Username); err != nil {
		fe.add("user.password", biopilot.ErrorMessage(err))
	}
	if err := fe.err(); err != nil {
		return err
	}
	if existing, err := s.db.OrganisationByUSCC(ctx, o.USCC); err == nil {
		return biopilot.Errorf(biopilot.ECONFLICT, "该统一社会信用代码已注册，请联系本单位管理员（%s）或所在地市工业和信息化局",
			s.orgAdminContact(r, existing.ID))
	} else if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return err
	}
	if _, err := s.db.UserByUsername(ctx, u.Username); err == nil {
		e := invalid("user.username", "用户名「"+u.Username+"」已被使用，请换一个")
		e.(*biopilot.Error).Code = biopilot.ECONFLICT
		return e
	} else if biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		return err
	}
	hash, err := auth.HashPassword(u.Password, s.cfg.PasswordParams)
	if err != nil {
		return err
	}
	org := &biopilot.Organisation{Name: o.Name, USCC: o.USCC, Kind: o.Kind, CityCode: o.CityCode, CreatedAt: s.now()}
	if err := s.db.CreateOrganisation(ctx, org); err != nil {
		return err
	}
	user := &biopilot.User{Username: u.Username, DisplayName: strings.TrimSpace(u.DisplayName),
		Email: u.Email, Phone: u.Phone, Role: biopilot.RoleApplicant, OrgID: org.ID,
		OrgAdmin: true, PasswordHash: hash, CreatedAt: s.now()}
	if err := s.db.CreateUser(ctx, user); err != nil {
		return err
	}
	s.logger.InfoContext(ctx, "organisation registered", "org_id", org.ID, "user_id", user.ID)
	writeJSON(w, http.StatusCreated, map[string]any{
		"organisation": s.orgJSON(org),
		"user":         s.userJSON(user, org.Name),
	})
	return nil
}

// orgAdminContact names an organisation's administrator, masked: "张**，138****1234".
func (s *Server) orgAdminContact(r *http.Request, orgID int64) string {
	users, err := s.db.Users(r.Context(), store.UserFilter{OrgID: orgID, Limit: 500})
	if err != nil {
		return "本单位管理员账号"
	}
	for _, u := range users {
		if u.OrgAdmin && !u.Disabled {
			return maskName(u.DisplayName) + "，" + maskPhone(u.Phone)
		}
	}
	return "本单位管理员账号"
}

func maskName(name string) string {
	rs := []rune(strings.TrimSpace(name))
	if len(rs) == 0 {
		return "**"
	}
	return string(rs[0]) + strings.Repeat("*", max(len(rs)-1, 1))
}

func maskPhone(p string) string {
	if len(p) < 7 {
		return "***"
	}
	return p[:3] + "****" + p[len(p)-4:]
}

func validKind(k string) bool {
	for _, o := range biopilot.OrgKinds {
		if o.Key == k {
			return true
		}
	}
	return false
}

func kindLabel(k string) string {
	for _, o := range biopilot.OrgKinds {
		if o.Key == k {
			return o.Label
		}
	}
	return k
}

func (s *Server) orgJSON(o *biopilot.Organisation) map[string]any {
	return map[string]any{"id": o.ID, "name": o.Name, "uscc": o.USCC, "kind": o.Kind,
		"kind_label": kindLabel(o.Kind), "city_code": o.CityCode, "city_name": s.prog.CityName(o.CityCode),
		"created_at": rfc3339(o.CreatedAt)}
}

func (s *Server) apiUSCC(w http.ResponseWriter, r *http.Request) error {
	code := strings.ToUpper(strings.TrimSpace(r.PathValue("code")))
	out := map[string]any{"valid": true, "message": "统一社会信用代码格式正确", "suggested_city": "", "suggested_city_name": ""}
	if err := uscc.Validate(code); err != nil {
		out["valid"], out["message"] = false, biopilot.ErrorMessage(err)
	} else if c := s.prog.SuggestCity(code); c != "" {
		out["suggested_city"], out["suggested_city_name"] = c, s.prog.CityName(c)
	} else {
		out["message"] = "统一社会信用代码格式正确；登记机关不在地市一级，请手动选择所在地市"
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiProgram(w http.ResponseWriter, r *http.Request) error {
	p := s.prog
	writeJSON(w, http.StatusOK, map[string]any{
		"id": p.ID, "edition": p.Edition, "title": p.Title, "short_title": p.ShortTitle,
		"notice": p.Notice, "notice_title": p.NoticeTitle, "guide_title": p.GuideTitle,
		"issuers": p.Issuers,
		"deadlines": map[string]string{
			"applicant": rfc3339(p.ApplicantDeadline()),
			"city":      rfc3339(p.CityDeadline()),
		},
		"province": p.Province, "cities": p.Cities, "domains": p.Domains,
		"org_kinds": orgKindsJSON(), "form": p.Form,
	})
	return nil
}

func orgKindsJSON() []map[string]string {
	out := make([]map[string]string, 0, len(biopilot.OrgKinds))
	for _, k := range biopilot.OrgKinds {
		out = append(out, map[string]string{"key": k.Key, "label": k.Label})
	}
	return out
}
