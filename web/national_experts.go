package web

// NATIONAL: the ministry's expert pool (专家库): list with loads, add, edit.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/national"
	"biopilot/store"
	"biopilot/uscc"
)

// expertInput is an expert of the pool as the form and the API give it.
type expertInput struct {
	Name      string              `json:"name"`
	OrgName   string              `json:"org_name"`
	OrgUSCC   string              `json:"org_uscc"`
	CityCode  string              `json:"city_code"`
	Domains   []string            `json:"domains"`
	Relations []national.Relation `json:"relations"`
	Username  string              `json:"username"` // an existing expert account, or ""
	Active    bool                `json:"active"`
}

// expertFromForm reads the pool form; relations are one per line:
// "统一社会信用代码或单位名称｜关系".
func expertFromForm(f url.Values) expertInput {
	in := expertInput{Name: f.Get("name"), OrgName: f.Get("org_name"), OrgUSCC: f.Get("org_uscc"),
		CityCode: f.Get("city_code"), Domains: f["domains"], Username: f.Get("username"), Active: f.Get("active") == "on"}
	for _, line := range strings.Split(f.Get("relations"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		who, kind, _ := strings.Cut(strings.ReplaceAll(line, "｜", "|"), "|")
		who, kind = strings.TrimSpace(who), strings.TrimSpace(kind)
		rel := national.Relation{Kind: kind}
		if uscc.Validate(strings.ToUpper(who)) == nil {
			rel.USCC = strings.ToUpper(who)
		} else {
			rel.OrgName = who
		}
		in.Relations = append(in.Relations, rel)
	}
	return in
}

// relationsText writes relations back as the form's lines.
func relationsText(rs []national.Relation) string {
	var lines []string
	for _, r := range rs {
		who := r.USCC
		if who == "" {
			who = r.OrgName
		}
		lines = append(lines, who+"｜"+r.Kind)
	}
	return strings.Join(lines, "\n")
}

// applyExpert checks the input and copies it onto e.
func (s *Server) applyExpert(ctx context.Context, in expertInput, e *store.ExpertRecord) error {
	in.Name, in.OrgName = strings.TrimSpace(in.Name), strings.TrimSpace(in.OrgName)
	in.OrgUSCC = strings.ToUpper(strings.TrimSpace(in.OrgUSCC))
	switch {
	case in.Name == "":
		return invalid("name", "请填写专家姓名")
	case in.OrgName == "":
		return invalid("org_name", "请填写专家所在单位")
	case in.OrgUSCC != "" && uscc.Validate(in.OrgUSCC) != nil:
		return invalid("org_uscc", "所在单位的统一社会信用代码无效")
	case in.CityCode != "" && s.prog.Jurisdiction(in.CityCode) == nil && s.prog.City(in.CityCode) == nil:
		return invalid("city_code", "所在地市无效："+in.CityCode)
	case len(in.Domains) == 0:
		return invalid("domains", "请至少选择一个评审领域")
	}
	for _, d := range in.Domains {
		if s.prog.DomainLabel(d) == d {
			return invalid("domains", "评审领域无效："+d)
		}
	}
	for i, r := range in.Relations {
		if r.USCC == "" && strings.TrimSpace(r.OrgName) == "" {
			return invalid("relations", fmt.Sprintf("第 %d 条关联关系缺少单位", i+1))
		}
	}
	e.Name, e.OrgName, e.OrgUSCC, e.CityCode = in.Name, in.OrgName, in.OrgUSCC, in.CityCode
	e.Domains, e.Relations, e.Active = in.Domains, in.Relations, in.Active
	e.UserID = 0
	if name := strings.TrimSpace(in.Username); name != "" {
		u, err := s.db.UserByUsername(ctx, name)
		if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
			return invalid("username", "账号不存在："+name)
		} else if err != nil {
			return err
		}
		if u.Role != biopilot.RoleExpert {
			return invalid("username", "账号 "+name+" 不是评审专家账号")
		}
		e.UserID = u.ID
	}
	return nil
}

// saveExpert creates (id 0) or updates a pool member, audited.
func (s *Server) saveExpert(r *http.Request, id int64, in expertInput) (*store.ExpertRecord, error) {
	if _, err := ministry(r); err != nil {
		return nil, err
	}
	ctx := r.Context()
	e := &store.ExpertRecord{ProgramID: s.prog.ID}
	if id != 0 {
		var err error
		if e, err = s.db.Expert(ctx, id); err != nil {
			return nil, err
		}
		if e.ProgramID != s.prog.ID {
			return nil, biopilot.Errorf(biopilot.ENOTFOUND, "专家不存在")
		}
	}
	if err := s.applyExpert(ctx, in, e); err != nil {
		return nil, err
	}
	var err error
	action := "national:expert_update"
	if id == 0 {
		action = "national:expert_create"
		err = s.db.CreateExpert(ctx, e)
	} else {
		err = s.db.UpdateExpert(ctx, e)
	}
	detail := map[string]any{"name": e.Name, "org": e.OrgName, "domains": e.Domains, "relations": len(e.Relations), "active": e.Active, "user_id": e.UserID}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
		s.audit(r, fmt.Sprintf("expert:%d", e.ID), action, auditFailed, detail)
		return nil, err
	}
	s.audit(r, fmt.Sprintf("expert:%d", e.ID), action, auditOK, detail)
	return e, nil
}

// expertRow is one line of the pool page.
type expertRow struct {
	E         *store.ExpertRecord
	City      string
	Domains   string
	Relations string
	Username  string
	Load      int
}

func (s *Server) expertRows(ctx context.Context) ([]expertRow, error) {
	rs, err := s.loadRound(ctx, store.RoundSelection)
	if err != nil {
		return nil, err
	}
	var out []expertRow
	for _, e := range rs.Experts {
		row := expertRow{E: e, City: s.prog.CityName(e.CityCode), Domains: s.domainText(e.Domains),
			Relations: relationsText(e.Relations), Load: rs.load(e.ID)}
		if e.CityCode == "" {
			row.City = ""
		}
		if e.UserID != 0 {
			if u, err := s.db.User(ctx, e.UserID); err == nil {
				row.Username = u.Username
			}
		}
		out = append(out, row)
	}
	return out, nil
}

func (s *Server) pageMinistryExperts(w http.ResponseWriter, r *http.Request) error {
	return s.renderExperts(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderExperts(w http.ResponseWriter, r *http.Request, status int, msg string, form url.Values) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	rows, err := s.expertRows(r.Context())
	if err != nil {
		return err
	}
	if form == nil {
		form = url.Values{"active": {"on"}}
	}
	p := s.newPage(r, "专家库", map[string]any{"Rows": rows, "Domains": s.prog.Domains,
		"Cities": s.prog.Cities, "Form": form, "Done": r.URL.Query().Get("done")})
	p.Error = msg
	return s.render(w, r, status, "national_experts", p)
}

func (s *Server) pageMinistryExpertSave(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	var id int64
	if v := r.PathValue("id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return biopilot.Errorf(biopilot.ENOTFOUND, "专家不存在")
		}
		id = n
	}
	e, err := s.saveExpert(r, id, expertFromForm(r.PostForm))
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error {
			form := r.PostForm
			if id != 0 {
				form = nil // an edit's error: the add form stays empty
			}
			return s.renderExperts(w, r, st, m, form)
		})
	}
	http.Redirect(w, r, "/ministry/experts?done="+url.QueryEscape("已保存专家："+e.Name), http.StatusSeeOther)
	return nil
}

// expertJSON is a pool member in the API.
func expertJSON(row expertRow) map[string]any {
	e := row.E
	rels := e.Relations
	if rels == nil {
		rels = []national.Relation{}
	}
	return map[string]any{"id": e.ID, "name": e.Name, "org_name": e.OrgName, "org_uscc": e.OrgUSCC,
		"city_code": e.CityCode, "domains": e.Domains, "relations": rels, "active": e.Active,
		"user_id": e.UserID, "username": row.Username, "load": row.Load}
}

func (s *Server) apiNationalExperts(w http.ResponseWriter, r *http.Request) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	rows, err := s.expertRows(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": jsonItems(rows, expertJSON)})
	return nil
}

func (s *Server) apiNationalExpertSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	var id int64
	if v := r.PathValue("id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return biopilot.Errorf(biopilot.ENOTFOUND, "专家不存在")
		}
		id = n
	}
	var in expertInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	e, err := s.saveExpert(r, id, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, expertJSON(expertRow{E: e, Username: strings.TrimSpace(in.Username)}))
	return nil
}
