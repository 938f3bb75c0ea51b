package web

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/program"
	"biopilot/seal"
	"biopilot/workflow"
)

// The decisions reviewers record with a transition, in its Data (and so under its
// seal):
//
//	checks         {"authenticity": bool, "completeness": bool, "validity": bool,
//	                "notes": "…"}: 真实性、完整性、有效性 with the reviewer's notes
//	opinion        the recommendation opinion (推荐意见; at the province, section 五
//	               of the 申请表, 省级推荐意见)
//	field_reasons  [{"field": "platform.name", "reason": "…"}]: reasons of a return
//	               attached to fields ("section:platform" for a whole section), shown
//	               to the applicant beside them
//	proposal       on a co-signature: {"transition_id", "checks", "opinion"} of the
//	               proposal the co-signer agreed to

// Check names, in display order.
var checkNames = []struct{ Key, Label string }{
	{"authenticity", "真实性"},
	{"completeness", "完整性"},
	{"validity", "有效性"},
}

// MaxOpinionChars limits an opinion, a reason and notes (字, as the form counts).
const MaxOpinionChars = 2000

// FieldReason is a reason of a return attached to a field or a section.
type FieldReason struct {
	Field  string `json:"field"`
	Label  string `json:"label,omitempty"`
	Reason string `json:"reason"`
}

// Checks are the three checks of a verification.
type Checks struct {
	Authenticity bool   `json:"authenticity"`
	Completeness bool   `json:"completeness"`
	Validity     bool   `json:"validity"`
	Notes        string `json:"notes,omitempty"`
}

func (c Checks) value(key string) bool {
	switch key {
	case "authenticity":
		return c.Authenticity
	case "completeness":
		return c.Completeness
	}
	return c.Validity
}

// decisionData checks and completes the decision recorded with a transition.
func (s *Server) decisionData(ctx context.Context, app *biopilot.Application, in TransitionInput, data map[string]any) error {
	var fe fieldErrors
	if program.CountChars(in.Reason) > MaxOpinionChars {
		fe.add("reason", "理由不能超过 2000 字")
	}
	switch in.Action {
	case workflow.CityPropose, workflow.ProvPropose:
		c, err := checksOf(data["checks"])
		if err != nil {
			return err
		}
		for _, n := range checkNames {
			if !c.value(n.Key) {
				fe.add("checks."+n.Key, "推荐前须确认"+n.Label+"核查通过；未通过请退回修改或不予推荐")
			}
		}
		if program.CountChars(c.Notes) > MaxOpinionChars {
			fe.add("checks.notes", "核查说明不能超过 2000 字")
		}
		c.Notes = strings.TrimSpace(c.Notes)
		data["checks"] = c
		op, _ := data["opinion"].(string)
		op = strings.TrimSpace(op)
		switch {
		case op == "":
			fe.add("opinion", "请填写推荐意见")
		case program.CountChars(op) > MaxOpinionChars:
			fe.add("opinion", "推荐意见不能超过 2000 字")
		}
		data["opinion"] = op
	case workflow.CityCosign, workflow.ProvCosign:
		proposed := biopilot.StateCityProposed
		if in.Action == workflow.ProvCosign {
			proposed = biopilot.StateProvProposed
		}
		t, err := s.lastTransitionTo(ctx, app.ID, proposed)
		if err != nil {
			return err
		}
		if t == nil {
			return biopilot.Errorf(biopilot.ECONFLICT, "没有找到待会签的推荐意见")
		}
		p, _, err := SignedPayload(t.Data)
		if err != nil {
			return err
		}
		data["proposal"] = map[string]any{"transition_id": t.ID, "checks": p["checks"], "opinion": p["opinion"]}
		data["opinion"] = p["opinion"]
	case workflow.CityReturn, workflow.ProvReturn:
		frs, err := s.fieldReasons(data["field_reasons"])
		if err != nil {
			return err
		}
		if len(frs) > 0 {
			data["field_reasons"] = frs
		} else {
			delete(data, "field_reasons")
		}
		if c, ok := data["checks"]; ok {
			cc, err := checksOf(c)
			if err != nil {
				return err
			}
			data["checks"] = cc
		}
	}
	return fe.err()
}

// checksOf reads the checks from a decoded value (a Checks or a JSON object).
func checksOf(v any) (Checks, error) {
	var c Checks
	switch x := v.(type) {
	case nil:
		return c, nil
	case Checks:
		return x, nil
	case *Checks:
		return *x, nil
	}
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return c, invalid("checks", "核查结果格式错误，应为 {authenticity, completeness, validity, notes}")
	}
	return c, nil
}

// fieldReasons checks reasons attached to fields: each names a field of the form
// or a section ("section:ID") and carries a reason.
func (s *Server) fieldReasons(v any) ([]FieldReason, error) {
	if v == nil {
		return nil, nil
	}
	var in []FieldReason
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &in)
	}
	if err != nil {
		return nil, invalid("field_reasons", "字段退回理由格式错误，应为 [{field, reason}]")
	}
	var out []FieldReason
	var fe fieldErrors
	for i, fr := range in {
		fr.Field, fr.Reason = strings.TrimSpace(fr.Field), strings.TrimSpace(fr.Reason)
		if fr.Field == "" && fr.Reason == "" {
			continue
		}
		label, ok := s.fieldLabel(fr.Field)
		if !ok {
			fe.add("field_reasons", "第 "+itoa(i+1)+" 条：申请表中没有「"+fr.Field+"」这一项")
			continue
		}
		if fr.Reason == "" {
			fe.add("field_reasons", "第 "+itoa(i+1)+" 条：请填写「"+label+"」的退回理由")
			continue
		}
		if program.CountChars(fr.Reason) > MaxOpinionChars {
			fe.add("field_reasons", "第 "+itoa(i+1)+" 条：理由不能超过 2000 字")
			continue
		}
		fr.Label = label
		out = append(out, fr)
	}
	return out, fe.err()
}

// fieldLabel names a field key or "section:ID" of the form.
func (s *Server) fieldLabel(key string) (string, bool) {
	if id, ok := strings.CutPrefix(key, "section:"); ok {
		for _, sec := range s.prog.Form.Sections {
			if sec.ID == id {
				return sec.Title, true
			}
		}
		return "", false
	}
	if fl := s.prog.Form.Field(key); fl != nil {
		return fl.Label, true
	}
	return "", false
}

// ReturnReasons returns the reasons of an application's latest return (city or
// province): the overall reason and the reasons attached to fields, for the
// applicant's editor to show beside the fields. Both are empty when the
// application was never returned.
func (s *Server) ReturnReasons(ctx context.Context, appID int64) (reason string, fields []FieldReason, err error) {
	t, err := s.lastTransitionTo(ctx, appID, biopilot.StateReturned)
	if err != nil || t == nil {
		return "", nil, err
	}
	p, _, err := SignedPayload(t.Data)
	if err != nil {
		return "", nil, err
	}
	fields, _ = s.fieldReasons(p["field_reasons"])
	return t.Reason, fields, nil
}

// ProvinceOpinion returns the province's recommendation opinion (section 五 of the
// 申请表) once both provincial authorities sealed it: the opinion, the co-signing
// transition, and the two signatures (prov_miit's, then prov_drc's). It returns
// nil when the application was not recommended to the ministry.
func (s *Server) ProvinceOpinion(ctx context.Context, app *biopilot.Application) (*ProvinceOpinionInfo, error) {
	t, err := s.lastTransitionTo(ctx, app.ID, biopilot.StateRecommendedToMinistry)
	if err != nil || t == nil {
		return nil, err
	}
	p, sig, err := SignedPayload(t.Data)
	if err != nil {
		return nil, err
	}
	op, _ := p["opinion"].(string)
	info := &ProvinceOpinionInfo{Opinion: op, Transition: t}
	if prop, err := s.lastTransitionTo(ctx, app.ID, biopilot.StateProvProposed); err == nil && prop != nil {
		if _, psig, err := SignedPayload(prop.Data); err == nil && psig != nil {
			info.Signatures = append(info.Signatures, psig)
		}
	}
	if sig != nil {
		info.Signatures = append(info.Signatures, sig)
	}
	return info, nil
}

// ProvinceOpinionInfo is section 五 of an application: the province's opinion and
// its seals.
type ProvinceOpinionInfo struct {
	Opinion    string
	Transition *biopilot.Transition
	Signatures []*seal.Signature
}

func itoa(n int) string { return strconv.Itoa(n) }
