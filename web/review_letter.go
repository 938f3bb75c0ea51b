package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/authz"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/workflow"
)

// letterView is a city's recommendation document with what its page needs.
type letterView struct {
	Letter     *store.Recommendation
	StateLabel string
	Items      []*biopilot.Application // the letter's applications, in order
	Rows       []orderedApp            // the same, numbered for the page
	Candidates []*biopilot.Application // city_recommended applications not in it
	Signatures []*seal.Signature
	Sent       []*store.Recommendation
	CanEdit    bool
	CanPropose bool
	CanCosign  bool
	CanSend    bool
	Deadline   string
	Done       string
}

// orderedApp is an application with its rank in a letter.
type orderedApp struct {
	N int
	*biopilot.Application
}

// letterPayload is what the seals of a letter sign: the letter's identity and
// content with every listed application's snapshot hash, in order.
func letterPayload(l *store.Recommendation, apps []*biopilot.Application) map[string]any {
	items := make([]map[string]any, 0, len(apps))
	for i, a := range apps {
		items = append(items, map[string]any{"order": i + 1, "application_id": a.ID, "snapshot_hash": a.SnapshotHash,
			"org_name": a.OrgName, "platform_name": a.PlatformName})
	}
	return map[string]any{"letter_id": l.ID, "program_id": l.ProgramID, "level": l.Level,
		"jurisdiction": l.Jurisdiction, "number": l.Number, "opinion": l.Opinion, "items": items}
}

// LetterSignatures decodes a letter's signatures.
func LetterSignatures(l *store.Recommendation) ([]*seal.Signature, error) {
	var sigs []*seal.Signature
	if len(l.Signatures) == 0 {
		return nil, nil
	}
	err := json.Unmarshal(l.Signatures, &sigs)
	return sigs, err
}

// loadLetter returns the caller's city's open letter, creating an empty draft
// for city_miit when there is none (nil for city_drc).
func (s *Server) loadLetter(ctx context.Context, u *biopilot.User, create bool) (*store.Recommendation, error) {
	l, err := s.db.OpenRecommendation(ctx, s.prog.ID, store.LevelCity, u.Jurisdiction)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		if !create || u.Role != biopilot.RoleCityMIIT {
			return nil, nil
		}
		l = &store.Recommendation{ProgramID: s.prog.ID, Level: store.LevelCity, Jurisdiction: u.Jurisdiction, CreatedBy: u.ID}
		if err := s.db.SaveRecommendation(ctx, l, 0); err != nil && biopilot.ErrorCode(err) != biopilot.ECONFLICT {
			return nil, err
		}
		return s.db.OpenRecommendation(ctx, s.prog.ID, store.LevelCity, u.Jurisdiction)
	}
	return l, err
}

// letterApps loads a letter's applications in order.
func (s *Server) letterApps(ctx context.Context, l *store.Recommendation) ([]*biopilot.Application, error) {
	var out []*biopilot.Application
	for _, id := range l.ApplicationIDs {
		a, err := s.db.Application(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// buildLetterView gathers the page's data.
func (s *Server) buildLetterView(ctx context.Context, u *biopilot.User) (*letterView, error) {
	if err := authz.CheckLetter(u, authz.LetterView, u.Jurisdiction); err != nil {
		return nil, err
	}
	v := &letterView{}
	l, err := s.loadLetter(ctx, u, true)
	if err != nil {
		return nil, err
	}
	if l != nil {
		v.Letter, v.StateLabel = l, store.RecStateLabel(l.State)
		if v.Items, err = s.letterApps(ctx, l); err != nil {
			return nil, err
		}
		for i, a := range v.Items {
			v.Rows = append(v.Rows, orderedApp{N: i + 1, Application: a})
		}
		if v.Signatures, err = LetterSignatures(l); err != nil {
			return nil, err
		}
		v.CanEdit = l.State == store.RecDraft && u.Role == biopilot.RoleCityMIIT
		v.CanPropose = v.CanEdit && len(l.ApplicationIDs) > 0
		v.CanCosign = l.State == store.RecProposed && u.Role == biopilot.RoleCityDRC
		v.CanSend = l.State == store.RecSealed && u.Role == biopilot.RoleCityMIIT
	}
	in := map[int64]bool{}
	for _, a := range v.Items {
		in[a.ID] = true
	}
	cands, _, err := s.db.Applications(ctx, store.ApplicationFilter{ProgramID: s.prog.ID, CityCode: u.Jurisdiction,
		States: []biopilot.State{biopilot.StateCityRecommended}, Sort: "id", Limit: 500})
	if err != nil {
		return nil, err
	}
	for _, a := range cands {
		if !in[a.ID] {
			v.Candidates = append(v.Candidates, a)
		}
	}
	all, err := s.db.Recommendations(ctx, s.prog.ID, store.LevelCity, u.Jurisdiction)
	if err != nil {
		return nil, err
	}
	for _, x := range all {
		if x.State == store.RecSent {
			v.Sent = append(v.Sent, x)
		}
	}
	v.Deadline = "地市报送截止：" + workflowDeadline(s.deadlines(ctx).City)
	return v, nil
}

// letterInput is a change to the letter.
type letterInput struct {
	Version        int64   `json:"version"`
	Number         string  `json:"number"`
	Opinion        string  `json:"opinion"`
	ApplicationIDs []int64 `json:"application_ids"`
	Reason         string  `json:"reason"`
}

// saveLetter stores city_miit's draft: the order of the recommended applications,
// the joint opinion and the letter number. Every listed application must be
// city_recommended in the city.
func (s *Server) saveLetter(ctx context.Context, u *biopilot.User, in letterInput) (*store.Recommendation, error) {
	if err := authz.CheckLetter(u, authz.LetterEdit, u.Jurisdiction); err != nil {
		return nil, err
	}
	l, err := s.loadLetter(ctx, u, true)
	if err != nil {
		return nil, err
	}
	for _, id := range in.ApplicationIDs {
		a, err := s.db.Application(ctx, id)
		if err != nil || a.ProgramID != s.prog.ID || a.CityCode != u.Jurisdiction {
			return nil, invalid("application_ids", fmt.Sprintf("申请 %d 不在本市的申请之列", id))
		}
		if a.State != biopilot.StateCityRecommended {
			return nil, invalid("application_ids", fmt.Sprintf("申请 %d（%s）当前为「%s」，只有「地市已推荐」的申请可以列入推荐文件", id, a.PlatformName, a.State.Label()))
		}
	}
	if len([]rune(in.Number)) > 100 {
		return nil, invalid("number", "文号不能超过 100 字")
	}
	if len([]rune(in.Opinion)) > MaxOpinionChars {
		return nil, invalid("opinion", "推荐意见不能超过 2000 字")
	}
	base := in.Version
	if base == 0 {
		base = l.Version
	}
	l.Number, l.Opinion, l.ApplicationIDs = in.Number, in.Opinion, in.ApplicationIDs
	if err := s.db.SaveRecommendation(ctx, l, base); err != nil {
		return nil, err
	}
	return l, nil
}

// letterAction seals, co-seals, declines or sends the caller's city's letter.
// Sending is the city_send workflow action for every listed application: each is
// decided by authz.CheckTransition (role, state, the city deadline in force), the
// sending seal signs the letter after both authorities' seals, and the store moves
// the letter and every application in ONE transaction.
func (s *Server) letterAction(ctx context.Context, u *biopilot.User, addr, action string, in letterInput) (*store.Recommendation, error) {
	la := authz.LetterAction(action)
	switch la {
	case authz.LetterPropose, authz.LetterCosign, authz.LetterDecline, authz.LetterSend:
	default:
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "未知的操作：%s", action)
	}
	if err := authz.CheckLetter(u, la, u.Jurisdiction); err != nil {
		return nil, err
	}
	l, err := s.loadLetter(ctx, u, false)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "本市目前没有待办理的推荐文件")
	}
	if in.Version != 0 && in.Version != l.Version {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "推荐文件已被他人修改（当前为第 %d 版），请刷新后重试", l.Version)
	}
	apps, err := s.letterApps(ctx, l)
	if err != nil {
		return nil, err
	}
	sigs, err := LetterSignatures(l)
	if err != nil {
		return nil, err
	}
	payload := letterPayload(l, apps)
	object := fmt.Sprintf("recommendation:%d", l.ID)
	var out *store.Recommendation
	switch la {
	case authz.LetterPropose:
		if len(apps) == 0 {
			return nil, invalid("application_ids", "推荐文件中没有申请")
		}
		if strings.TrimSpace(l.Opinion) == "" {
			return nil, invalid("opinion", "请填写联合推荐意见")
		}
		sig, err := s.sign(ctx, u, nil, seal.PurposeSend, payload, nil)
		if err != nil {
			return nil, err
		}
		raw, _ := json.Marshal([]*seal.Signature{sig})
		out, err = s.db.ChangeRecommendation(ctx, store.RecommendationChange{ID: l.ID, From: store.RecDraft,
			To: store.RecProposed, Version: l.Version, Signatures: raw})
		if err == nil {
			s.notifyLetter(ctx, u, biopilot.RoleCityDRC, kindCosignRequested, "请会签推荐文件")
		}
	case authz.LetterCosign:
		if len(sigs) != 1 {
			return nil, biopilot.Errorf(biopilot.ECONFLICT, "推荐文件尚未由工业和信息化局盖章")
		}
		if err := seal.VerifyPayload(sigs[0], payload); err != nil {
			return nil, biopilot.Errorf(biopilot.ECONFLICT, "工业和信息化局的签章与推荐文件内容不符：%s", biopilot.ErrorMessage(err))
		}
		sig, err := s.sign(ctx, u, nil, seal.PurposeSend, payload, sigs[0])
		if err != nil {
			return nil, err
		}
		raw, _ := json.Marshal(append(sigs, sig))
		out, err = s.db.ChangeRecommendation(ctx, store.RecommendationChange{ID: l.ID, From: store.RecProposed,
			To: store.RecSealed, Version: l.Version, Signatures: raw})
		if err == nil {
			s.notifyLetter(ctx, u, biopilot.RoleCityMIIT, kindRecommended, "推荐文件已会签，可以报送")
		}
	case authz.LetterDecline:
		if strings.TrimSpace(in.Reason) == "" {
			return nil, invalid("reason", "请填写退回推荐文件的理由")
		}
		out, err = s.db.ChangeRecommendation(ctx, store.RecommendationChange{ID: l.ID, From: store.RecProposed,
			To: store.RecDraft, Version: l.Version, Note: in.Reason})
		if err == nil {
			s.notifyLetter(ctx, u, biopilot.RoleCityMIIT, kindDeclined, "发展改革局退回了推荐文件："+in.Reason)
		}
	case authz.LetterSend:
		out, err = s.sendLetter(ctx, u, addr, l, apps, sigs, payload)
	}
	result := auditOK
	if err != nil {
		result = auditFailed
		if c := biopilot.ErrorCode(err); c == biopilot.EINVALID || c == biopilot.EFORBIDDEN {
			return nil, err
		}
	}
	detail := map[string]any{"applications": l.ApplicationIDs}
	if err != nil {
		detail["message"] = biopilot.ErrorMessage(err)
	}
	s.auditAs(ctx, u, addr, object, "letter:"+action, result, detail)
	return out, err
}

// sendLetter is city_send for a whole letter.
func (s *Server) sendLetter(ctx context.Context, u *biopilot.User, addr string, l *store.Recommendation, apps []*biopilot.Application, sigs []*seal.Signature, payload map[string]any) (*store.Recommendation, error) {
	if len(sigs) != 2 {
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "推荐文件须由工业和信息化局、发展改革局双方盖章后才能报送")
	}
	for _, sg := range sigs {
		if err := seal.VerifyPayload(sg, payload); err != nil {
			return nil, biopilot.Errorf(biopilot.ECONFLICT, "签章与推荐文件内容不符：%s", biopilot.ErrorMessage(err))
		}
	}
	dl := s.deadlines(ctx)
	for _, a := range apps {
		if _, err := authz.CheckTransition(u, workflow.CitySend, a, s.now(), dl); err != nil {
			if biopilot.ErrorCode(err) == biopilot.ECONFLICT {
				return nil, biopilot.Errorf(biopilot.ECONFLICT, "申请 %d（%s）：%s；整份推荐文件未报送", a.ID, a.PlatformName, biopilot.ErrorMessage(err))
			}
			return nil, err
		}
	}
	sig, err := s.sign(ctx, u, nil, seal.PurposeSend, payload, sigs[1])
	if err != nil {
		return nil, err
	}
	all := append(append([]*seal.Signature{}, sigs...), sig)
	raw, _ := json.Marshal(all)
	letterHash, err := seal.CanonicalHash(payload)
	if err != nil {
		return nil, err
	}
	trs := map[int64]*biopilot.Transition{}
	for _, a := range apps {
		data, _ := json.Marshal(map[string]any{"action": workflow.CitySend, "application_id": a.ID,
			"from": a.State, "to": biopilot.StateAtProvince, "snapshot_hash": a.SnapshotHash, "reason": "",
			"letter_id": l.ID, "letter_number": l.Number, "letter_hash": letterHash, "letter": payload,
			"letter_signatures": all})
		trs[a.ID] = &biopilot.Transition{ActorID: u.ID, ActorRole: u.Role, ActorName: u.DisplayName, Data: data}
	}
	out, moved, err := s.db.SendRecommendation(ctx, store.SendRequest{ID: l.ID, Version: l.Version,
		Signatures: raw, Transitions: trs, At: s.now()})
	if err != nil {
		return nil, err
	}
	for _, a := range moved {
		s.auditAs(ctx, u, addr, fmt.Sprintf("application:%d", a.ID), "transition:"+string(workflow.CitySend), auditOK,
			map[string]any{"from": biopilot.StateCityRecommended, "to": biopilot.StateAtProvince, "letter_id": l.ID})
		s.notifyTransition(ctx, u, a, workflow.CitySend, "")
	}
	return out, nil
}

// notifyLetter tells the city's other authority about the letter.
func (s *Server) notifyLetter(ctx context.Context, actor *biopilot.User, role biopilot.Role, kind, title string) {
	users, err := s.db.Users(ctx, store.UserFilter{Role: role, Jurisdiction: actor.Jurisdiction, Limit: 500})
	if err != nil {
		s.logger.ErrorContext(ctx, "notify letter", "err", err)
		return
	}
	for _, x := range users {
		if x.Disabled || x.ID == actor.ID {
			continue
		}
		n := &store.Notification{UserID: x.ID, Kind: kind, Title: title, Link: "/recommendation", CreatedAt: s.now()}
		if err := s.deliver(ctx, x, n); err != nil {
			s.logger.ErrorContext(ctx, "notify letter", "err", err)
		}
	}
}

func (s *Server) letterJSON(v *letterView) map[string]any {
	out := map[string]any{"letter": nil, "candidates": []appJSON{}, "deadline": v.Deadline}
	if l := v.Letter; l != nil {
		items := []appJSON{}
		for _, a := range v.Items {
			items = append(items, s.appJSON(a))
		}
		sigs := v.Signatures
		if sigs == nil {
			sigs = []*seal.Signature{}
		}
		out["letter"] = map[string]any{"id": l.ID, "state": l.State, "state_label": store.RecStateLabel(l.State),
			"version": l.Version, "number": l.Number, "opinion": l.Opinion, "application_ids": l.ApplicationIDs,
			"items": items, "signatures": sigs, "note": l.Note, "updated_at": rfc3339(l.UpdatedAt)}
	}
	for _, a := range v.Candidates {
		out["candidates"] = append(out["candidates"].([]appJSON), s.appJSON(a))
	}
	return out
}

func (s *Server) apiLetter(w http.ResponseWriter, r *http.Request) error {
	v, err := s.buildLetterView(r.Context(), currentUser(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.letterJSON(v))
	return nil
}

func (s *Server) apiSaveLetter(w http.ResponseWriter, r *http.Request) error {
	var in letterInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if _, err := s.saveLetter(r.Context(), currentUser(r), in); err != nil {
		return err
	}
	return s.apiLetter(w, r)
}

func (s *Server) apiLetterAction(w http.ResponseWriter, r *http.Request) error {
	var in letterInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u := currentUser(r)
	l, err := s.letterAction(r.Context(), u, s.clientAddr(r), r.PathValue("action"), in)
	if err != nil {
		return err
	}
	v, err := s.buildLetterView(r.Context(), u)
	if err != nil {
		return err
	}
	out := s.letterJSON(v)
	out["result"] = map[string]any{"id": l.ID, "state": l.State, "state_label": store.RecStateLabel(l.State)}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) pageLetter(w http.ResponseWriter, r *http.Request) error {
	v, err := s.buildLetterView(r.Context(), currentUser(r))
	if err != nil {
		return err
	}
	v.Done = r.URL.Query().Get("done")
	return s.render(w, r, http.StatusOK, "review_letter", s.newPage(r, "推荐文件", v))
}

// pageLetterPost handles the letter page's forms: save (order, opinion, number)
// and the actions.
func (s *Server) pageLetterPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return biopilot.Errorf(biopilot.EBADREQUEST, "表单格式错误")
	}
	f := r.PostForm
	u := currentUser(r)
	ver, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	in := letterInput{Version: ver, Number: f.Get("number"), Opinion: f.Get("opinion"), Reason: f.Get("reason")}
	action := r.PathValue("action")
	var err error
	done := ""
	if action == "save" {
		// Each application row has an order box "order_ID": filled in = listed,
		// in the order of the numbers (ties keep the page's order).
		type ranked struct {
			id    int64
			order float64
		}
		var rs []ranked
		for _, x := range f["application_id"] {
			id, perr := strconv.ParseInt(x, 10, 64)
			v := strings.TrimSpace(f.Get("order_" + x))
			if perr != nil || v == "" {
				continue
			}
			n, perr := strconv.ParseFloat(v, 64)
			if perr != nil {
				return s.letterFormError(w, r, invalid("order_"+x, "排序应填写数字："+v))
			}
			rs = append(rs, ranked{id, n})
		}
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].order < rs[j].order })
		for _, x := range rs {
			in.ApplicationIDs = append(in.ApplicationIDs, x.id)
		}
		_, err = s.saveLetter(r.Context(), u, in)
		done = "推荐文件已保存"
	} else {
		var l *store.Recommendation
		l, err = s.letterAction(r.Context(), u, s.clientAddr(r), action, in)
		if err == nil {
			done = "已办理，推荐文件当前状态：" + store.RecStateLabel(l.State)
		}
	}
	if err != nil {
		return s.letterFormError(w, r, err)
	}
	http.Redirect(w, r, "/recommendation?done="+url.QueryEscape(done), http.StatusSeeOther)
	return nil
}

// letterFormError shows the letter page again with the error.
func (s *Server) letterFormError(w http.ResponseWriter, r *http.Request, err error) error {
	e, status := s.classify(r, err)
	if status == http.StatusNotFound || status == http.StatusInternalServerError {
		return err
	}
	v, verr := s.buildLetterView(r.Context(), currentUser(r))
	if verr != nil {
		return verr
	}
	p := s.newPage(r, "推荐文件", v)
	p.Error = e.Message
	return s.render(w, r, status, "review_letter", p)
}
