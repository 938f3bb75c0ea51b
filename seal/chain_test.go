package seal

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"biopilot"
)

func chain(t *testing.T, n int) []ChainRecord {
	t.Helper()
	var out []ChainRecord
	var prev *ChainRecord
	for i := 0; i < n; i++ {
		r, err := Append(prev, ChainRecord{
			Time:    t0.Add(time.Duration(i)*time.Minute + 123456789*time.Nanosecond),
			Actor:   fmt.Sprintf("user:%d 张三", i),
			Role:    "city_miit",
			Address: "10.0.0.1",
			Object:  "application:42",
			Action:  "recommend",
			Result:  "ok",
			Detail:  json.RawMessage(fmt.Sprintf(`{"n": %d, "意见": "同意"}`, i)),
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
		prev = &out[len(out)-1]
	}
	return out
}

func TestChain(t *testing.T) {
	recs := chain(t, 6)
	if recs[0].Seq != 1 || recs[0].PrevHash != "" || recs[5].Seq != 6 || recs[5].PrevHash != recs[4].Hash {
		t.Fatalf("Append did not link: %+v", recs[5])
	}
	if err := VerifyChain(recs); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	// A store that keeps microseconds and a different zone still verifies.
	stored := slices.Clone(recs)
	for i := range stored {
		stored[i].Time = stored[i].Time.Truncate(time.Microsecond).UTC()
	}
	if err := VerifyChain(stored); err != nil {
		t.Fatalf("after storing microseconds in UTC: %v", err)
	}
	if err := VerifyChain(nil); err != nil {
		t.Fatalf("empty chain: %v", err)
	}

	rehash := func(r *ChainRecord) { r.Hash, _ = r.ComputeHash() }
	tests := []struct {
		name string
		edit func([]ChainRecord) []ChainRecord
		seq  int64
		kind string
	}{
		{"edited action", func(r []ChainRecord) []ChainRecord { r[2].Action = "reject"; return r }, 3, "edited"},
		{"edited detail", func(r []ChainRecord) []ChainRecord {
			r[3].Detail = json.RawMessage(`{"n":3,"意见":"不同意"}`)
			return r
		}, 4, "edited"},
		{"edited time", func(r []ChainRecord) []ChainRecord { r[1].Time = r[1].Time.Add(time.Second); return r }, 2, "edited"},
		{"edited hash", func(r []ChainRecord) []ChainRecord { r[5].Hash = Hash(nil); return r }, 6, "edited"},
		{"edited and rehashed", func(r []ChainRecord) []ChainRecord { r[2].Result = "denied"; rehash(&r[2]); return r }, 4, "unlinked"},
		{"deleted middle", func(r []ChainRecord) []ChainRecord { return slices.Delete(r, 2, 3) }, 3, "missing"},
		{"deleted first", func(r []ChainRecord) []ChainRecord { return r[1:] }, 1, "missing"},
		{"deleted and renumbered", func(r []ChainRecord) []ChainRecord {
			r = slices.Delete(r, 2, 3)
			for i := 2; i < len(r); i++ {
				r[i].Seq--
				rehash(&r[i])
			}
			return r
		}, 3, "unlinked"},
		{"swapped", func(r []ChainRecord) []ChainRecord { r[2], r[3] = r[3], r[2]; return r }, 3, "reordered"},
		{"moved to end", func(r []ChainRecord) []ChainRecord { x := r[1]; r = slices.Delete(r, 1, 2); return append(r, x) }, 2, "reordered"},
		{"duplicated", func(r []ChainRecord) []ChainRecord { return slices.Insert(r, 3, r[2]) }, 3, "reordered"},
		{"forged first link", func(r []ChainRecord) []ChainRecord { r[0].PrevHash = Hash(nil); rehash(&r[0]); return r }, 1, "unlinked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyChain(tt.edit(chain(t, 6)))
			if err == nil {
				t.Fatal("VerifyChain accepted it")
			}
			e := biopilot.AsError(err)
			b, ok := e.Detail.(ChainBreak)
			if !ok || b.Seq != tt.seq || b.Kind != tt.kind {
				t.Fatalf("break = %+v (%s), want seq %d %s", e.Detail, e.Message, tt.seq, tt.kind)
			}
			if want := fmt.Sprintf("第 %d 条", tt.seq); len(e.Message) < len(want) || e.Message[:len(want)] != want {
				t.Fatalf("message %q does not start with %q", e.Message, want)
			}
		})
	}
}

func TestChainHash(t *testing.T) {
	a, _ := ChainHash("", map[string]any{"x": 1})
	b, _ := ChainHash("", map[string]any{"x": 1.0})
	c, _ := ChainHash(Hash(nil), map[string]any{"x": 1})
	if a != b {
		t.Error("1 and 1.0 hash differently")
	}
	if a == c {
		t.Error("the previous hash does not change the hash")
	}
	if want := Hash([]byte(`{"x":1}`)); a != want {
		t.Errorf("ChainHash = %s, want SM3 of the canonical record %s", a, want)
	}
}
