package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"biopilot"
	"biopilot/store"
)

// AnnualWorkflow takes the annual evaluation's actions as its pages do, without a
// request. *web.Server implements it (web/annual_*.go, web/national_seed.go).
type AnnualWorkflow interface {
	// OpenAnnualAs opens the annual evaluation of a year (the ministry).
	OpenAnnualAs(ctx context.Context, u *biopilot.User, year int, title string, due time.Time) (*store.AnnualEvaluation, error)
	// OpenAnnualReport returns the platform's report on year, creating the
	// pre-filled draft.
	OpenAnnualReport(ctx context.Context, u *biopilot.User, appID int64, year int) (*store.AnnualReport, error)
	// SaveAnnualReportAs saves the whole document of the draft at baseVersion.
	SaveAnnualReportAs(ctx context.Context, u *biopilot.User, appID int64, year int, baseVersion int64, doc map[string]any) (*store.AnnualReport, error)
	// AddAnnualEvidence stores an evidence file of the draft.
	AddAnnualEvidence(ctx context.Context, u *biopilot.User, appID int64, year int, key, filename string, content io.Reader) (*store.Attachment, error)
	// SubmitAnnualReportAs submits the report at baseVersion.
	SubmitAnnualReportAs(ctx context.Context, u *biopilot.User, appID int64, year int, baseVersion int64) (*store.AnnualReport, error)
}

// AnnualDeps are what SeedAnnual works with: the store, the program and a server
// on the demo's clock.
type AnnualDeps struct {
	DB     *store.DB
	Annual AnnualWorkflow
	Now    time.Time // the demo's clock at start
}

// Draft and filed are the first batch's platforms whose reports SeedAnnual
// prepares: a pre-filled draft for its applicant to file, and a submitted report.
const (
	AnnualDraftUser = "gz-protein"
	AnnualFiledUser = "fs-biozyme"
)

// SeedAnnual opens the ministry's annual evaluation of the current year (due in
// 30 days), opens the pre-filled draft report of AnnualDraftUser's platform for its
// applicant to file, and files AnnualFiledUser's report with its figures and a
// contract as evidence, so that the dashboard shows something. Assigning experts
// to the report, scoring it, the stars and a removal are left to the person. It
// returns the year.
func SeedAnnual(ctx context.Context, d AnnualDeps) (int, error) {
	if d.DB == nil || d.Annual == nil || d.Now.IsZero() {
		return 0, fmt.Errorf("demo: SeedAnnual needs the store, the annual workflow and the time")
	}
	now := d.Now.In(biopilot.Beijing)
	year := now.Year()
	ministry, err := d.DB.UserByUsername(ctx, "ministry")
	if err != nil {
		return 0, fmt.Errorf("demo: ministry (run SeedNationalAccounts first): %w", err)
	}
	day := time.Date(year, now.Month(), now.Day(), 17, 0, 0, 0, biopilot.Beijing)
	if _, err := d.Annual.OpenAnnualAs(ctx, ministry, year, fmt.Sprintf("%d 年度生物制造中试能力建设平台年度评价", year),
		day.AddDate(0, 0, 30)); err != nil {
		return 0, fmt.Errorf("demo: opening the annual evaluation of %d: %w", year, err)
	}
	draft, err := platformOf(ctx, d.DB, AnnualDraftUser)
	if err != nil {
		return 0, err
	}
	if _, err := d.Annual.OpenAnnualReport(ctx, draft.user, draft.app.ID, year); err != nil {
		return 0, fmt.Errorf("demo: %s's draft report: %w", AnnualDraftUser, err)
	}
	filed, err := platformOf(ctx, d.DB, AnnualFiledUser)
	if err != nil {
		return 0, err
	}
	u, id := filed.user, filed.app.ID
	rep, err := d.Annual.OpenAnnualReport(ctx, u, id, year)
	if err != nil {
		return 0, fmt.Errorf("demo: %s's report: %w", AnnualFiledUser, err)
	}
	doc, err := reportDoc(rep)
	if err != nil {
		return 0, err
	}
	services := map[string]any{
		"enterprises": 26, "contracts": 31, "contract_amount_10k_yuan": 980.5, "products_incubated": 7,
		"projects_industrialized": 3,
		"summary": "本年度为 26 家食品配料和酶制剂企业提供发酵放大、喷雾干燥和复配中试服务，完成中试项目 31 项，" +
			"孵化复合酶制剂、低聚果糖等新产品 7 个，其中 3 个项目已在委托企业实现产业化。",
		"contract_list": []any{
			map[string]any{"client": "示例调味品股份有限公司", "title": "复合酶制剂发酵工艺放大（二期）", "signed_on": fmt.Sprintf("%d-03-18", year), "amount_10k_yuan": 186},
			map[string]any{"client": "示例乳业有限公司", "title": "乳糖酶喷雾干燥工艺验证", "signed_on": fmt.Sprintf("%d-06-02", year), "amount_10k_yuan": 95},
		},
	}
	doc["services"] = services
	facilities, _ := doc["facilities"].(map[string]any)
	if facilities == nil {
		facilities = map[string]any{}
	}
	equipment, _ := facilities["equipment"].([]any)
	facilities["equipment"] = append(equipment, map[string]any{"kind": "equipment", "name": "500L发酵罐", "model": "FJ-500",
		"quantity": 1, "price_10k_yuan": 120, "year": year})
	facilities["upgrade"] = "新增 500L 发酵罐一套，完善发酵过程在线监测系统。"
	doc["facilities"] = facilities
	if rep, err = d.Annual.SaveAnnualReportAs(ctx, u, id, year, rep.Version, doc); err != nil {
		return 0, fmt.Errorf("demo: saving %s's report: %w", AnnualFiledUser, err)
	}
	pdf := evidencePDF(filed.app.PlatformName, "annual-contracts")
	if _, err := d.Annual.AddAnnualEvidence(ctx, u, id, year, "contracts", "中试服务合同及发票.pdf", bytes.NewReader(pdf)); err != nil {
		return 0, fmt.Errorf("demo: evidence of %s's report: %w", AnnualFiledUser, err)
	}
	if _, err := d.Annual.SubmitAnnualReportAs(ctx, u, id, year, rep.Version); err != nil {
		return 0, fmt.Errorf("demo: submitting %s's report: %w", AnnualFiledUser, err)
	}
	return year, nil
}

// platform is a listed platform of the demo and its applicant.
type platform struct {
	user *biopilot.User
	app  *biopilot.Application
}

// platformOf finds the listed platform of an applicant account.
func platformOf(ctx context.Context, db *store.DB, username string) (*platform, error) {
	u, err := db.UserByUsername(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("demo: %s (run SeedListed first): %w", username, err)
	}
	apps, _, err := db.Applications(ctx, store.ApplicationFilter{OrgID: u.OrgID, States: []biopilot.State{biopilot.StateListed}, Limit: 10})
	if err != nil {
		return nil, err
	}
	if len(apps) != 1 {
		return nil, fmt.Errorf("demo: %s has %d listed platforms, want 1", username, len(apps))
	}
	return &platform{user: u, app: apps[0]}, nil
}

// reportDoc decodes a report's document.
func reportDoc(r *store.AnnualReport) (map[string]any, error) {
	doc := map[string]any{}
	if len(r.Document) > 0 {
		if err := json.Unmarshal(r.Document, &doc); err != nil {
			return nil, fmt.Errorf("demo: report %d: %w", r.ID, err)
		}
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}
