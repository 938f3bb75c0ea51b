package web

// NATIONAL: the ministry's national stage (issue 8) — shared pieces of the ministry's
// pages (national_*.go) and the expert's (expert_*.go): who the caller is, the
// applications and experts as package national sees them, the round's score sheet,
// and the batch transitions.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/export"
	"biopilot/national"
	"biopilot/program"
	"biopilot/store"
	"biopilot/workflow"
)

// ministry returns the caller when it is the ministry (authz.CheckMinistry).
func ministry(r *http.Request) (*biopilot.User, error) {
	u := currentUser(r)
	return u, authz.CheckMinistry(u)
}

// scoreSheet is the score sheet of a round: the national evaluation's from the
// program's evaluation section. Other rounds (the annual evaluation, issue 9) add
// their case here; a round without a sheet is ENOTFOUND.
func (s *Server) scoreSheet(round string) (national.ScoreSheet, error) {
	switch {
	case round == store.RoundSelection:
		return national.ScoreSheet(s.prog.Eval().ScoreSheet), nil
	case strings.HasPrefix(round, "annual-"): // ANNUAL: the annual section's sheet
		return s.annualSheet(), nil
	}
	return nil, biopilot.Errorf(biopilot.ENOTFOUND, "评审轮次「%s」没有评分表", round)
}

// roundLabel names a round in Chinese.
func roundLabel(round string) string {
	if round == store.RoundSelection {
		return "入选评审"
	}
	if y, ok := strings.CutPrefix(round, "annual-"); ok {
		return y + " 年度评价"
	}
	return round
}

// liveStates are the states of an assignment that still stands.
var liveStates = []string{store.AssignAssigned, store.AssignAccepted, store.AssignScored}

// appKey is an application's key in package national: its ID.
func appKey(id int64) string { return strconv.FormatInt(id, 10) }

// expertKey is a pool member's key in package national: its ID.
func expertKey(id int64) string { return strconv.FormatInt(id, 10) }

func parseKey(k string) int64 {
	n, _ := strconv.ParseInt(k, 10, 64)
	return n
}

// snapshotDoc decodes the document a reviewer reads: the frozen snapshot.
func (s *Server) snapshotDoc(app *biopilot.Application) (program.Document, error) {
	data := app.Snapshot
	if len(data) == 0 {
		data = app.Document
	}
	doc, err := s.prog.Form.DecodeDocument(data)
	if err != nil {
		return nil, fmt.Errorf("application %d: stored snapshot invalid: %w", app.ID, err)
	}
	return doc, nil
}

// candidate is what assignment needs of an application, from its snapshot: the
// organisation's USCC and name, its city and domains.
func (s *Server) candidate(app *biopilot.Application) national.Candidate {
	c := national.Candidate{ID: appKey(app.ID), OrgName: app.OrgName, CityCode: app.CityCode, Domains: app.Domains}
	doc, err := s.snapshotDoc(app)
	if err != nil {
		return c
	}
	if v, ok := program.Lookup(doc, "applicant.uscc"); ok {
		c.OrgUSCC, _ = v.(string)
	}
	if v, ok := program.Lookup(doc, "applicant.name"); ok {
		if n, _ := v.(string); n != "" {
			c.OrgName = n
		}
	}
	if v, ok := program.Lookup(doc, "domains"); ok {
		if list, ok := v.([]any); ok {
			c.Domains = nil
			for _, d := range list {
				if k, ok := d.(string); ok {
					c.Domains = append(c.Domains, k)
				}
			}
		}
	}
	return c
}

// expertOf is a pool member as package national sees it.
func expertOf(e *store.ExpertRecord) national.Expert {
	return national.Expert{ID: expertKey(e.ID), Name: e.Name, OrgName: e.OrgName, OrgUSCC: e.OrgUSCC,
		CityCode: e.CityCode, Domains: e.Domains, Relations: e.Relations}
}

// roundState is everything of a round the ministry's pages need at once.
type roundState struct {
	Round    string
	Experts  []*store.ExpertRecord
	ByID     map[int64]*store.ExpertRecord
	All      []*store.ReviewAssignment
	Live     map[int64][]*store.ReviewAssignment // application → live assignments
	Declined map[string][]string                 // national.Options.Declined
}

// loadRound reads the pool and the round's assignments.
func (s *Server) loadRound(ctx context.Context, round string) (*roundState, error) {
	rs := &roundState{Round: round, ByID: map[int64]*store.ExpertRecord{},
		Live: map[int64][]*store.ReviewAssignment{}, Declined: map[string][]string{}}
	var err error
	if rs.Experts, err = s.db.Experts(ctx, s.prog.ID); err != nil {
		return nil, err
	}
	for _, e := range rs.Experts {
		rs.ByID[e.ID] = e
	}
	if rs.All, err = s.db.Assignments(ctx, store.AssignmentFilter{ProgramID: s.prog.ID, Round: round}); err != nil {
		return nil, err
	}
	for _, a := range rs.All {
		switch {
		case slices.Contains(liveStates, a.State):
			rs.Live[a.ApplicationID] = append(rs.Live[a.ApplicationID], a)
		case a.State == store.AssignConflict:
			k := appKey(a.ApplicationID)
			rs.Declined[k] = append(rs.Declined[k], expertKey(a.ExpertID))
		}
	}
	return rs, nil
}

// pool is the active experts as package national sees them.
func (rs *roundState) pool() []national.Expert {
	var out []national.Expert
	for _, e := range rs.Experts {
		if e.Active {
			out = append(out, expertOf(e))
		}
	}
	return out
}

// existing is the live assignments as national.Options.Existing.
func (rs *roundState) existing() map[string][]string {
	out := map[string][]string{}
	for appID, list := range rs.Live {
		for _, a := range list {
			out[appKey(appID)] = append(out[appKey(appID)], expertKey(a.ExpertID))
		}
	}
	return out
}

// assignment is the live assignments as a national.Assignment (with loads).
func (rs *roundState) assignment() national.Assignment {
	a := national.Assignment{Experts: rs.existing(), Load: map[string]int{}}
	for _, e := range rs.Experts {
		a.Load[expertKey(e.ID)] = 0
	}
	for _, ids := range a.Experts {
		for _, id := range ids {
			a.Load[id]++
		}
	}
	return a
}

// load is how many live assignments an expert has in the round.
func (rs *roundState) load(expertID int64) int {
	n := 0
	for _, list := range rs.Live {
		for _, a := range list {
			if a.ExpertID == expertID {
				n++
			}
		}
	}
	return n
}

// expertName names a pool member.
func (rs *roundState) expertName(id int64) string {
	if e := rs.ByID[id]; e != nil {
		return e.Name
	}
	return "专家 " + expertKey(id)
}

// ministryApps lists the program's applications in the given states (all pages).
func (s *Server) ministryApps(ctx context.Context, states ...biopilot.State) ([]*biopilot.Application, error) {
	var out []*biopilot.Application
	f := store.ApplicationFilter{ProgramID: s.prog.ID, States: states, Sort: "id", Limit: 500}
	for {
		page, total, err := s.db.Applications(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		f.Offset += len(page)
		if len(page) == 0 || f.Offset >= total {
			return out, nil
		}
	}
}

// number is an application's number (申请编号).
func (s *Server) number(app *biopilot.Application) string { return export.Number(s.prog, app) }

// domainText names domain keys, joined.
func (s *Server) domainText(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = s.prog.DomainLabel(k)
	}
	return strings.Join(out, "、")
}

// provinceName names the province of a city code.
func (s *Server) provinceName(city string) string {
	code := authz.ProvinceOf(city)
	if j := s.prog.Jurisdiction(code); j != nil {
		return j.Name
	}
	if code == s.prog.Province.Code && s.prog.Province.Name != "" {
		return s.prog.Province.Name
	}
	return code
}

// batchTransition builds one application's transition of a national batch after
// asking the workflow whether the ministry may take act from the application's
// state (else the error names the application).
func (s *Server) batchTransition(u *biopilot.User, app *biopilot.Application, act workflow.Action, reason string, data map[string]any) (store.TransitionRequest, error) {
	to, err := workflow.Next(app.State, act, u.Role, s.now(), workflow.Deadlines{})
	if err != nil {
		e := biopilot.AsError(err)
		return store.TransitionRequest{}, biopilot.Errorf(e.Code, "申报书 %s：%s", s.number(app), e.Message)
	}
	d := map[string]any{"action": string(act), "application_id": app.ID, "from": string(app.State),
		"to": string(to), "reason": reason, "snapshot_hash": app.SnapshotHash}
	for k, v := range data {
		d[k] = v
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return store.TransitionRequest{}, err
	}
	return store.TransitionRequest{ApplicationID: app.ID, From: app.State, To: to,
		Transition: &biopilot.Transition{ActorID: u.ID, ActorRole: u.Role, ActorName: u.DisplayName,
			Reason: reason, Data: raw, At: s.now()}}, nil
}

// auditBatch records a national batch: one record for the batch on the program and
// one per application transition.
func (s *Server) auditBatch(r *http.Request, action, result string, detail map[string]any, ts []store.TransitionRequest, err error) {
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.audit(r, "program:"+s.prog.ID, "national:"+action, result, detail)
	if err != nil {
		return
	}
	for _, t := range ts {
		d := map[string]any{"from": t.From, "to": t.To}
		if t.Transition != nil && t.Transition.Reason != "" {
			d["reason"] = t.Transition.Reason
		}
		s.audit(r, fmt.Sprintf("application:%d", t.ApplicationID), "transition:"+actionOf(t), auditOK, d)
	}
}

// actionOf reads the action recorded in a transition's data.
func actionOf(t store.TransitionRequest) string {
	var d struct {
		Action string `json:"action"`
	}
	if t.Transition != nil {
		_ = json.Unmarshal(t.Transition.Data, &d)
	}
	return d.Action
}

// pageFail shows an error of a ministry or expert form on the page itself when it
// is the user's to fix (invalid input, a conflict), and as an error page otherwise.
func (s *Server) pageFail(w http.ResponseWriter, r *http.Request, err error, again func(status int, msg string) error) error {
	e, status := s.classify(r, err)
	switch status {
	case http.StatusUnprocessableEntity, http.StatusConflict, http.StatusBadRequest:
		msg := e.Message
		for _, fe := range e.Fields {
			if fe.Message != e.Message && !strings.Contains(msg, fe.Message) {
				msg += "；" + fe.Message
			}
		}
		return again(status, msg)
	}
	return err
}

func init() {
	// hasString reports whether a list of strings holds s: {{if hasString .List "x"}}.
	templateFuncs["hasString"] = func(list []string, s string) bool { return slices.Contains(list, s) }
	// deadlineText prints an exclusive end as the end of its last day (24:00).
	templateFuncs["deadlineText"] = workflowDeadline
	// cnTime prints an instant as the notice's dates are written: 2025年11月24日 09:00.
	templateFuncs["cnTime"] = func(t time.Time) string { return t.In(biopilot.Beijing).Format("2006年1月2日 15:04") }
}
