package web

// PUBLIC: the directory of listed platforms (平台名录, issue 8 part 5), searchable by
// keyword, domain, province, city, chassis cell and key equipment, each platform
// with its services and contact, so that enterprises find pilot capacity. It shows
// only the directory entry's columns and its Public view (national.PublicView of
// the snapshot, computed at publication). Removed platforms (除名) are not in it.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/program"
	"biopilot/store"
)

// directoryPageSize is how many platforms one page of the directory lists.
const directoryPageSize = 20

// directoryFilter reads the search of a directory request (page or API).
func (s *Server) directoryFilter(r *http.Request) (store.DirectoryFilter, error) {
	q := r.URL.Query()
	f := store.DirectoryFilter{ProgramID: s.prog.ID, Query: strings.TrimSpace(q.Get("q")),
		Domain: q.Get("domain"), ProvinceCode: q.Get("province"), CityCode: q.Get("city"),
		Chassis: strings.TrimSpace(q.Get("chassis")), Equipment: strings.TrimSpace(q.Get("equipment")), Limit: directoryPageSize}
	for _, x := range []struct{ name, v string }{{"q", f.Query}, {"chassis", f.Chassis}, {"equipment", f.Equipment}} {
		if len([]rune(x.v)) > 100 {
			return f, biopilot.FieldErrorf(x.name, "搜索词不能超过 100 个字")
		}
	}
	if f.Domain != "" && s.prog.DomainLabel(f.Domain) == f.Domain {
		return f, biopilot.FieldErrorf("domain", "没有这个领域：%s", f.Domain)
	}
	for _, x := range []struct{ name, v string }{{"province", f.ProvinceCode}, {"city", f.CityCode}} {
		if x.v != "" && s.placeName(x.v) == x.v {
			return f, biopilot.FieldErrorf(x.name, "没有这个地区：%s", x.v)
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return f, biopilot.FieldErrorf("limit", "每页条数应为 1 至 100")
		}
		f.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, biopilot.FieldErrorf("offset", "offset 应为不小于 0 的整数")
		}
		f.Offset = n
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, biopilot.FieldErrorf("page", "页码应为正整数")
		}
		f.Offset = (n - 1) * f.Limit
	}
	return f, nil
}

// entryView is a directory entry as the public sees it.
func (s *Server) entryView(e *store.DirectoryEntry) (platformView, program.Document) {
	var pub program.Document
	_ = json.Unmarshal(e.Public, &pub) // written by the store from PublicView; nil shows the columns only
	v := platformView{ID: e.ApplicationID, Name: e.PlatformName, Org: e.OrgName, City: s.placeName(e.CityCode),
		Province: s.placeName(e.ProvinceCode), Domains: s.domainLabels(e.Domains), ChassisCells: e.ChassisCells,
		Equipment: e.Equipment, Scope: lookupString(pub, "platform.business_scope"), Stars: starText(e.Stars)}
	if v.Org == "" {
		v.Org = lookupString(pub, "applicant.name")
	}
	return v, pub
}

// starText shows a star rating as ★ out of five ("" when not rated).
func starText(n int) string {
	if n <= 0 {
		return ""
	}
	n = min(n, 5)
	return strings.Repeat("★", n) + strings.Repeat("☆", 5-n)
}

// briefEquipment is how many equipment names a directory row shows.
const briefEquipment = 6

// equipmentBrief shows a platform's equipment in a list: those matching a search
// word first, at most briefEquipment, and how many more there are.
func equipmentBrief(all []string, search string) string {
	words := strings.Fields(strings.ToLower(search))
	matches := func(e string) bool {
		for _, w := range words {
			if strings.Contains(strings.ToLower(e), w) {
				return true
			}
		}
		return false
	}
	var first, rest []string
	for _, e := range all {
		if matches(e) {
			first = append(first, e)
		} else {
			rest = append(rest, e)
		}
	}
	ordered := append(first, rest...)
	if len(ordered) <= briefEquipment {
		return strings.Join(ordered, "、")
	}
	return fmt.Sprintf("%s 等 %d 项", strings.Join(ordered[:briefEquipment], "、"), len(ordered))
}

// option is a choice of a search form's select.
type option struct {
	Value, Label string
	Selected     bool
}

// placeOptions lists the provinces (a national program) and the cities of the
// program's tree, for the directory's search form.
func (s *Server) placeOptions(f store.DirectoryFilter) (provinces, cities []option) {
	root := s.prog.RootJurisdiction()
	var provs []string
	if root != nil && root.Code == biopilot.CountryCode {
		for _, p := range s.prog.Children(root.Code) {
			provs = append(provs, p.Code)
			provinces = append(provinces, option{p.Code, p.Name, p.Code == f.ProvinceCode})
		}
	} else if root != nil {
		provs = []string{root.Code}
	}
	for _, p := range provs {
		if f.ProvinceCode != "" && p != f.ProvinceCode {
			continue
		}
		for _, c := range s.prog.Children(p) {
			cities = append(cities, option{c.Code, c.Name, c.Code == f.CityCode})
		}
	}
	return provinces, cities
}

// pagePublicDirectory searches the directory.
func (s *Server) pagePublicDirectory(w http.ResponseWriter, r *http.Request) error {
	f, err := s.directoryFilter(r)
	if err != nil {
		return err
	}
	entries, total, err := s.db.Directory(r.Context(), f)
	if err != nil {
		return err
	}
	items := make([]platformView, 0, len(entries))
	for _, e := range entries {
		v, _ := s.entryView(e)
		v.EquipmentBrief = equipmentBrief(v.Equipment, f.Equipment+" "+f.Query)
		items = append(items, v)
	}
	domains := []option{}
	for _, d := range s.prog.Domains {
		domains = append(domains, option{d.Key, d.Label, d.Key == f.Domain})
	}
	provinces, cities := s.placeOptions(f)
	page := f.Offset/f.Limit + 1
	pages := (total + f.Limit - 1) / f.Limit
	link := func(n int) string {
		q := r.URL.Query()
		q.Del("offset")
		q.Set("page", strconv.Itoa(n))
		return "/public/directory?" + q.Encode()
	}
	var prev, next string
	if page > 1 {
		prev = link(page - 1)
	}
	if page < pages {
		next = link(page + 1)
	}
	return s.renderPublic(w, http.StatusOK, "public_directory", s.newPublicPage(r, "平台名录", map[string]any{
		"Filter": f, "Items": items, "Total": total, "Page": page, "Pages": pages, "Prev": prev, "Next": next,
		"Domains": domains, "Provinces": provinces, "Cities": cities,
		"Searched": f.Query != "" || f.Domain != "" || f.ProvinceCode != "" || f.CityCode != "" || f.Chassis != "" || f.Equipment != "",
	}))
}

// listedEntry loads the listed platform {id}: ENOTFOUND for anything else, with a
// message saying so for a removed platform.
func (s *Server) listedEntry(r *http.Request) (*store.DirectoryEntry, error) {
	notFound := biopilot.Errorf(biopilot.ENOTFOUND, "名录中没有这个平台")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, notFound
	}
	e, err := s.db.DirectoryEntry(r.Context(), id)
	if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	if e.ProgramID != s.prog.ID {
		return nil, notFound
	}
	if !e.RemovedAt.IsZero() {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "已除名的平台不在名录中")
	}
	return e, nil
}

// publicFields lays out a public view by the form: every field it holds, with the
// form's label, in the form's order; a table keeps only its public columns.
func (s *Server) publicFields(pub program.Document) []fieldView {
	var out []fieldView
	for _, fl := range s.prog.Form.Fields {
		v, ok := program.Lookup(pub, fl.Key)
		if !ok || v == nil {
			continue
		}
		fv := fieldView{Key: fl.Key, Label: fl.Label, Group: fl.Group}
		if fl.Type == program.TypeTable {
			rows, _ := v.([]any)
			cols := *fl
			cols.Columns = nil
			for _, c := range fl.Columns {
				for _, rw := range rows {
					if m, _ := rw.(map[string]any); m != nil && m[c.Key] != nil {
						cols.Columns = append(cols.Columns, c)
						break
					}
				}
			}
			var kept []any
			for _, rw := range rows {
				if m, _ := rw.(map[string]any); len(m) > 0 {
					kept = append(kept, rw)
				}
			}
			if len(cols.Columns) == 0 || len(kept) == 0 {
				continue
			}
			fv.Table = tableOf(&cols, kept)
		} else {
			fv.Value = formatValue(fl, v)
		}
		out = append(out, fv)
	}
	return out
}

// shownAbove are the public fields the platform page shows in its own places.
var shownAbove = map[string]bool{"applicant.name": true, "platform.name": true, "domains": true,
	"chassis_cells": true, "platform.business_scope": true}

// pagePublicPlatform shows one listed platform: its services, contact, equipment,
// chassis cells and star rating history.
func (s *Server) pagePublicPlatform(w http.ResponseWriter, r *http.Request) error {
	e, err := s.listedEntry(r)
	if err != nil {
		return err
	}
	v, pub := s.entryView(e)
	ratings, err := s.db.StarRatings(r.Context(), e.ApplicationID)
	if err != nil {
		return err
	}
	type rating struct {
		Year  int
		Stars string
	}
	var rs []rating
	for _, x := range ratings {
		rs = append(rs, rating{x.Year, starText(x.Stars)})
	}
	// The tables (equipment …) in full; other public fields not shown above in a
	// list of their own.
	var tables, others []fieldView
	for _, fv := range s.publicFields(pub) {
		switch {
		case fv.Table != nil:
			tables = append(tables, fv)
		case !shownAbove[fv.Key] && !strings.HasPrefix(fv.Key, "platform.contact."):
			others = append(others, fv)
		}
	}
	return s.renderPublic(w, http.StatusOK, "public_platform", s.newPublicPage(r, v.Name, map[string]any{
		"P": v, "Entry": e, "ListedAt": e.ListedAt.In(biopilot.Beijing).Format("2006年1月2日"),
		"Contact": map[string]string{"Name": lookupString(pub, "platform.contact.name"),
			"Mobile": lookupString(pub, "platform.contact.mobile"), "Email": lookupString(pub, "platform.contact.email")},
		"Tables": tables, "Others": others, "Ratings": rs,
	}))
}

// directoryJSON is a directory entry as the API shows it: only public values.
func (s *Server) directoryJSON(e *store.DirectoryEntry) map[string]any {
	var pub any = map[string]any{}
	if len(e.Public) > 0 {
		_ = json.Unmarshal(e.Public, &pub)
	}
	domains := make([]map[string]string, 0, len(e.Domains))
	for _, d := range e.Domains {
		domains = append(domains, map[string]string{"key": d, "label": s.prog.DomainLabel(d)})
	}
	return map[string]any{"application_id": e.ApplicationID, "platform_name": e.PlatformName, "org_name": e.OrgName,
		"city_code": e.CityCode, "city_name": s.placeName(e.CityCode), "province_code": e.ProvinceCode,
		"province_name": s.placeName(e.ProvinceCode), "domains": domains, "chassis_cells": nonNilStrings(e.ChassisCells),
		"equipment": nonNilStrings(e.Equipment), "stars": e.Stars, "listed_at": rfc3339(e.ListedAt), "public": pub,
		"url": fmt.Sprintf("/public/platforms/%d", e.ApplicationID)}
}

func nonNilStrings(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// apiPublicDirectory searches the directory: GET /api/v1/public/directory.
func (s *Server) apiPublicDirectory(w http.ResponseWriter, r *http.Request) error {
	f, err := s.directoryFilter(r)
	if err != nil {
		return err
	}
	entries, total, err := s.db.Directory(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": jsonItems(entries, s.directoryJSON),
		"total": total, "limit": f.Limit, "offset": f.Offset})
	return nil
}
