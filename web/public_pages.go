package web

// PUBLIC: the pages anybody may read without logging in (issue 8 parts 4 and 5):
// the public notice (公示) of the proposed platforms, the objection form
// (public_objections.go) and the directory of listed platforms
// (public_directory.go). They have their own layout (public_layout.html: no
// logged-in navigation, links to 公示, 平台名录 and 登录).
//
// Nothing confidential reaches these pages: a platform is shown only through
// national.PublicView of its frozen snapshot (the program's evaluation.public_fields)
// and the directory entry's search columns, never through the document itself.

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"biopilot"
	"biopilot/authz"
	"biopilot/national"
	"biopilot/program"
	"biopilot/store"
)

// publicPages are the public templates, each parsed with the public layout. They
// are embedded: a parse error is a broken build.
var publicPages = mustParsePublicPages()

func mustParsePublicPages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/public_*.html")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*template.Template)
	for _, name := range names {
		base := path.Base(name)
		if base == "public_layout.html" {
			continue
		}
		t := template.Must(template.New(base).Funcs(templateFuncs).ParseFS(templateFS, "templates/public_layout.html", name))
		out[strings.TrimSuffix(base, ".html")] = t
	}
	return out
}

// newPublicPage is the layout's values of a public page: no countdown, no
// navigation of a logged-in user (a logged-in visitor's CSRF token is kept, for the
// objection form's POST).
func (s *Server) newPublicPage(r *http.Request, title string, data any) *page {
	p := &page{Title: title, Program: s.prog, Data: data}
	if ri := info(r); ri.session != nil {
		p.CSRF = ri.session.CSRFToken
	}
	return p
}

// renderPublic executes a public template into a buffer, then writes it.
func (s *Server) renderPublic(w http.ResponseWriter, status int, name string, p *page) error {
	t, ok := publicPages[name]
	if !ok {
		return fmt.Errorf("web: no public template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "public_layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// publicPage wraps a public page's handler: its errors are shown in the public
// layout (a visitor without an account is never sent to the login page).
func (s *Server) publicPage(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		if err == nil {
			return nil
		}
		e, status := s.classify(r, err)
		p := s.newPublicPage(r, "出错了", map[string]any{"Status": status})
		p.Error = e.Message
		if rerr := s.renderPublic(w, status, "public_error", p); rerr != nil {
			return err
		}
		return nil
	}
}

// platformView is a proposed or listed platform as the public sees it.
type platformView struct {
	No           int // its number in a list, from 1
	ID           int64
	Name         string
	Org          string
	City         string
	Province     string
	Domains      []string // labels
	ChassisCells []string
	Scope        string
	Equipment    []string
	// EquipmentBrief is the equipment in a list's cell: the first few (those
	// matching the search first) and how many more.
	EquipmentBrief string
	Stars          string // ★★★☆☆, "" when not rated
}

// publicViewOf is the public part of an application: national.PublicView of its
// frozen snapshot (never the live draft).
func (s *Server) publicViewOf(app *biopilot.Application) (program.Document, error) {
	doc, err := s.prog.Form.DecodeDocument(app.Snapshot)
	if err != nil {
		return nil, fmt.Errorf("application %d: stored snapshot invalid: %w", app.ID, err)
	}
	return program.Document(national.PublicView(s.prog, doc)), nil
}

// lookupString is the string at key in a public view, "" when absent.
func lookupString(doc program.Document, key string) string {
	v, _ := program.Lookup(doc, key)
	str, _ := v.(string)
	return strings.TrimSpace(str)
}

// lookupStrings is the list of strings at key in a public view.
func lookupStrings(doc program.Document, key string) []string {
	v, _ := program.Lookup(doc, key)
	list, _ := v.([]any)
	var out []string
	for _, it := range list {
		if str, ok := it.(string); ok && strings.TrimSpace(str) != "" {
			out = append(out, strings.TrimSpace(str))
		}
	}
	return out
}

// equipmentNames lists the key equipment in a public view: the name (else the
// category) of each row of every table under "equipment", in the form's order.
func (s *Server) equipmentNames(doc program.Document) []string {
	var out []string
	for _, fl := range s.prog.Form.Fields {
		if fl.Type != program.TypeTable || !strings.HasPrefix(fl.Key, "equipment.") {
			continue
		}
		v, _ := program.Lookup(doc, fl.Key)
		rows, _ := v.([]any)
		for _, r := range rows {
			row, _ := r.(map[string]any)
			name, _ := row["name"].(string)
			if strings.TrimSpace(name) == "" {
				name, _ = row["category"].(string)
			}
			if name = strings.TrimSpace(name); name != "" && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// domainLabels turns domain keys into their labels.
func (s *Server) domainLabels(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.prog.DomainLabel(k))
	}
	return out
}

// placeName is the name of a jurisdiction (city or province) in the program's tree.
func (s *Server) placeName(code string) string {
	if code == "" {
		return ""
	}
	if j := s.prog.Jurisdiction(code); j != nil && j.Name != "" {
		return j.Name
	}
	return s.prog.CityName(code)
}

// provinceOf is the province of a city code.
func (s *Server) provinceOf(city string) string {
	if p := s.prog.Parent(city); p != nil && p.Code != biopilot.CountryCode {
		return p.Code
	}
	return authz.ProvinceOf(city)
}

// proposedView is a proposed platform of a notice, from its application.
func (s *Server) proposedView(app *biopilot.Application) (platformView, error) {
	pub, err := s.publicViewOf(app)
	if err != nil {
		return platformView{}, err
	}
	v := platformView{ID: app.ID, Name: lookupString(pub, "platform.name"), Org: lookupString(pub, "applicant.name"),
		City: s.placeName(app.CityCode), Province: s.placeName(s.provinceOf(app.CityCode)),
		Domains: s.domainLabels(lookupStrings(pub, "domains")), ChassisCells: lookupStrings(pub, "chassis_cells"),
		Scope: lookupString(pub, "platform.business_scope"), Equipment: s.equipmentNames(pub)}
	if v.Name == "" {
		v.Name = fmt.Sprintf("平台 %d", app.ID)
	}
	return v, nil
}

// currentNotice is the notice the public page shows: the open one, else the latest
// (nil when there has been none).
func (s *Server) currentNotice(ctx context.Context) (*store.PublicNotice, error) {
	ns, err := s.db.Notices(ctx, s.prog.ID)
	if err != nil || len(ns) == 0 {
		return nil, err
	}
	for _, n := range ns {
		if n.State == store.NoticeOpen {
			return n, nil
		}
	}
	return ns[0], nil
}

// accepting reports whether objections to the notice are accepted at now: it is
// open, begun and not yet ended.
func accepting(n *store.PublicNotice, now time.Time) bool {
	return n != nil && n.State == store.NoticeOpen && !now.Before(n.StartsAt) && now.Before(n.EndsAt)
}

// noticeEndText shows the end of a notice: a notice ending at midnight ends at
// "24:00" of the day before, as notices say.
func noticeEndText(t time.Time) string {
	b := t.In(biopilot.Beijing)
	if b.Hour() == 0 && b.Minute() == 0 && b.Second() == 0 {
		return b.Add(-time.Second).Format("2006年1月2日") + " 24:00"
	}
	return b.Format("2006年1月2日 15:04")
}

// noticeView is the public notice page's data.
type noticeView struct {
	Notice      *store.PublicNotice
	Start, End  string
	WorkingDays int
	Accepting   bool
	Ended       bool // the notice period is over (published, or past its end)
	Published   bool
	Platforms   []platformView
}

// noticeData builds the view of a notice and its proposed platforms.
func (s *Server) noticeData(ctx context.Context, n *store.PublicNotice) (*noticeView, error) {
	now := s.now()
	v := &noticeView{Notice: n, WorkingDays: s.prog.Eval().NoticeWorkingDays,
		Start: n.StartsAt.In(biopilot.Beijing).Format("2006年1月2日 15:04"), End: noticeEndText(n.EndsAt),
		Accepting: accepting(n, now), Published: n.State == store.NoticePublished}
	v.Ended = v.Published || !now.Before(n.EndsAt)
	for _, id := range n.ApplicationIDs {
		app, err := s.db.Application(ctx, id)
		if err != nil {
			return nil, err
		}
		pv, err := s.proposedView(app)
		if err != nil {
			return nil, err
		}
		pv.No = len(v.Platforms) + 1
		v.Platforms = append(v.Platforms, pv)
	}
	return v, nil
}

// pagePublicNotice shows the public notice (公示): the current one, or the latest
// with a note that it has ended.
func (s *Server) pagePublicNotice(w http.ResponseWriter, r *http.Request) error {
	n, err := s.currentNotice(r.Context())
	if err != nil {
		return err
	}
	if n == nil {
		return s.renderPublic(w, http.StatusOK, "public_notice", s.newPublicPage(r, "公示", (*noticeView)(nil)))
	}
	v, err := s.noticeData(r.Context(), n)
	if err != nil {
		return err
	}
	return s.renderPublic(w, http.StatusOK, "public_notice", s.newPublicPage(r, n.Title, v))
}
