package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"biopilot"
	"biopilot/program"
	"biopilot/render"
	"biopilot/seal"
)

const examplePath = "../../shared/spec/examples/eligible-enzymes.json"

var t0 = time.Date(2025, 7, 1, 10, 0, 0, 0, biopilot.Beijing)

var (
	rendererOnce sync.Once
	testRenderer *render.Renderer
	rendererErr  error
)

func renderer(t testing.TB) *render.Renderer {
	t.Helper()
	rendererOnce.Do(func() { testRenderer, rendererErr = render.New() })
	if rendererErr != nil {
		t.Fatal(rendererErr)
	}
	return testRenderer
}

func mustKey(t testing.TB) *seal.Key {
	t.Helper()
	k, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// blobs is an in-memory evidence store.
type blobs map[string][]byte

func (b blobs) put(data []byte) string {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	b[h] = data
	return h
}

func (b blobs) open(_ context.Context, sum string) (io.ReadCloser, error) {
	d, ok := b[sum]
	if !ok {
		return nil, biopilot.Errorf(biopilot.ENOTFOUND, "no blob %s", sum)
	}
	return io.NopCloser(bytes.NewReader(d)), nil
}

// fixture is a submitted application recommended by both city authorities.
type fixture struct {
	p               *program.Program
	org, miit, drc  *seal.Key
	app             Application
	blobs           blobs
	exporter        seal.Sealer
	evidenceLicense string // its path in the package
}

// newFixture builds application id in city with its transitions sealed like the
// web layer seals them.
func newFixture(t testing.TB, id int64, city string, keys ...*seal.Key) *fixture {
	t.Helper()
	f := &fixture{p: program.MustDefault(), blobs: blobs{}}
	if len(keys) == 3 {
		f.org, f.miit, f.drc = keys[0], keys[1], keys[2]
	} else {
		f.org, f.miit, f.drc = mustKey(t), mustKey(t), mustKey(t)
	}
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Form.DecodeDocument(data); err != nil {
		t.Fatal(err)
	}
	canon, err := seal.Canonical(json.RawMessage(data))
	if err != nil {
		t.Fatal(err)
	}
	hash := seal.Hash(canon)
	app := &biopilot.Application{ID: id, ProgramID: f.p.ID, OrgID: 7, CityCode: city,
		State: biopilot.StateCityRecommended, Snapshot: data, SnapshotHash: hash,
		OrgName: "广东示例酶工程有限公司", PlatformName: "示例酶制剂与食品配料中试平台",
		Domains: []string{"enzymes"}}
	lic := f.blobs.put([]byte("%PDF-1.4\n营业执照扫描件\n%%EOF\n"))
	site := f.blobs.put(bytes.Repeat([]byte("场地照片"), 5000))
	ev := []Evidence{
		{SHA256: lic, Filename: "营业执照.pdf", Category: "license"},
		{SHA256: site, Filename: "../../site: photo 1.jpg", Category: "site"},
		{SHA256: site, Filename: "../../site: photo 1.jpg", Category: "site"}, // listed twice
	}
	// transitions sealed as web.transition seals them: the payload is Data
	// without "signature"
	var ts []*biopilot.Transition
	var prev *seal.Signature
	step := func(key *seal.Key, purpose string, role biopilot.Role, holder string, at time.Time, from, to biopilot.State, extra map[string]any, previous *seal.Signature) *seal.Signature {
		t.Helper()
		data := map[string]any{"action": purpose, "application_id": id, "from": string(from), "to": string(to),
			"reason": "", "snapshot_hash": hash}
		for k, v := range extra {
			data[k] = v
		}
		sig, err := seal.SignPayload(key, data, seal.SignMeta{Purpose: purpose, Signer: "经办人", Role: role,
			Holder: holder, SignedAt: at, Previous: previous})
		if err != nil {
			t.Fatal(err)
		}
		data["signature"] = sig
		raw, _ := json.Marshal(data)
		ts = append(ts, &biopilot.Transition{ID: int64(len(ts) + 1), ApplicationID: id, From: from, To: to,
			ActorRole: role, Data: raw, At: at})
		return sig
	}
	step(f.org, seal.PurposeSubmit, biopilot.RoleApplicant, app.OrgName, t0, biopilot.StateDraft, biopilot.StateSubmitted, nil, nil)
	checks := map[string]any{"authenticity": true, "completeness": true, "validity": true}
	prev = step(f.miit, seal.PurposeRecommend, biopilot.RoleCityMIIT, "佛山市工业和信息化局", t0.Add(time.Hour),
		biopilot.StateSubmitted, biopilot.StateCityProposed, map[string]any{"checks": checks, "opinion": "同意推荐。"}, nil)
	step(f.drc, seal.PurposeRecommend, biopilot.RoleCityDRC, "佛山市发展和改革局", t0.Add(2*time.Hour),
		biopilot.StateCityProposed, biopilot.StateCityRecommended, map[string]any{"proposal": map[string]any{"transition_id": 2}}, prev)
	// a transition without a seal
	ts = append(ts, &biopilot.Transition{ID: 99, ApplicationID: id, From: biopilot.StateCityRecommended,
		To: biopilot.StateCityRecommended, Data: json.RawMessage(`{"action":"note"}`), At: t0.Add(3 * time.Hour)})
	f.app = Application{App: app, Transitions: ts, Evidence: ev,
		Meta: render.Meta{Seals: []render.Seal{{Holder: app.OrgName, Signer: "陈立新", SignedAt: t0}}}}
	f.exporter = seal.Sealer{Key: f.miit, Meta: seal.SignMeta{Signer: "导出人", Role: biopilot.RoleCityMIIT,
		Holder: "佛山市工业和信息化局", SignedAt: t0.Add(24 * time.Hour)}}
	f.evidenceLicense = EvidencePath(Number(f.p, app), ev[0])
	return f
}

func (f *fixture) input(t testing.TB) AppInput {
	return AppInput{Program: f.p, Renderer: renderer(t), Application: f.app, Open: f.blobs.open,
		Sealers: []seal.Sealer{f.exporter}, At: t0.Add(24 * time.Hour)}
}

// genReader yields n deterministic pseudo-random bytes, generated on the fly.
type genReader struct {
	n, done int64
	x       uint64
	tick    func()
}

func newGen(n int64, seed uint64, tick func()) *genReader {
	return &genReader{n: n, x: seed | 1, tick: tick}
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.done >= g.n {
		return 0, io.EOF
	}
	if rest := g.n - g.done; int64(len(p)) > rest {
		p = p[:rest]
	}
	var w [8]byte
	for i := 0; i < len(p); i += 8 {
		g.x ^= g.x << 13
		g.x ^= g.x >> 7
		g.x ^= g.x << 17
		binary.LittleEndian.PutUint64(w[:], g.x)
		copy(p[i:], w[:])
	}
	before := g.done
	g.done += int64(len(p))
	if g.tick != nil && before>>22 != g.done>>22 { // every 4 MiB
		g.tick()
	}
	return len(p), nil
}

func (g *genReader) Close() error { return nil }

// genSum is the SHA-256 of a generated stream.
func genSum(t testing.TB, n int64, seed uint64) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, newGen(n, seed, nil)); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// heapWatch records the largest HeapInuse seen.
type heapWatch struct {
	mu  sync.Mutex
	max uint64
}

func (h *heapWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.mu.Lock()
	h.max = max(h.max, ms.HeapInuse)
	h.mu.Unlock()
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
