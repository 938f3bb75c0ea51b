package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"biopilot"
	"biopilot/files"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/store"
	"biopilot/uscc"
)

// Workflow takes workflow actions as the web pages do, without a request.
// *web.Server implements it (web/review_seed.go); package demo does not import
// web, so that the web tests may use demo.
type Workflow interface {
	// SubmitAs submits as the applicant's submit page does.
	SubmitAs(ctx context.Context, u *biopilot.User, appID int64) (*biopilot.Application, error)
	// ActAs takes a reviewer's action; decision is the API's action body.
	ActAs(ctx context.Context, u *biopilot.User, appID int64, action string, decision json.RawMessage) (*biopilot.Application, error)
	// LetterAs works on u's city's recommendation letter ("save", "propose",
	// "cosign", "decline", "send"); change is the API's body.
	LetterAs(ctx context.Context, u *biopilot.User, action string, change json.RawMessage) (*store.Recommendation, error)
}

// ReviewDeps are what SeedReview works with.
type ReviewDeps struct {
	DB      *store.DB
	Program *program.Program // with the demo's deadlines
	Rules   *rules.Engine
	Files   *files.Store
	// Workflow is a web server over the same store, program, rules and evidence
	// store, with the master key and clock of the server that will serve the demo
	// (the seals made here are encrypted under that key):
	// web.NewServer(cfg, web.Deps{DB, Program, Rules, Clock, Files, MasterKey}).
	Workflow Workflow
	// Hash turns the demo password into a stored hash.
	Hash func(string) (string, error)
}

// reviewSample is an application of the review walk-through: its organisation,
// its applicant and the state it is brought to.
type reviewSample struct {
	org, uscc17, city, username, person, platform string
	domains                                       []any
	to                                            biopilot.State
}

// reviewSamples put work in every reviewer's inbox at once:
//
//	submitted            广州 (gz-miit verifies) and 佛山 (fs-miit verifies)
//	returned             广州, with reasons attached to two fields and a section
//	city_proposed        广州, proposed by gz-miit: gz-drc co-signs or declines
//	at_province          佛山, recommended by both and sent in a sealed letter:
//	                     prov-miit re-reviews, prov-drc co-signs
var reviewSamples = []reviewSample{
	{"广州示例合成生物有限公司", "91440101MA5DGR3W1", "440100", "gz-synbio", "周嘉怡",
		"示例合成生物中试平台", []any{"enzymes", "food_additives"}, biopilot.StateSubmitted},
	{"佛山示例发酵科技有限公司", "91440604MA4WLT8K2", "440600", "fs-ferment", "黄俊杰",
		"示例精准发酵中试平台", []any{"enzymes"}, biopilot.StateSubmitted},
	{"广州示例生物材料有限公司", "91440112MA5CN6PX3", "440100", "gz-biomat", "郑晓雯",
		"示例生物基材料中试平台", []any{"enzymes"}, biopilot.StateReturned},
	{"广州示例酶技术有限公司", "91440106MA9UYQ4H5", "440100", "gz-enzyme", "吴国栋",
		"示例工业酶中试平台", []any{"enzymes", "food_additives"}, biopilot.StateCityProposed},
	{"佛山示例食品配料有限公司", "91440605MA55TB7R6", "440600", "fs-food", "邓丽娟",
		"示例功能配料中试平台", []any{"food_additives"}, biopilot.StateAtProvince},
}

// SeedReview adds the review walk-through to a database Seed filled: five
// organisations with their applicants (password Password) and an application
// each, brought through the same code paths as the web pages — the applicant's
// submit (snapshot with its evidence hashes, the organisation's seal) and the
// reviewers' actions and the city's letter (checks, opinions, field reasons, the
// authorities' seals, audit records, notifications) — to the states listed on
// reviewSamples. It returns the new applicant accounts.
func SeedReview(ctx context.Context, d ReviewDeps) ([]Account, error) {
	if d.DB == nil || d.Program == nil || d.Rules == nil || d.Files == nil || d.Workflow == nil || d.Hash == nil {
		return nil, fmt.Errorf("demo: SeedReview needs the store, the program, the rules, the evidence store, the workflow and a hash")
	}
	srv := d.Workflow
	pwHash, err := d.Hash(Password)
	if err != nil {
		return nil, err
	}
	who := map[string]*biopilot.User{}
	for _, name := range []string{"gz-miit", "gz-drc", "fs-miit", "fs-drc"} {
		u, err := d.DB.UserByUsername(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("demo: %s (run Seed first): %w", name, err)
		}
		who[name] = u
	}
	var accounts []Account
	var fsLetter []int64
	for _, s := range reviewSamples {
		app, u, err := reviewApplication(ctx, d, s, pwHash, nil)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", s.platform, err)
		}
		accounts = append(accounts, Account{s.username, biopilot.RoleApplicant, s.person, s.org})
		if _, err := srv.SubmitAs(ctx, u, app.ID); err != nil {
			return nil, fmt.Errorf("demo: submit %s: %w", s.platform, err)
		}
		miit, drc := who["gz-miit"], who["gz-drc"]
		if s.city == "440600" {
			miit, drc = who["fs-miit"], who["fs-drc"]
		}
		propose := body(map[string]any{
			"checks": map[string]any{"authenticity": true, "completeness": true, "validity": true,
				"notes": "已核对营业执照、场地证明和设备清单原件。"},
			"opinion": "该平台设备配置齐全，近三年中试服务业绩突出，知识产权保护制度健全，同意推荐。"})
		var steps []func() error
		switch s.to {
		case biopilot.StateReturned:
			steps = append(steps, func() error {
				_, err := srv.ActAs(ctx, miit, app.ID, "city_return", body(map[string]any{
					"reason": "部分信息与佐证材料不一致，请核对修改后重新提交。",
					"field_reasons": []map[string]string{
						{"field": "site.area_m2", "reason": "场地面积与不动产权证书记载不一致，请核对。"},
						{"field": "platform.operating_years", "reason": "运营年限请按首个中试项目的合同日期计算。"},
						{"field": "section:goals", "reason": "量化目标请补充 2027 年的服务额。"},
					}}))
				return err
			})
		case biopilot.StateCityProposed, biopilot.StateAtProvince:
			steps = append(steps, func() error {
				_, err := srv.ActAs(ctx, miit, app.ID, "city_propose", propose)
				return err
			})
			if s.to == biopilot.StateAtProvince {
				steps = append(steps, func() error {
					_, err := srv.ActAs(ctx, drc, app.ID, "city_cosign", nil)
					fsLetter = append(fsLetter, app.ID)
					return err
				})
			}
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, fmt.Errorf("demo: %s: %w", s.platform, err)
			}
		}
	}
	// 佛山's letter: ordered and sealed by fs-miit, co-sealed by fs-drc, sent.
	if len(fsLetter) > 0 {
		for _, step := range []struct {
			who, action string
			c           json.RawMessage
		}{
			{"fs-miit", "save", body(map[string]any{"number": "佛工信函〔2025〕36号", "application_ids": fsLetter,
				"opinion": "经佛山市工业和信息化局、佛山市发展和改革局联合审核，申报材料真实、完整、有效，同意推荐。"})},
			{"fs-miit", "propose", nil},
			{"fs-drc", "cosign", nil},
			{"fs-miit", "send", nil},
		} {
			if _, err := srv.LetterAs(ctx, who[step.who], step.action, step.c); err != nil {
				return nil, fmt.Errorf("demo: 佛山's letter, %s: %w", step.action, err)
			}
		}
	}
	return accounts, nil
}

// reviewApplication creates a sample's organisation, applicant and complete
// application: the demo's eligible example renamed, with a small PDF for every
// evidence category it lists, stored as the upload page stores them. edit, when not
// nil, makes further changes to the document.
func reviewApplication(ctx context.Context, d ReviewDeps, s reviewSample, pwHash string, edit func(program.Document)) (*biopilot.Application, *biopilot.User, error) {
	c, err := uscc.CheckChar(s.uscc17)
	if err != nil {
		return nil, nil, fmt.Errorf("USCC %s: %w", s.uscc17, err)
	}
	org := &biopilot.Organisation{Name: s.org, USCC: s.uscc17 + string(c), Kind: biopilot.KindPrivate, CityCode: s.city}
	if err := d.DB.CreateOrganisation(ctx, org); err != nil {
		return nil, nil, err
	}
	u := &biopilot.User{Username: s.username, DisplayName: s.person, Role: biopilot.RoleApplicant, OrgID: org.ID,
		OrgAdmin: true, PasswordHash: pwHash, Email: s.username + "@example.cn"}
	if err := d.DB.CreateUser(ctx, u); err != nil {
		return nil, nil, err
	}
	base, err := docs.ReadFile("docs/enzymes.json")
	if err != nil {
		return nil, nil, err
	}
	doc, err := d.Program.Form.DecodeDocument(base)
	if err != nil {
		return nil, nil, err
	}
	city, province := d.Program.CityName(s.city), "广东省"
	if prov := d.Program.ProvinceOf(s.city); prov != nil {
		province = prov.Name
	}
	program.Set(doc, "applicant.name", s.org)
	program.Set(doc, "applicant.uscc", org.USCC)
	program.Set(doc, "applicant.address", province+city+"示例产业园 1 号")
	program.Set(doc, "platform.name", s.platform)
	program.Set(doc, "domains", s.domains)
	program.Set(doc, "declaration.signatory", s.person)
	if edit != nil {
		edit(doc)
	}
	app := &biopilot.Application{ProgramID: d.Program.ID, OrgID: org.ID, CityCode: s.city, State: biopilot.StateDraft,
		Document: []byte("{}"), CreatedBy: u.ID, UpdatedBy: u.ID}
	if err := d.DB.CreateApplication(ctx, app); err != nil {
		return nil, nil, err
	}
	ev, _ := program.Lookup(doc, "evidence")
	cats, _ := ev.(map[string]any)
	evidence := map[string]any{}
	if fl := d.Program.Form.Field("evidence"); fl != nil {
		for _, o := range fl.Options {
			if _, ok := cats[o.Key]; !ok {
				continue
			}
			info, err := d.Files.Put(ctx, bytes.NewReader(evidencePDF(s.platform, o.Key)), o.Label+".pdf", files.DefaultLimit)
			if err != nil {
				return nil, nil, err
			}
			a := &store.Attachment{ApplicationID: app.ID, Category: o.Key, SHA256: info.SHA256, SM3: info.SM3, Filename: info.Filename,
				Size: info.Size, Kind: info.Kind, MediaType: info.MediaType, UploadedBy: u.ID}
			if err := d.DB.AddAttachment(ctx, a); err != nil {
				return nil, nil, err
			}
			evidence[o.Key] = []any{strconv.FormatInt(a.ID, 10)}
		}
	}
	program.Set(doc, "evidence", evidence)
	doc, err = d.Program.Form.Normalize(doc)
	if err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	rep := d.Rules.Evaluate(doc)
	out, err := d.DB.SaveDocument(ctx, store.DocumentUpdate{ApplicationID: app.ID, BaseVersion: app.Version,
		Document: raw, PlatformName: s.platform, Domains: domainsOf(doc), Verdict: rep.Verdict, UserID: u.ID})
	if err != nil {
		return nil, nil, err
	}
	return out, u, nil
}

// body encodes a request body (the values are the demo's own: it cannot fail).
func body(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// evidencePDF is a one-page PDF naming the sample and the evidence category, so
// that the reviewer's viewer has something to open.
func evidencePDF(platform, category string) []byte {
	text := fmt.Sprintf("biopilot demo evidence: %s (%d)", category, len(platform))
	content := fmt.Sprintf("BT /F1 18 Tf 72 720 Td (%s) Tj ET", text)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
