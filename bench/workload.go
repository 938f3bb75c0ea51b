package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"

	"biopilot/web"
)

// marker is replaced in each autosave by a counter, so that every save differs.
const marker = "「自动保存计数：BENCHMARK」"

// workload is the people the clients play: client k is an applicant of one
// organisation editing one application of its own (no two clients edit the same
// one, so no save conflicts by construction), and a reviewer of one city.
type workload struct {
	c        *client
	sd       *seeded
	hasPDF   bool
	province *session
	clients  []*clientState
}

type clientState struct {
	rng       *rand.Rand
	applicant *session
	reviewer  *session
	orgApps   []int64
	city      string
	visible   []int64
	// autosave: the application, its version and its document around the marker.
	appID   int64
	version int64
	before  []byte
	after   []byte
	saves   int
}

// listQueries are the reviewers' list filters (city scope), 50 rows each.
var listQueries = []string{
	"state=submitted", "domain=enzymes", "verdict=eligible", "sort=org",
	"q=%E7%94%9F%E7%89%A9", // 生物
	"state=submitted,city_proposed&sort=state", "", "sort=id&offset=50",
}

func newWorkload(ctx context.Context, base string, sd *seeded, conc int, routes []web.Route) (*workload, error) {
	w := &workload{c: newClient(base, conc), sd: sd}
	for _, r := range routes {
		if r.Pattern == "GET /api/v1/applications/{id}/form.pdf" {
			w.hasPDF = true
		}
	}
	if len(sd.editable) == 0 {
		return nil, fmt.Errorf("bench: no editable applications seeded")
	}
	var err error
	if w.province, err = w.c.login(ctx, sd.province, Password); err != nil {
		return nil, err
	}
	// One session per client and role, as separate people would have (two clients
	// of the same account hold two sessions).
	login := func(user string) (*session, error) { return w.c.login(ctx, user, Password) }
	stride := max(len(sd.editable)/conc, 1)
	for k := 0; k < conc; k++ {
		ref := sd.editable[(k*stride)%len(sd.editable)]
		cs := &clientState{rng: rand.New(rand.NewPCG(uint64(k), 7)), appID: ref.id,
			orgApps: sd.byOrg[ref.orgID]}
		if cs.applicant, err = login(sd.applicantOf[ref.orgID]); err != nil {
			return nil, err
		}
		cs.city = sd.cities[k%len(sd.cities)]
		cs.visible = sd.cityVisible[cs.city]
		if len(cs.visible) == 0 {
			return nil, fmt.Errorf("bench: city %s has no submitted applications: seed more", cs.city)
		}
		if cs.reviewer, err = login(sd.cityUser[cs.city]); err != nil {
			return nil, err
		}
		var app struct {
			Version  int64          `json:"version"`
			Document map[string]any `json:"document"`
		}
		if err := w.c.do(ctx, cs.applicant, "GET", fmt.Sprintf("/api/v1/applications/%d", ref.id), nil, 200, &app); err != nil {
			return nil, err
		}
		app.Document["overview"] = "平台面向企业提供开放中试服务。" + marker
		doc, err := json.Marshal(app.Document)
		if err != nil {
			return nil, err
		}
		m := []byte(marker)
		i := bytes.Index(doc, m)
		cs.version, cs.before, cs.after = app.Version, doc[:i], doc[i+len(m):]
		w.clients = append(w.clients, cs)
	}
	return w, nil
}

// op returns the request function of an operation, or nil when the server cannot
// do it.
func (w *workload) op(name string) func(ctx context.Context, k, i int) error {
	switch name {
	case OpAutosave:
		return w.autosave
	case OpApplicantPage:
		return w.applicantPage
	case OpReviewerList:
		return w.reviewerList
	case OpReviewerView:
		return w.reviewerView
	case OpEligibility:
		return w.eligibility
	case OpFormPDF:
		if w.hasPDF {
			return w.formPDF
		}
	}
	return nil
}

// mixed is the night before the deadline: 90% reads (applicant pages and
// eligibility reports, reviewer lists and applications), 10% autosaves.
func (w *workload) mixed(ctx context.Context, k, i int) error {
	switch n := w.clients[k].rng.IntN(100); {
	case n < 10:
		return w.autosave(ctx, k, i)
	case n < 40:
		return w.applicantPage(ctx, k, i)
	case n < 55:
		return w.eligibility(ctx, k, i)
	case n < 75:
		return w.reviewerList(ctx, k, i)
	default:
		return w.reviewerView(ctx, k, i)
	}
}

// autosave sends the whole document with the version it is based on, as the
// editor does, and keeps the new version.
func (w *workload) autosave(ctx context.Context, k, _ int) error {
	cs := w.clients[k]
	cs.saves++
	var body bytes.Buffer
	body.Grow(len(cs.before) + len(cs.after) + 64)
	body.WriteString(`{"base_version":`)
	body.WriteString(strconv.FormatInt(cs.version, 10))
	body.WriteString(`,"document":`)
	body.Write(cs.before)
	body.WriteString("自动保存第" + strconv.Itoa(cs.saves) + "次")
	body.Write(cs.after)
	body.WriteByte('}')
	var out struct {
		Version int64 `json:"version"`
	}
	err := w.c.do(ctx, cs.applicant, "PUT", fmt.Sprintf("/api/v1/applications/%d/document", cs.appID),
		body.Bytes(), http.StatusOK, &out)
	if err != nil {
		return err
	}
	if out.Version != cs.version+1 {
		return fmt.Errorf("autosave: version %d after %d", out.Version, cs.version)
	}
	cs.version = out.Version
	return nil
}

func (w *workload) applicantPage(ctx context.Context, k, _ int) error {
	cs := w.clients[k]
	id := cs.orgApps[cs.rng.IntN(len(cs.orgApps))]
	return w.c.do(ctx, cs.applicant, "GET", fmt.Sprintf("/applications/%d", id), nil, http.StatusOK, nil)
}

func (w *workload) eligibility(ctx context.Context, k, _ int) error {
	cs := w.clients[k]
	id := cs.orgApps[cs.rng.IntN(len(cs.orgApps))]
	return w.c.do(ctx, cs.applicant, "GET", fmt.Sprintf("/api/v1/applications/%d/eligibility", id), nil, http.StatusOK, nil)
}

// reviewerList is a city reviewer's filtered list; one in four is the province's
// list of one city's recommendations.
func (w *workload) reviewerList(ctx context.Context, k, i int) error {
	cs := w.clients[k]
	if i%4 == 3 {
		return w.c.do(ctx, w.province, "GET", "/api/v1/applications?limit=50&state=at_province,city_recommended&city="+cs.city,
			nil, http.StatusOK, nil)
	}
	q := listQueries[(k+i)%len(listQueries)]
	path := "/api/v1/applications?limit=50"
	if q != "" {
		path += "&" + q
	}
	return w.c.do(ctx, cs.reviewer, "GET", path, nil, http.StatusOK, nil)
}

func (w *workload) reviewerView(ctx context.Context, k, _ int) error {
	cs := w.clients[k]
	id := cs.visible[cs.rng.IntN(len(cs.visible))]
	return w.c.do(ctx, cs.reviewer, "GET", fmt.Sprintf("/api/v1/applications/%d", id), nil, http.StatusOK, nil)
}

func (w *workload) formPDF(ctx context.Context, k, _ int) error {
	cs := w.clients[k]
	id := cs.visible[cs.rng.IntN(len(cs.visible))]
	return w.c.do(ctx, cs.reviewer, "GET", fmt.Sprintf("/api/v1/applications/%d/form.pdf", id), nil, http.StatusOK, nil)
}
