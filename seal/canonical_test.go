package seal

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestCanonical(t *testing.T) {
	type inner struct {
		Name  string  `json:"name"`
		Money float64 `json:"money_10k_yuan"`
		Skip  string  `json:"skip,omitempty"`
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		// Key order and white space.
		{"keys sorted", map[string]any{"b": 1, "a": 2, "aa": 3, "B": 4}, `{"B":4,"a":2,"aa":3,"b":1}`},
		{"nested raw", json.RawMessage(" { \"z\" : [ 1 , { \"y\":true, \"x\":null } ], \"a\" : \"\" } "), `{"a":"","z":[1,{"x":null,"y":true}]}`},
		{"struct through json tags", inner{Name: "佛山", Money: 2600}, `{"money_10k_yuan":2600,"name":"佛山"}`},
		{"nil pointer", (*inner)(nil), `null`},
		{"empty containers", map[string]any{"a": []any{}, "o": map[string]any{}}, `{"a":[],"o":{}}`},
		// RFC 8785 §3.2.3: sort by UTF-16 code units, so U+1F600 sorts before U+FB33.
		{"utf16 key order", json.RawMessage(`{"\u20ac":"Euro","\r":"CR","\ufb33":"Hebrew","1":"One","\ud83d\ude00":"Smiley","\u0080":"Control","\u00f6":"Latin"}`),
			"{\"\\r\":\"CR\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin\",\"€\":\"Euro\",\"😀\":\"Smiley\",\"\ufb33\":\"Hebrew\"}"},
		{"chinese keys by code point", map[string]any{"申请": 1, "单位": 2, "平台": 3}, `{"单位":2,"平台":3,"申请":1}`},
		// Numbers.
		{"2600 int", int64(2600), `2600`},
		{"2600 float", 2600.0, `2600`},
		{"2600.0 literal", json.Number("2600.0"), `2600`},
		{"2.6e3 literal", json.Number("2.6e3"), `2600`},
		{"2600.00 raw", json.RawMessage(`2600.00`), `2600`},
		{"26E+2", json.Number("26E+2"), `2600`},
		{"negative zero", json.Number("-0.0"), `0`},
		{"negative float zero", math.Copysign(0, -1), `0`},
		{"zero exponent", json.Number("0e10"), `0`},
		{"decimal", 0.5, `0.5`},
		{"money", json.Number("1234.5600"), `1234.56`},
		{"negative", json.Number("-12.50"), `-12.5`},
		{"int64 exact beyond 2^53", int64(9007199254740993), `9007199254740993`},
		{"literal exact beyond 2^53", json.Number("9007199254740993"), `9007199254740993`},
		{"max int64", int64(math.MaxInt64), `9223372036854775807`},
		{"max uint64", uint64(math.MaxUint64), `18446744073709551615`},
		{"1e20", json.Number("1e20"), `100000000000000000000`},
		{"1e21 exponent form", json.Number("1e21"), `1e+21`},
		{"1e-6 plain", json.Number("0.000001"), `0.000001`},
		{"1e-7 exponent form", json.Number("1e-7"), `1e-7`},
		{"small", 1.5e-10, `1.5e-10`},
		{"shortest round trip", func() float64 { a, b := 0.1, 0.2; return a + b }(), `0.30000000000000004`},
		{"float32", float32(0.5), `0.5`},
		{"large float", 1.2345678901234567e20, `123456789012345670000`},
		{"huge", 1e300, `1e+300`},
		// Strings.
		{"html not escaped", "<a href=\"x\">&</a>", `"<a href=\"x\">&</a>"`},
		{"controls", "a\tb\nc\rd\be\ff\x00g\x1fh\x7f", `"a\tb\nc\rd\be\ff\u0000g\u001fh` + "\x7f\""},
		{"backslash", `C:\dir`, `"C:\\dir"`},
		{"unicode literal", "生物制造 € 😀 \u2028\u2029", "\"生物制造 € 😀 \u2028\u2029\""},
		{"no NFC normalisation", "e\u0301 é", "\"e\u0301 é\""},
		{"raw escapes decoded", json.RawMessage(`"\u751f\/\u00e9"`), `"生/é"`},
		{"bool and null", []any{true, false, nil}, `[true,false,null]`},
		{"time through json", time.Date(2025, 6, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)), `"2025-06-01T09:30:00+08:00"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("Canonical = %s\n            want %s", got, tt.want)
			}
			// Canonical form is a fixed point.
			again, err := Canonical(json.RawMessage(got))
			if err != nil || string(again) != string(got) {
				t.Fatalf("re-encoding canonical %s gave %s, %v", got, again, err)
			}
		})
	}
}

func TestCanonicalErrors(t *testing.T) {
	tests := []struct {
		name string
		in   any
	}{
		{"NaN", math.NaN()},
		{"Inf", math.Inf(1)},
		{"duplicate key", json.RawMessage(`{"a":1,"a":2}`)},
		{"nested duplicate key", json.RawMessage(`[{"k":1,"k":1}]`)},
		{"trailing data", json.RawMessage(`{} {}`)},
		{"invalid json", json.RawMessage(`{"a":}`)},
		{"invalid utf-8 string", "a\xffb"},
		{"invalid utf-8 key", map[string]any{"\xff": 1}},
		{"number out of range", json.Number("1e400")},
		{"bad number", json.Number("01")},
		{"bad number 2", json.Number("1.")},
		{"bad number 3", json.Number("1e")},
		{"channel", make(chan int)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, err := Canonical(tt.in); err == nil {
				t.Fatalf("Canonical succeeded: %s", b)
			}
		})
	}
}

// TestCanonicalGolden pins the encoding of a whole application document: any change
// to the encoding would invalidate every signature ever made.
func TestCanonicalGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "application.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Canonical(json.RawMessage(in))
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	hash := Hash(got[:len(got)-1]) + "\n"
	golden := filepath.Join("testdata", "application.canonical.json")
	goldenHash := filepath.Join("testdata", "application.canonical.sm3")
	if *update {
		os.WriteFile(golden, got, 0o644)
		os.WriteFile(goldenHash, []byte(hash), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("canonical encoding changed:\n got %s\nwant %s", got, want)
	}
	wantHash, err := os.ReadFile(goldenHash)
	if err != nil {
		t.Fatal(err)
	}
	if hash != string(wantHash) {
		t.Errorf("SM3 = %s, want %s", hash, wantHash)
	}
	if strings.ContainsAny(string(got[:len(got)-1]), "\n\t") {
		t.Error("canonical encoding holds white space between tokens")
	}
}

func TestHash(t *testing.T) {
	// GB/T 32905-2016 example 1: SM3("abc").
	if got := Hash([]byte("abc")); got != "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" {
		t.Fatalf("SM3(abc) = %s", got)
	}
}
