package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"biopilot"
	"biopilot/auth"
	"biopilot/files"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/store/storetest"
	"biopilot/web"
)

// cheap are argon2id costs for tests.
var cheap = auth.Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// seeded is a fresh SQLite database with Seed and SeedReview run as the demo
// command runs them.
type seeded struct {
	db       *store.DB
	prog     *program.Program
	srv      *web.Server
	deps     ReviewDeps
	accounts []Account
}

func seed(t *testing.T) *seeded {
	t.Helper()
	return seedProgram(t, program.MustDefault(), false)
}

// seedProgram seeds the demo of base as the demo command does; withNational adds
// SeedNational (for a national program).
func seedProgram(t *testing.T, base *program.Program, withNational bool) *seeded {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	now := time.Now()
	prog, err := base.WithDeadlines(Deadlines(now, base.Location()))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := rules.Compile(prog)
	if err != nil {
		t.Fatal(err)
	}
	hash := func(pw string) (string, error) { return auth.HashPassword(pw, cheap) }
	accounts, err := Seed(ctx, db, prog, eng, now, hash)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := files.Open(ctx, files.DirURL(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	mk, err := seal.ParseMasterKey("00112233445566778899aabbccddeeff")
	if err != nil {
		t.Fatal(err)
	}
	srv := web.NewServer(web.DefaultConfig(), web.Deps{DB: db, Program: prog, Rules: eng, Files: fs, MasterKey: mk})
	deps := ReviewDeps{DB: db, Program: prog, Rules: eng, Files: fs, Workflow: srv, Hash: hash}
	more, err := SeedReview(ctx, deps)
	if err != nil {
		t.Fatal(err)
	}
	accounts = append(accounts, more...)
	if withNational {
		more, err := SeedNational(ctx, deps)
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, more...)
	}
	return &seeded{db: db, prog: prog, srv: srv, deps: deps, accounts: accounts}
}

// TestSeedReview: the walk-through puts an application in every review state the
// demo accounts need, every seal verifies, and the audit chain is whole.
func TestSeedReview(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	apps, _, err := s.db.Applications(ctx, store.ApplicationFilter{ProgramID: s.prog.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]*biopilot.Application{}
	for _, a := range apps {
		have[string(a.State)+"@"+a.CityCode] = a
	}
	for _, want := range []string{"submitted@440100", "submitted@440600", "returned@440100",
		"city_proposed@440100", "at_province@440600"} {
		if have[want] == nil {
			t.Errorf("no application %s; have %v", want, keys(have))
		}
	}

	sealsChecked := 0
	for _, a := range apps {
		if a.State == biopilot.StateDraft {
			continue
		}
		a, err := s.db.Application(ctx, a.ID) // the list leaves the snapshot out
		if err != nil {
			t.Fatal(err)
		}
		if len(a.SnapshotHash) != 64 || len(a.Snapshot) == 0 {
			t.Errorf("application %d (%s): no snapshot", a.ID, a.State)
		}
		ts, err := s.db.Transitions(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			p, sig, err := web.SignedPayload(tr.Data)
			if err != nil {
				t.Fatalf("application %d transition %d: %v", a.ID, tr.ID, err)
			}
			if letter, ok := p["letter"]; ok {
				sealsChecked += verifyLetter(t, letter, p["letter_signatures"])
				continue
			}
			if sig == nil {
				t.Errorf("application %d: transition %s→%s is not sealed", a.ID, tr.From, tr.To)
				continue
			}
			if err := seal.VerifyPayload(sig, p); err != nil {
				t.Errorf("application %d: seal of %s→%s: %v", a.ID, tr.From, tr.To, err)
			}
			if tr.To == biopilot.StateSubmitted && p["snapshot_hash"] != a.SnapshotHash {
				t.Errorf("application %d: the applicant's seal covers %v, the snapshot is %s", a.ID, p["snapshot_hash"], a.SnapshotHash)
			}
			if tr.To == biopilot.StateReturned {
				frs, _ := p["field_reasons"].([]any)
				if len(frs) != 3 || tr.Reason == "" {
					t.Errorf("the return carries %d field reasons, reason %q", len(frs), tr.Reason)
				}
			}
			sealsChecked++
		}
	}
	if sealsChecked < 10 {
		t.Errorf("only %d seals checked", sealsChecked)
	}

	// 佛山's letter was sent with three seals (fs-miit, fs-drc, the sending seal).
	recs, err := s.db.Recommendations(ctx, s.prog.ID, store.LevelCity, "440600")
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, r := range recs {
		if r.State == store.RecSent {
			sent++
			var sigs []*seal.Signature
			if err := json.Unmarshal(r.Signatures, &sigs); err != nil || len(sigs) != 3 {
				t.Errorf("sent letter %d: %d seals %v", r.ID, len(sigs), err)
			}
		}
	}
	if sent != 1 {
		t.Errorf("佛山 sent %d letters, want 1", sent)
	}

	// The audit trail recorded every step and its chain verifies.
	var chain []seal.ChainRecord
	if err := s.db.EachAudit(ctx, func(r *seal.ChainRecord) error { chain = append(chain, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(chain) < 10 {
		t.Errorf("only %d audit records", len(chain))
	}
	if err := seal.VerifyChain(chain); err != nil {
		t.Errorf("audit chain: %v", err)
	}

	// The new applicants can log in with the demo password.
	for _, name := range []string{"gz-synbio", "fs-ferment", "gz-biomat", "gz-enzyme", "fs-food"} {
		u, err := s.db.UserByUsername(ctx, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ok, _ := auth.VerifyPassword(u.PasswordHash, Password); !ok {
			t.Errorf("%s: the demo password does not verify", name)
		}
	}
}

// verifyLetter checks the seals of a letter carried by a city_send transition:
// each signs the letter and follows the one before. It returns how many.
func verifyLetter(t *testing.T, letter, sigs any) int {
	t.Helper()
	var list []*seal.Signature
	b, _ := json.Marshal(sigs)
	if err := json.Unmarshal(b, &list); err != nil || len(list) != 3 {
		t.Errorf("letter seals: %d %v", len(list), err)
		return 0
	}
	for i, sg := range list {
		if err := seal.VerifyPayload(sg, letter); err != nil {
			t.Errorf("letter seal %d (%s): %v", i, sg.Label(), err)
		}
		if i > 0 && sg.Previous != list[i-1].Digest {
			t.Errorf("letter seal %d does not follow seal %d", i, i-1)
		}
	}
	return len(list)
}

func keys(m map[string]*biopilot.Application) []string {
	var out []string
	for k := range m {
		out = append(out, fmt.Sprint(k))
	}
	return out
}
