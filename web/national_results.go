package web

// NATIONAL: the results of the evaluation — per application the aggregate of the
// sealed scores (national.Aggregate with the program's method), per domain the
// ranking with ties (national.Rank), the spread and outliers — and the committee's
// decision per application (store.Decide).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/national"
	"biopilot/store"
)

// resultRow is one application's results as the ministry sees them (expert names
// included: only the ministry sees this page).
type resultRow struct {
	App      *biopilot.Application
	Number   string
	Province string
	City     string
	Assigned int
	Scored   int
	Result   *national.Result
	Totals   []expertTotalView
	Decision *store.CommitteeDecision
	Rank     int // the best rank over its domains
}

type expertTotalView struct {
	Name    string
	Total   float64
	Outlier bool
	Dropped bool // left out by the trimmed mean
}

// totalViews names the experts' totals of an aggregate, marking outliers and the
// totals the trimmed mean left out (results of both rounds).
func (rs *roundState) totalViews(res national.Result) []expertTotalView {
	var out []expertTotalView
	for _, t := range res.Totals {
		v := expertTotalView{Name: rs.expertName(parseKey(t.ExpertID)), Total: t.Total}
		for _, o := range res.Outliers {
			v.Outlier = v.Outlier || o.ExpertID == t.ExpertID
		}
		v.Dropped = slices.Contains(res.Dropped, t.ExpertID)
		out = append(out, v)
	}
	return out
}

// rankedRow is one line of a domain's ranking.
type rankedRow struct {
	Rank  int
	Tied  bool
	Score float64
	Row   *resultRow
}

// domainRanking is the ranking of one domain.
type domainRanking struct {
	Domain string
	Label  string
	Rows   []rankedRow
}

// resultsData is the results page.
type resultsData struct {
	Method    string
	Max       float64
	Rankings  []domainRanking
	Unscored  []*resultRow
	Rows      map[int64]*resultRow
	Decidable map[int64]bool
	Done      string
	// History is set when earlier batches are ranked too (?history=1).
	History bool
}

func methodLabel(m string) string {
	if m == "trimmed_mean" {
		return "去掉一个最高分和一个最低分后取平均"
	}
	return "算术平均"
}

// resultStates are the applications of the batch under evaluation: in expert review,
// or on the open public notice. Earlier batches (listed, not listed, removed) are
// history: they are ranked only when asked for (history), never together with the
// current batch by default, so a committee's ranks are those of its own batch.
var resultStates = []biopilot.State{biopilot.StateExpertReview, biopilot.StatePublicized}

// historyStates are the states of earlier batches.
var historyStates = []biopilot.State{biopilot.StateListed, biopilot.StateNotListed, biopilot.StateRemoved}

// natResults computes the round's results for the current batch, or with history
// for every batch ranked together.
func (s *Server) natResults(ctx context.Context, round string, history bool) (*resultsData, error) {
	sheet, err := s.scoreSheet(round)
	if err != nil {
		return nil, err
	}
	method := s.prog.Eval().Aggregation
	rs, err := s.loadRound(ctx, round)
	if err != nil {
		return nil, err
	}
	states := resultStates
	if history {
		states = append(append([]biopilot.State{}, resultStates...), historyStates...)
	}
	apps, err := s.ministryApps(ctx, states...)
	if err != nil {
		return nil, err
	}
	decs, err := s.db.Decisions(ctx, s.prog.ID, round)
	if err != nil {
		return nil, err
	}
	byApp := map[int64]*store.CommitteeDecision{}
	for _, d := range decs {
		byApp[d.ApplicationID] = d
	}
	d := &resultsData{Method: methodLabel(method), Max: sheet.Max(), Rows: map[int64]*resultRow{}, Decidable: map[int64]bool{},
		History: history}
	var entries []national.Entry
	for _, app := range apps {
		row := &resultRow{App: app, Number: s.number(app), Province: s.provinceName(app.CityCode),
			City: s.prog.CityName(app.CityCode), Assigned: len(rs.Live[app.ID]), Decision: byApp[app.ID]}
		d.Rows[app.ID] = row
		d.Decidable[app.ID] = app.State == biopilot.StateExpertReview
		var scores []national.Score
		for _, a := range rs.Live[app.ID] {
			if a.State == store.AssignScored {
				scores = append(scores, a.Sealed().Score)
			}
		}
		row.Scored = len(scores)
		if len(scores) == 0 {
			d.Unscored = append(d.Unscored, row)
			continue
		}
		res, err := national.Aggregate(sheet, method, scores)
		if err != nil {
			return nil, err
		}
		row.Result = &res
		row.Totals = rs.totalViews(res)
		domains := app.Domains
		if len(domains) == 0 {
			domains = []string{""}
		}
		for _, dom := range domains {
			entries = append(entries, national.Entry{AppID: appKey(app.ID), Domain: dom, Score: res.Score})
		}
	}
	var cur *domainRanking
	for _, rk := range national.Rank(entries) {
		if cur == nil || cur.Domain != rk.Domain {
			label := s.prog.DomainLabel(rk.Domain)
			if rk.Domain == "" {
				label = "（未填申报类别）"
			}
			d.Rankings = append(d.Rankings, domainRanking{Domain: rk.Domain, Label: label})
			cur = &d.Rankings[len(d.Rankings)-1]
		}
		row := d.Rows[parseKey(rk.AppID)]
		if row.Rank == 0 || rk.Rank < row.Rank {
			row.Rank = rk.Rank
		}
		cur.Rows = append(cur.Rows, rankedRow{Rank: rk.Rank, Tied: rk.Tied, Score: rk.Score, Row: row})
	}
	return d, nil
}

// decide records the committee's decision on one application (before the notice).
func (s *Server) natDecide(r *http.Request, appID int64, outcome, reason string) (*store.CommitteeDecision, error) {
	u, err := ministry(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	app, err := s.ministryApp(ctx, u, appID)
	if err != nil {
		return nil, err
	}
	if app.State != biopilot.StateExpertReview {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "申报书当前为「%s」，只能对专家评审中的申报书作出评审决定", app.State.Label())
	}
	dec := national.Decision{AppID: appKey(app.ID), Outcome: outcome, Reason: strings.TrimSpace(reason)}
	if err := dec.Validate(); err != nil {
		return nil, err
	}
	res, err := s.natResults(ctx, store.RoundSelection, false)
	if err != nil {
		return nil, err
	}
	cd := &store.CommitteeDecision{ProgramID: s.prog.ID, Round: store.RoundSelection, ApplicationID: app.ID,
		Outcome: outcome, Reason: dec.Reason, DecidedBy: u.ID, DecidedAt: s.now()}
	if row := res.Rows[app.ID]; row != nil && row.Result != nil {
		cd.Score, cd.Rank = row.Result.Score, row.Rank
	}
	err = s.db.Decide(ctx, cd)
	detail := map[string]any{"outcome": outcome, "reason": dec.Reason, "score": cd.Score, "rank": cd.Rank}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.audit(r, fmt.Sprintf("application:%d", app.ID), "national:decide", resultOf(err), detail)
	return cd, err
}

func decisionLabel(o string) string {
	switch o {
	case national.DecisionRecommend:
		return "拟入选"
	case national.DecisionNotRecommend:
		return "不予入选"
	}
	return o
}

func init() { templateFuncs["decisionLabel"] = decisionLabel }

func (s *Server) pageMinistryResults(w http.ResponseWriter, r *http.Request) error {
	return s.renderResults(w, r, http.StatusOK, "")
}

func (s *Server) renderResults(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	d, err := s.natResults(r.Context(), store.RoundSelection, r.URL.Query().Get("history") == "1")
	if err != nil {
		return err
	}
	d.Done = r.URL.Query().Get("done")
	p := s.newPage(r, "评审结果", d)
	p.Error = msg
	return s.render(w, r, status, "national_results", p)
}

func (s *Server) pageMinistryDecide(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return biopilot.Errorf(biopilot.ENOTFOUND, "未找到该申请")
	}
	cd, err := s.natDecide(r, id, r.PostForm.Get("outcome"), r.PostForm.Get("reason"))
	if err != nil {
		return s.pageFail(w, r, err, func(st int, m string) error { return s.renderResults(w, r, st, m) })
	}
	http.Redirect(w, r, "/ministry/results?done="+url.QueryEscape(fmt.Sprintf("已记录评审决定：%s", decisionLabel(cd.Outcome))), http.StatusSeeOther)
	return nil
}

func (s *Server) apiNationalResults(w http.ResponseWriter, r *http.Request) error {
	if _, err := ministry(r); err != nil {
		return err
	}
	d, err := s.natResults(r.Context(), store.RoundSelection, r.URL.Query().Get("history") == "1")
	if err != nil {
		return err
	}
	rowJSON := func(row *resultRow) map[string]any {
		m := map[string]any{"application_id": row.App.ID, "number": row.Number, "platform_name": row.App.PlatformName,
			"province": row.Province, "city": row.City, "state": row.App.State, "assigned": row.Assigned, "scored": row.Scored}
		if row.Result != nil {
			m["score"], m["mean"], m["spread"], m["trimmed"] = row.Result.Score, row.Result.Mean, row.Result.Spread, row.Result.TrimApplied
			m["experts"] = jsonItems(row.Totals, func(t expertTotalView) map[string]any {
				return map[string]any{"name": t.Name, "total": t.Total, "outlier": t.Outlier, "dropped": t.Dropped}
			})
		}
		if dc := row.Decision; dc != nil {
			m["decision"] = map[string]any{"outcome": dc.Outcome, "reason": dc.Reason, "decided_at": rfc3339(dc.DecidedAt)}
		}
		return m
	}
	rankings := jsonItems(d.Rankings, func(dr domainRanking) map[string]any {
		return map[string]any{"domain": dr.Domain, "label": dr.Label, "rows": jsonItems(dr.Rows, func(x rankedRow) map[string]any {
			m := rowJSON(x.Row)
			m["rank"], m["tied"], m["score"] = x.Rank, x.Tied, x.Score
			return m
		})}
	})
	writeJSON(w, http.StatusOK, map[string]any{"method": d.Method, "max_total": d.Max, "rankings": rankings,
		"unscored": jsonItems(d.Unscored, rowJSON)})
	return nil
}

func (s *Server) apiNationalDecide(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ApplicationID int64  `json:"application_id"`
		Outcome       string `json:"outcome"`
		Reason        string `json:"reason"`
	}
	if _, err := ministry(r); err != nil {
		return err
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	cd, err := s.natDecide(r, in.ApplicationID, in.Outcome, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": cd.ID, "application_id": cd.ApplicationID,
		"outcome": cd.Outcome, "reason": cd.Reason, "score": cd.Score, "rank": cd.Rank})
	return nil
}
