package web

import (
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCompactEscaped(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{`{"a":1,"b":[true,null,"x y"]}`, true},
		{`{"a": 1}`, false},
		{"{\"a\":1}\n", false},
		{`{"a":"<b>"}`, false},
		{`{"a":"R&D"}`, false},
		{`{"a":"\u003cb\u003e"}`, true},
		{"{\"a\":\"\u2028\"}", false},
		{`{"a":"引号\"内 空格"}`, true},
		{`{"a":"\\"}`, true},
		{`{"a":"\\" }`, false},
		{`"open`, false},
	} {
		if got := compactEscaped([]byte(c.in)); got != c.want {
			t.Errorf("compactEscaped(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestWriteAppJSONSameAsWriteJSON checks that the fast path writes what writeJSON
// writes, for documents it copies and for those it leaves to writeJSON.
func TestWriteAppJSONSameAsWriteJSON(t *testing.T) {
	docs := []string{
		`{"platform":{"name":"酶工程中试平台"},"domains":["enzymes"],"n":1.5}`,
		`{"a": "spaced"}`,
		`{"a":"<script>&"}`,
		`null`,
		``,
	}
	for _, doc := range docs {
		a := appJSON{ID: 7, ProgramID: "gd-2025", OrgName: "单位<甲>", Domains: []string{"x"},
			State: "draft", Source: "draft", Document: json.RawMessage(doc)}
		want := httptest.NewRecorder()
		writeJSON(want, 200, a)
		got := httptest.NewRecorder()
		writeAppJSON(got, 200, a)
		if got.Body.String() != want.Body.String() {
			t.Errorf("document %q:\n got %s\nwant %s", doc, got.Body, want.Body)
		}
		if got.Code != 200 || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("document %q: status %d, content type %q", doc, got.Code, got.Header().Get("Content-Type"))
		}
	}
}

// TestAppendJSONStringSameAsEncodingJSON compares the string encoder with
// encoding/json on awkward and random strings.
func TestAppendJSONStringSameAsEncodingJSON(t *testing.T) {
	cases := []string{"", "普通文字", "a\"b\\c", "\b\f\n\r\t\x00\x01\x1f\x7f", "<script>&</script>",
		"\u2028\u2029", "bad \xff utf-8 \xe4\xb8", "emoji 😀", "'quote'", "a+b=c"}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "中", "\"", "\\", "<", ">", "&", "\n", "\x00", "\x1f", "\u2028", "\u2029", "\xff", "\xe4", "😀", " "}
	for i := 0; i < 2000; i++ {
		var b strings.Builder
		for j := rng.IntN(12); j > 0; j-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

// TestWriteAppListSameAsWriteJSON checks the list answer against writeJSON.
func TestWriteAppListSameAsWriteJSON(t *testing.T) {
	full := appJSON{ID: 12, ProgramID: "gd-2025", OrgID: 3, OrgName: "单位<甲>&\"乙\"", CityCode: "440100",
		CityName: "广州市", State: "submitted", StateLabel: "已提交", Version: 4, PlatformName: "平台\n名",
		Domains: []string{"enzymes", "food"}, Verdict: "eligible", VerdictLabel: "符合申报条件",
		SnapshotHash: "abc", CreatedAt: "2026-01-01T08:00:00+08:00", UpdatedAt: "2026-01-02T08:00:00+08:00",
		SubmittedAt: "2026-01-03T08:00:00+08:00", Source: "snapshot"}
	bare := appJSON{ID: 1, Domains: []string{}}
	for _, c := range []struct {
		name                 string
		items                []appJSON
		total, limit, offset int
	}{
		{"empty", []appJSON{}, 0, 50, 0},
		{"two", []appJSON{full, bare}, 120, 50, 50},
		{"nil domains", []appJSON{{ID: 2}}, 1, 10, 0},
		{"with document", []appJSON{{ID: 3, Domains: []string{}, Document: json.RawMessage(`{"a":1}`)}}, 1, 50, 0},
	} {
		want := httptest.NewRecorder()
		writeJSON(want, 200, map[string]any{"items": c.items, "total": c.total, "limit": c.limit, "offset": c.offset})
		got := httptest.NewRecorder()
		writeAppList(got, c.items, c.total, c.limit, c.offset)
		if got.Body.String() != want.Body.String() {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got.Body, want.Body)
		}
		if got.Code != 200 || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%s: status %d, content type %q", c.name, got.Code, got.Header().Get("Content-Type"))
		}
	}
}
