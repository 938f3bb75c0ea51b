package web

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestEditorMoveRowsWithoutScript: the 上移/下移 buttons of a table row are plain
// form posts; the section is saved with the rows in their new order, and the
// editor comes back at the table.
func TestEditorMoveRowsWithoutScript(t *testing.T) {
	f := newFixture(t)
	a := f.as("applicantA")
	path := idPath("/applications/%d/edit", f.appDraft.ID)
	// Three contracts, posted as the page's form carries them (plus the blank row):
	// each case posts 甲 乙 丙 and a move.
	form := func(version string, names []string, move string) url.Values {
		v := url.Values{"section": {"content"}, "base_version": {version},
			"__present": {"market.contracts"}, "__rows.market.contracts": {"4"}}
		for i, n := range names {
			p := "market.contracts[" + string(rune('0'+i)) + "]."
			v.Set(p+"client", n)
			v.Set(p+"title", n+"的合同")
		}
		if move != "" {
			v.Set("__move", move)
		}
		return v
	}
	clients := func() []string {
		t.Helper()
		app, err := f.db.Application(context.Background(), f.appDraft.ID)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Market struct {
				Contracts []struct {
					Client string `json:"client"`
					Title  string `json:"title"`
				} `json:"contracts"`
			} `json:"market"`
		}
		if err := json.Unmarshal(app.Document, &doc); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range doc.Market.Contracts {
			if c.Title != c.Client+"的合同" {
				t.Errorf("row split: %+v", c)
			}
			out = append(out, c.Client)
		}
		return out
	}
	w := a.do("POST", path, form("1", []string{"甲", "乙", "丙"}, ""))
	wantStatus(t, w, 303)
	tests := []struct {
		name, version, move string
		want                string
	}{
		{"second row up", "2", "market.contracts|1|up", "乙 甲 丙"},
		{"first row down", "3", "market.contracts|0|down", "乙 甲 丙"},
		{"last row down: nothing moves", "4", "market.contracts|2|down", "甲 乙 丙"},
		{"first row up: nothing moves", "5", "market.contracts|0|up", "甲 乙 丙"},
		{"third row up", "6", "market.contracts|2|up", "甲 丙 乙"},
		{"a table of another section is ignored", "7", "goals.targets|1|up", "甲 乙 丙"},
		{"a row out of range is ignored", "8", "market.contracts|9|up", "甲 乙 丙"},
		{"nonsense is ignored", "9", "market.contracts|x|sideways", "甲 乙 丙"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := a.do("POST", path, form(tt.version, []string{"甲", "乙", "丙"}, tt.move))
			wantStatus(t, w, 303)
			loc := w.Header().Get("Location")
			if tt.want != "甲 乙 丙" && !strings.HasSuffix(loc, "#field-market.contracts") {
				t.Errorf("redirect %q does not come back to the table", loc)
			}
			if got := strings.Join(clients(), " "); got != tt.want {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
		})
	}
	// The editor offers the buttons on every filled row, not on the blank one.
	w = a.do("GET", path+"?section=content", nil)
	wantStatus(t, w, 200)
	body := w.Body.String()
	for _, want := range []string{`value="market.contracts|0|up"`, `value="market.contracts|2|down"`, "上移", "下移"} {
		if !strings.Contains(body, want) {
			t.Errorf("editor lacks %s", want)
		}
	}
	if strings.Contains(body, `value="market.contracts|3|up"`) {
		t.Error("the blank row has move buttons")
	}
}
