// Package export assembles sealed packages (材料包) from plain inputs: for one
// application, or for a city's whole recommendation, a ZIP with the 申请表 PDFs, the
// canonical snapshots, every evidence file, the signed payloads of every decision and
// a manifest (program, states, hashes of every file, signatures, public keys) sealed
// by the exporter, which `biopilot verify` checks offline (seal.VerifyPackage).
//
// Layout of a package:
//
//	推荐函.pdf                                             (a recommendation only)
//	recommendation/signatures/NN-<purpose>.json           (the letter's own seals, if any)
//	applications/<no>/snapshot.json                        canonical: its SM3 is the snapshot hash
//	applications/<no>/evidence/<category>/<sha8>-<name>    every evidence file, as stored
//	applications/<no>/signatures/NN-<purpose>.json        what each seal signed (canonical)
//	applications/<no>/申请表.pdf                            (rendered while the rest is written)
//	manifest.json                                          last
//
// Everything is streamed: evidence files are copied from their opener through the
// package writer's fixed buffer, the 推荐函 through a pipe, each 申请表 from memory
// (rendered meanwhile, on another core), so memory stays flat whatever the size of
// the evidence. Evidence whose SM3 was recorded at upload is only copied, not hashed
// again (its manifest entry carries the recorded hashes, which the verifier checks),
// so a package streams at about the speed of reading the files.
// There is no HTTP and no SQL here.
package export

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"biopilot"
	"biopilot/files"
	"biopilot/program"
	"biopilot/render"
	"biopilot/seal"
)

// Opener opens an evidence file by its SHA-256 (lower-case hex), as
// (*files.Store).Open does.
type Opener func(ctx context.Context, sha256 string) (io.ReadCloser, error)

// Evidence is one evidence file (佐证材料) of an application, as the snapshot hash
// covers it: the attachment's id, its category, the SHA-256 of its content, its size
// and its file name (for display).
//
// SM3 is the content's SM3 as recorded at upload (store.Attachment.SM3), not part of
// the snapshot. When it and Size are known the file is copied into the package
// without being hashed again, and the manifest lists the recorded hashes: a file that
// changed in storage since its upload then fails the package's verification. Without
// them the file is hashed as it is copied, and must hash to its SHA-256.
type Evidence struct {
	ID       int64
	Category string
	SHA256   string
	SM3      string
	Size     int64
	Filename string
}

// Application is one application to package.
type Application struct {
	// App carries the snapshot, its hash, the state and the names. It must have been
	// submitted (a snapshot and its hash).
	App *biopilot.Application
	// Number is the application number; Number(p, App) when empty.
	Number string
	// Transitions are the application's transitions, oldest first; the seal of each
	// (Data["signature"]) goes into the package with the payload it signed (Data
	// without "signature").
	Transitions []*biopilot.Transition
	// Evidence lists the evidence files of the snapshot.
	Evidence []Evidence
	// Meta is printed on the 申请表 PDF (seals, the province's opinion …). The
	// application number and the snapshot hash are filled in when empty.
	Meta render.Meta
}

// AppInput is what ApplicationPackage needs.
type AppInput struct {
	Program     *program.Program
	Renderer    *render.Renderer
	Application Application
	Open        Opener
	// Sealers seal the manifest: the exporter's seal (at least one).
	Sealers []seal.Sealer
	// At is the time of the export (the caller's clock).
	At time.Time
}

// Signed is a seal with the payload it signed, as it goes into a package.
type Signed struct {
	Signature *seal.Signature
	// Payload is what was signed (any JSON value); nil when not known, and then only
	// the signature itself is verified.
	Payload any
}

// RecInput is what RecommendationPackage needs.
type RecInput struct {
	Program  *program.Program
	Renderer *render.Renderer
	// CityCode is the recommending city.
	CityCode string
	// Title of the package; "<city>生物制造中试能力建设平台推荐材料" when empty.
	Title string
	// Letter is the 推荐函, printed as 推荐函.pdf.
	Letter render.Letter
	// Signatures are seals on the recommendation as a whole (beyond those in each
	// application's transitions), in the order they were made.
	Signatures []Signed
	// Applications are the recommended applications, in the city's order.
	Applications []Application
	Open         Opener
	Sealers      []seal.Sealer
	At           time.Time
}

// Number returns the number of an application: GD2025-440100-0012 (the
// abbreviation of the application's province, the edition, the city, the id);
// JS2025-320100-0031 for a Jiangsu application of the national call.
func Number(p *program.Program, a *biopilot.Application) string {
	return fmt.Sprintf("%s%d-%s-%04d", p.NumberPrefix(a.CityCode), p.Edition, a.CityCode, a.ID)
}

// FileName is the download name of an application's package.
func FileName(number string) string { return "材料包-" + number + ".zip" }

// ApplicationPackage writes the sealed package of one application to w.
func ApplicationPackage(ctx context.Context, w io.Writer, in AppInput) error {
	if err := check(in.Program, in.Renderer, in.Open, in.Sealers, in.At); err != nil {
		return err
	}
	a := &in.Application
	if err := ready(in.Program, a); err != nil {
		return err
	}
	pw, err := seal.NewPackageWriter(w, seal.PackageInfo{
		Program:   seal.ProgramRef{ID: in.Program.ID, Name: in.Program.Title},
		Kind:      seal.KindApplication,
		Title:     fmt.Sprintf("%s申请材料（%s）", in.Program.ShortTitle, a.Number),
		CreatedAt: in.At,
	})
	if err != nil {
		return err
	}
	if err := addApplication(ctx, pw, in.Program, in.Renderer, in.Open, a); err != nil {
		return err
	}
	return pw.Close(in.Sealers...)
}

// RecommendationPackage writes the sealed package of a city's recommendation: the
// 推荐函 and every recommended application.
func RecommendationPackage(ctx context.Context, w io.Writer, in RecInput) error {
	if err := check(in.Program, in.Renderer, in.Open, in.Sealers, in.At); err != nil {
		return err
	}
	if in.Program.City(in.CityCode) == nil {
		return biopilot.FieldErrorf("city_code", "未知的地市代码：%s", in.CityCode)
	}
	if len(in.Applications) == 0 {
		return biopilot.FieldErrorf("applications", "推荐材料中没有申请")
	}
	for i := range in.Applications {
		if err := ready(in.Program, &in.Applications[i]); err != nil {
			return err
		}
		if c := in.Applications[i].App.CityCode; c != in.CityCode {
			return biopilot.FieldErrorf("applications", "申请 %s 不属于%s", in.Applications[i].Number, in.Program.CityName(in.CityCode))
		}
	}
	title := in.Title
	if title == "" {
		title = in.Program.CityName(in.CityCode) + in.Program.ShortTitle + "推荐材料"
	}
	pw, err := seal.NewPackageWriter(w, seal.PackageInfo{
		Program:   seal.ProgramRef{ID: in.Program.ID, Name: in.Program.Title},
		Kind:      seal.KindRecommendation,
		Title:     title,
		CreatedAt: in.At,
	})
	if err != nil {
		return err
	}
	if err := addPDF(pw, "推荐函.pdf", func(w io.Writer) error {
		return in.Renderer.LetterPDF(w, in.Program, in.Letter)
	}); err != nil {
		return err
	}
	for i := range in.Applications {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := addApplication(ctx, pw, in.Program, in.Renderer, in.Open, &in.Applications[i]); err != nil {
			return err
		}
	}
	if err := addSigned(pw, "recommendation/signatures", in.Signatures); err != nil {
		return err
	}
	return pw.Close(in.Sealers...)
}

func check(p *program.Program, r *render.Renderer, open Opener, sealers []seal.Sealer, at time.Time) error {
	switch {
	case p == nil || p.Form == nil:
		return fmt.Errorf("export: no program")
	case r == nil:
		return fmt.Errorf("export: no renderer")
	case open == nil:
		return fmt.Errorf("export: no evidence opener")
	case len(sealers) == 0:
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "seals", Message: "材料包至少需要导出方的一个签章"}
	case at.IsZero():
		return fmt.Errorf("export: no export time")
	}
	for _, s := range sealers {
		if s.Key == nil {
			return fmt.Errorf("export: a sealer without a key")
		}
	}
	return nil
}

// ready checks that an application can be packaged and fills its number.
func ready(p *program.Program, a *Application) error {
	if a.App == nil {
		return fmt.Errorf("export: no application")
	}
	if a.Number == "" {
		a.Number = Number(p, a.App)
	}
	if len(a.App.Snapshot) == 0 || a.App.SnapshotHash == "" {
		return biopilot.Errorf(biopilot.ECONFLICT, "申请 %s 尚未提交，没有可导出的快照", a.Number)
	}
	if err := checkSegment(a.Number); err != nil {
		return err
	}
	return nil
}

func checkSegment(s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\:") {
		return biopilot.FieldErrorf("number", "申请编号 %q 不能用作文件名", s)
	}
	return nil
}

// addApplication writes one application's files and signatures. Its 申请表 is
// rendered on another core meanwhile, and goes in last.
func addApplication(ctx context.Context, pw *seal.PackageWriter, p *program.Program, r *render.Renderer, open Opener, a *Application) error {
	dir := "applications/" + a.Number + "/"
	doc, err := snapshotDocument(p, a.App.Snapshot)
	if err != nil {
		return fmt.Errorf("export: application %d: %w", a.App.ID, err)
	}
	m := a.Meta
	if m.ApplicationNo == "" {
		m.ApplicationNo = a.Number
	}
	if m.SnapshotHash == "" {
		m.SnapshotHash = a.App.SnapshotHash
	}
	pdf := renderAhead(func(w io.Writer) error { return r.FormPDF(w, p, doc, m) })
	// the snapshot, canonical: its SM3 must be the hash the seals signed
	canon, err := snapshotFile(a)
	if err != nil {
		return fmt.Errorf("export: application %d: %w", a.App.ID, err)
	}
	snapPath := dir + "snapshot.json"
	if _, err := pw.AddFile(snapPath, bytes.NewReader(canon)); err != nil {
		return err
	}
	pdfPath := dir + "申请表.pdf"
	paths := []string{pdfPath}
	seen := map[string]bool{}
	for _, e := range a.Evidence {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !files.ValidSHA256(e.SHA256) {
			return fmt.Errorf("export: application %d: evidence %q has no valid SHA-256", a.App.ID, e.Filename)
		}
		name := EvidencePath(a.Number, e)
		if seen[name] {
			continue // the same file listed twice under one category
		}
		seen[name] = true
		if err := addEvidence(ctx, pw, open, name, e); err != nil {
			return err
		}
		paths = append(paths, name)
	}
	var signed []Signed
	for _, t := range a.Transitions {
		s, err := FromTransition(t)
		if err != nil {
			return fmt.Errorf("export: application %d: %w", a.App.ID, err)
		}
		if s != nil {
			signed = append(signed, *s)
		}
	}
	before := len(pw.Manifest().Files)
	if err := addSigned(pw, dir+"signatures", signed); err != nil {
		return err
	}
	for _, f := range pw.Manifest().Files[before:] {
		paths = append(paths, f.Path)
	}
	if err := pdf.add(pw, pdfPath); err != nil {
		return err
	}
	pw.AddApplication(seal.ManifestApplication{
		ID: a.App.ID, Number: a.Number, OrgName: a.App.OrgName, PlatformName: a.App.PlatformName,
		CityCode: a.App.CityCode, State: string(a.App.State), SnapshotHash: a.App.SnapshotHash,
		Snapshot: snapPath, Files: paths,
	})
	return nil
}

// snapshotFile returns the canonical bytes whose SM3 is the application's snapshot
// hash: the snapshot itself when it hashes so, else the object the web layer seals
// at submission,
//
//	{"document": <snapshot>, "evidence": [{"id", "category", "sha256", "size", "filename"}, …]}
//
// with the evidence in the order given.
func snapshotFile(a *Application) ([]byte, error) {
	canon, err := seal.Canonical(json.RawMessage(a.App.Snapshot))
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if seal.Hash(canon) == a.App.SnapshotHash {
		return canon, nil
	}
	ev := make([]any, 0, len(a.Evidence))
	for _, e := range a.Evidence {
		ev = append(ev, map[string]any{"id": e.ID, "category": e.Category, "sha256": e.SHA256,
			"size": e.Size, "filename": e.Filename})
	}
	wrapped, err := seal.Canonical(map[string]any{"document": json.RawMessage(a.App.Snapshot), "evidence": ev})
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if h := seal.Hash(wrapped); h != a.App.SnapshotHash {
		return nil, fmt.Errorf("the snapshot with its %d evidence files hashes to %s, not to its recorded hash %s", len(a.Evidence), h, a.App.SnapshotHash)
	}
	return wrapped, nil
}

// snapshotDocument decodes the document of a snapshot: the snapshot itself, or its
// "document" member.
func snapshotDocument(p *program.Program, snap json.RawMessage) (program.Document, error) {
	doc, err := p.Form.DecodeDocument(snap)
	if err == nil {
		return doc, nil
	}
	var wrap struct {
		Document json.RawMessage `json:"document"`
	}
	if json.Unmarshal(snap, &wrap) == nil && len(wrap.Document) > 0 {
		if d, err2 := p.Form.DecodeDocument(wrap.Document); err2 == nil {
			return d, nil
		}
	}
	return nil, fmt.Errorf("snapshot is not a document of the form: %w", err)
}

// EvidencePath is the path of an evidence file in a package:
// applications/<no>/evidence/<category>/<first 8 hex of the SHA-256>-<cleaned name>.
func EvidencePath(number string, e Evidence) string {
	cat := safeName(e.Category)
	if cat == files.Unnamed || cat == "" {
		cat = "other"
	}
	sum := strings.ToLower(e.SHA256)
	return path.Join("applications", number, "evidence", cat, sum[:8]+"-"+safeName(e.Filename))
}

// safeName is a file name fit for a package path: the files package's clean display
// name without the characters the package format refuses.
func safeName(s string) string {
	s = files.CleanFilename(s)
	return strings.NewReplacer(":", "_", "\\", "_", "/", "_").Replace(s)
}

// addEvidence streams one evidence file into the package: with its recorded hashes
// when it has them (the byte count is checked), else hashing it and checking that
// what was read is the content its SHA-256 names.
func addEvidence(ctx context.Context, pw *seal.PackageWriter, open Opener, name string, e Evidence) error {
	rc, err := open(ctx, strings.ToLower(e.SHA256))
	if err != nil {
		return fmt.Errorf("export: open evidence %s (%s): %w", e.Filename, e.SHA256, err)
	}
	defer rc.Close()
	if e.SM3 != "" && e.Size > 0 {
		if _, err := pw.AddFileHashed(name, rc, e.Size, strings.ToLower(e.SHA256), strings.ToLower(e.SM3)); err != nil {
			return fmt.Errorf("export: evidence %s (%s): %w", e.Filename, e.SHA256, err)
		}
		return nil
	}
	f, err := pw.AddFile(name, rc)
	if err != nil {
		return err
	}
	if f.SHA256 != strings.ToLower(e.SHA256) {
		return fmt.Errorf("export: evidence %s: stored content has SHA-256 %s, not %s", e.Filename, f.SHA256, e.SHA256)
	}
	return nil
}

// addSigned writes each seal's payload under dir and records the seal with it.
func addSigned(pw *seal.PackageWriter, dir string, signed []Signed) error {
	for i, s := range signed {
		if s.Signature == nil {
			continue
		}
		payload := ""
		if s.Payload != nil {
			payload = fmt.Sprintf("%s/%02d-%s.json", dir, i+1, safeName(s.Signature.Purpose))
			if _, err := pw.AddJSON(payload, s.Payload); err != nil {
				return err
			}
		}
		if err := pw.AddSignature(s.Signature, payload); err != nil {
			return err
		}
	}
	return nil
}

// FromTransition returns a transition's seal with the payload it signed (its Data
// without "signature", exactly as recorded), or nil when it carries no seal.
func FromTransition(t *biopilot.Transition) (*Signed, error) {
	if t == nil || len(t.Data) == 0 {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t.Data, &m); err != nil {
		return nil, fmt.Errorf("transition %d: data: %w", t.ID, err)
	}
	raw, ok := m["signature"]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	sig := new(seal.Signature)
	if err := json.Unmarshal(raw, sig); err != nil {
		return nil, fmt.Errorf("transition %d: signature: %w", t.ID, err)
	}
	delete(m, "signature")
	payload := make(map[string]any, len(m))
	for k, v := range m {
		payload[k] = v
	}
	return &Signed{Signature: sig, Payload: payload}, nil
}
