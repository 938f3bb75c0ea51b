package auth

import (
	"strings"
	"testing"

	"biopilot"
)

// testParams are cheap: tests must be fast, and the parameters are stored in the
// hash, so verification uses them too.
var testParams = Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("Correct-Horse-9", testParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=256,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with the given parameters", h)
	}
	if ok, err := VerifyPassword(h, "Correct-Horse-9"); err != nil || !ok {
		t.Errorf("right password: ok=%v err=%v", ok, err)
	}
	if ok, err := VerifyPassword(h, "correct-horse-9"); err != nil || ok {
		t.Errorf("wrong password: ok=%v err=%v", ok, err)
	}
	h2, _ := HashPassword("Correct-Horse-9", testParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

func TestDefaultParamsHash(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB hash")
	}
	h, err := HashPassword("Correct-Horse-9", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("hash = %q", h)
	}
	if NeedsRehash(h, DefaultParams) {
		t.Error("NeedsRehash of a default hash")
	}
	if !NeedsRehash(h, testParams) {
		t.Error("NeedsRehash with other params is false")
	}
}

func TestVerifyMalformed(t *testing.T) {
	good, _ := HashPassword("x", testParams)
	parts := strings.Split(good, "$")
	for _, h := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=256,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=256,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=0,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=256,t=1,p=1$!!!$" + parts[5],
		"$argon2id$v=19$m=256,t=1,p=1$" + parts[4] + "$abc",
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
	} {
		if ok, err := VerifyPassword(h, "x"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want false and an error", h, ok, err)
		}
	}
}

func TestHashRefusesWeakParams(t *testing.T) {
	if _, err := HashPassword("x", Params{Memory: 256, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32}); err == nil {
		t.Error("short salt accepted")
	}
	if _, err := HashPassword("x", Params{}); err == nil {
		t.Error("zero params accepted")
	}
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		pw, user string
		want     string // "" = ok, else a fragment of the message
	}{
		{"Abcdef1234", "zhang", ""},
		{"abcdef12#$", "zhang", ""},
		{"ABCDEF12#$", "zhang", ""},
		{"密码Abc12345", "zhang", ""},
		{"Abc12345", "zhang", "至少需要 10 个字符"},
		{"abcdefghij", "zhang", "三类"},
		{"abcdef1234", "zhang", "三类"},
		{"Zhang12345!", "zhang", "不能包含用户名"},
		{"xxZHANGxx1!", "Zhang", "不能包含用户名"},
		{"Abc12345\t!", "zhang", "控制字符"},
		{strings.Repeat("Aa1!", 33), "zhang", "128"},
	} {
		err := CheckPasswordPolicy(tc.pw, tc.user)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.pw, err)
			}
			continue
		}
		e := biopilot.AsError(err)
		if e == nil || e.Code != biopilot.EINVALID || e.Field != "password" {
			t.Errorf("%q: err = %#v, want EINVALID on field password", tc.pw, err)
			continue
		}
		if !strings.Contains(e.Message, tc.want) || !strings.Contains(e.Message, "密码") {
			t.Errorf("%q: message %q lacks %q or 密码", tc.pw, e.Message, tc.want)
		}
	}
}

func TestTokens(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if len(a) != 43 || a == b {
		t.Errorf("tokens %q %q", a, b)
	}
	if h := HashToken(a); len(h) != 64 || h == HashToken(b) || h != HashToken(a) {
		t.Errorf("HashToken = %q", h)
	}
	// SHA-256("abc")
	if got := HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("HashToken(abc) = %s", got)
	}
	if !TokensEqual(a, a) || TokensEqual(a, b) || TokensEqual("", "") {
		t.Error("TokensEqual")
	}
}

func TestInitialPasswordSatisfiesPolicy(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		pw, err := NewInitialPassword()
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckPasswordPolicy(pw, "someone"); err != nil {
			t.Fatalf("%q: %v", pw, err)
		}
		seen[pw] = true
	}
	if len(seen) < 195 {
		t.Errorf("only %d distinct initial passwords of 200", len(seen))
	}
}
