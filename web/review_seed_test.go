package web

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"biopilot"
	"biopilot/seal"
	"biopilot/store"
)

// tinyPDF is the smallest file the evidence store accepts as a PDF.
const tinyPDF = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

// completeApp creates an application of org that can be submitted: the spec's
// eligible example, renamed to org and platform, with every evidence category the
// example lists filled by a small stored PDF (so its snapshot carries real hashes).
func completeApp(t *testing.T, f *fixture, org *biopilot.Organisation, applicant, platform string) *biopilot.Application {
	t.Helper()
	ctx := context.Background()
	f.withFiles()
	var doc map[string]any
	if err := json.Unmarshal(example(t), &doc); err != nil {
		t.Fatal(err)
	}
	a := f.app(org, `{"platform":{"name":"临时"}}`)
	ev := map[string]any{}
	for cat := range doc["evidence"].(map[string]any) {
		info, err := f.srv.files.Put(ctx, strings.NewReader(tinyPDF+"% "+cat+"\n"), cat+".pdf", 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		att := &store.Attachment{ApplicationID: a.ID, Category: cat, SHA256: info.SHA256, Filename: info.Filename,
			Size: info.Size, Kind: info.Kind, MediaType: info.MediaType, UploadedBy: f.users[applicant].ID}
		if err := f.db.AddAttachment(ctx, att); err != nil {
			t.Fatal(err)
		}
		ev[cat] = []any{fmt.Sprint(att.ID)}
	}
	doc["evidence"] = ev
	doc["applicant"].(map[string]any)["name"] = org.Name
	doc["applicant"].(map[string]any)["uscc"] = org.USCC
	doc["platform"].(map[string]any)["name"] = platform
	raw, _ := json.Marshal(doc)
	d, err := f.prog.Form.DecodeDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(d)
	name, domains, verdict := f.srv.derived(d)
	out, err := f.db.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: a.ID, BaseVersion: a.Version, Document: raw,
		PlatformName: name, Domains: domains, Verdict: verdict, UserID: f.users[applicant].ID})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSeedHelpers: SubmitAs, ActAs and LetterAs take the pages' code paths — the
// snapshot with its evidence, the seals, the decisions, authorization — without a
// request.
func TestSeedHelpers(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	app := completeApp(t, f.fixture, f.orgA, "applicantA", "种子平台")

	// Authorization is u's: another organisation's applicant cannot submit it.
	if _, err := f.srv.SubmitAs(ctx, f.users["applicantB"], app.ID); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Fatalf("applicantB submitted orgA's application: %v", err)
	}
	sub, err := f.srv.SubmitAs(ctx, f.users["applicantA"], app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sub.State != biopilot.StateSubmitted || len(sub.SnapshotHash) != 64 {
		t.Fatalf("after SubmitAs: %s %q", sub.State, sub.SnapshotHash)
	}
	// The snapshot hash is the one the web layer computes, and the seal verifies.
	doc, err := f.prog.Form.DecodeDocument(sub.Snapshot)
	if err != nil {
		t.Fatal(err)
	}
	_, hash, ev, err := f.srv.snapshot(ctx, doc)
	if err != nil || hash != sub.SnapshotHash || len(ev) == 0 {
		t.Fatalf("snapshot hash %s, recomputed %s (%d evidence) %v", sub.SnapshotHash, hash, len(ev), err)
	}
	ts, err := f.db.Transitions(ctx, app.ID)
	if err != nil || len(ts) != 1 {
		t.Fatalf("transitions %v %v", ts, err)
	}
	p, sig, err := SignedPayload(ts[0].Data)
	if err != nil || sig == nil || sig.Purpose != seal.PurposeSubmit {
		t.Fatalf("submit seal %+v %v", sig, err)
	}
	if err := seal.VerifyPayload(sig, p); err != nil {
		t.Fatalf("submit seal does not verify: %v", err)
	}

	// A reviewer's decision is checked as on the page.
	if _, err := f.srv.ActAs(ctx, f.users["citygz"], app.ID, "city_propose", json.RawMessage(`{"opinion": "同意"}`)); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Fatalf("propose without checks: %v", err)
	}
	if _, err := f.srv.ActAs(ctx, f.users["cityfs"], app.ID, "city_return", json.RawMessage(`{"reason": "x"}`)); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Fatalf("佛山 acted on 广州's application: %v", err)
	}
	if _, err := f.srv.ActAs(ctx, f.users["citygz"], app.ID, "city_propose", json.RawMessage(`{"opinon": "同意推荐"}`)); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Fatalf("a misspelt member was accepted: %v", err)
	}
	propose := `{"checks": {"authenticity": true, "completeness": true, "validity": true}, "opinion": "同意推荐"}`
	if _, err := f.srv.ActAs(ctx, f.users["citygz"], app.ID, "city_propose", json.RawMessage(propose)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.ActAs(ctx, f.users["drcgz"], app.ID, "city_cosign", nil); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		who, action string
		c           string
	}{
		{"citygz", "save", fmt.Sprintf(`{"number": "穗工信函〔2025〕9号", "opinion": "同意推荐。", "application_ids": [%d]}`, app.ID)},
		{"citygz", "propose", ""},
		{"drcgz", "cosign", ""},
		{"citygz", "send", "{}"},
	} {
		if _, err := f.srv.LetterAs(ctx, f.users[step.who], step.action, json.RawMessage(step.c)); err != nil {
			t.Fatalf("letter %s by %s: %v", step.action, step.who, err)
		}
	}
	if st := f.state(app.ID); st != biopilot.StateAtProvince {
		t.Fatalf("after sending: %s", st)
	}
	// The province reads the sent letter (authz.CheckLetterRead) and finds it on
	// the review page; another city does not.
	w := f.as("province").do("GET", idPath("/review/applications/%d", app.ID), nil)
	wantStatus(t, w, 200)
	m := regexp.MustCompile(`/api/v1/recommendations/(\d+)/letter\.pdf`).FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatal("the province's review page does not link the letter")
	}
	letterPDF := "/api/v1/recommendations/" + m[1] + "/letter.pdf"
	w = f.as("province").do("GET", letterPDF, nil)
	wantStatus(t, w, 200)
	if !strings.HasPrefix(w.Body.String(), "%PDF-") {
		t.Errorf("letter.pdf is not a PDF: %.20q", w.Body.String())
	}
	wantStatus(t, f.as("cityfs").do("GET", letterPDF, nil), 404)
	wantStatus(t, f.as("applicantA").do("GET", letterPDF, nil), 404)
	// The audit trail names the offline address.
	recs, _, err := f.db.AuditRecords(ctx, store.AuditFilter{Object: fmt.Sprintf("application:%d", app.ID), Limit: 50})
	if err != nil || len(recs) < 4 {
		t.Fatalf("audit records %d %v", len(recs), err)
	}
	for _, r := range recs {
		if r.Address != OfflineAddress {
			t.Errorf("audit record %d address %q", r.Seq, r.Address)
		}
	}
}
