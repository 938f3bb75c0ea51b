package uscc

import (
	"strings"
	"testing"

	"biopilot"
)

func TestCheckChar(t *testing.T) {
	for _, tc := range []struct {
		first17 string
		want    byte
	}{
		{"91440606MA5ABCDE1", 'P'}, // the spec's example document
		{"91440300192203821", '6'}, // a published code (深圳, 1997 registration)
		{"91110000100000000", 'R'},
		{"91350100M00000000", '0'}, // check value 0
		{"11100000000013127", 'D'},
		{"92440101MA59XXXXX", '7'},
	} {
		got, err := CheckChar(tc.first17)
		if err != nil {
			t.Fatalf("CheckChar(%s): %v", tc.first17, err)
		}
		if got != tc.want {
			t.Errorf("CheckChar(%s) = %c, want %c", tc.first17, got, tc.want)
		}
	}
	for _, bad := range []string{"", "9144060", "91440606MA5ABCDE1P", "91440606MA5ABCDEI"} {
		if _, err := CheckChar(bad); biopilot.ErrorCode(err) != biopilot.EINVALID {
			t.Errorf("CheckChar(%q) err = %v, want EINVALID", bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		msg        []string // substrings of the message; nil when valid
	}{
		{"example", "91440606MA5ABCDE1P", nil},
		{"published", "914403001922038216", nil},
		{"check value zero", "91350100M000000000", nil},
		{"empty", "", []string{"为空"}},
		{"blank", "   ", []string{"为空"}},
		{"short", "91440606MA5ABCDE1", []string{"应为 18 位", "实际为 17 位"}},
		{"long", "91440606MA5ABCDE1PX", []string{"实际为 19 位"}},
		{"wrong check", "91440606MA5ABCDE1Q", []string{"校验位", "应为「P」", "实际为「Q」"}},
		{"wrong digit", "91440606MA5ABCDE2P", []string{"校验位", "应为「"}},
		{"letter I", "91440606MI5ABCDE1P", []string{"第 10 位「I」", "I、O、Z、S、V"}},
		{"letter O", "O1440606MA5ABCDE1P", []string{"第 1 位「O」"}},
		{"lower case", "91440606ma5ABCDE1P", []string{"第 9 位「m」应为大写字母「M」"}},
		{"punctuation", "91440606-A5ABCDE1P", []string{"第 9 位「-」无效"}},
		{"chinese", "91440606中A5ABCDE1P", []string{"第 9 位「中」无效"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.code)
			if tc.msg == nil {
				if err != nil {
					t.Fatalf("Validate(%s) = %v, want nil", tc.code, err)
				}
				return
			}
			e := biopilot.AsError(err)
			if e == nil || e.Code != biopilot.EINVALID {
				t.Fatalf("Validate(%q) = %v, want EINVALID", tc.code, err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(e.Message, m) {
					t.Errorf("message %q does not contain %q", e.Message, m)
				}
			}
		})
	}
}

// TestValidateEveryWrongCheckChar: of the 31 possible last characters exactly one
// is valid, and every other names it.
func TestValidateEveryWrongCheckChar(t *testing.T) {
	valid := 0
	for i := 0; i < len(Charset); i++ {
		code := "91440606MA5ABCDE1" + string(Charset[i])
		err := Validate(code)
		if err == nil {
			valid++
			continue
		}
		if !strings.Contains(biopilot.ErrorMessage(err), "应为「P」") {
			t.Errorf("%s: %v", code, err)
		}
	}
	if valid != 1 {
		t.Errorf("%d valid check characters, want 1", valid)
	}
}

func TestDivision(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"91440606MA5ABCDE1P", "440606"},
		{"914403001922038216", "440300"},
		{"9144060", ""},
		{"", ""},
	} {
		if got := Division(tc.code); got != tc.want {
			t.Errorf("Division(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}
