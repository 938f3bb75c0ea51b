package web

import (
	"encoding/json"
	"net/http/httptest"
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
