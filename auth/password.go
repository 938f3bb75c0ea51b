// Package auth holds the credentials of the system: argon2id password hashes in the
// PHC string format, the password policy, and random tokens with their hashes.
// It knows nothing of HTTP or SQL.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"

	"biopilot"
)

// Params are the argon2id cost parameters. They are passed in, never set globally:
// the server uses DefaultParams, tests a cheaper value of their own.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are sane for a 2-core server: 64 MiB, one pass, two lanes
// (RFC 9106's second recommended option, ~50–100 ms per hash). It is read, never
// assigned: callers wanting other costs pass their own Params value.
var DefaultParams = Params{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}

// HashPassword hashes a password with argon2id and a fresh random salt and returns
// the PHC string: $argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash> (base64, no padding).
func HashPassword(password string, p Params) (string, error) {
	if p.Memory < 8*uint32(p.Threads) || p.Time < 1 || p.Threads < 1 || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("auth: argon2id parameters too weak: %+v", p)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches a PHC string made by HashPassword,
// comparing in constant time. A malformed hash is an error, never a match.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether a stored hash was made with parameters other than p
// (so that a successful login may upgrade it).
func NeedsRehash(encoded string, p Params) bool {
	q, salt, key, err := decodeHash(encoded)
	if err != nil {
		return true
	}
	return q.Memory != p.Memory || q.Time != p.Time || q.Threads != p.Threads ||
		uint32(len(salt)) != p.SaltLen || uint32(len(key)) != p.KeyLen
}

func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("auth: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("auth: unsupported argon2 version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("auth: bad argon2id parameters %q", parts[3])
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 4*1024*1024 || p.Time > 100 {
		return p, nil, nil, fmt.Errorf("auth: argon2id parameters out of range %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) == 0 {
		return p, nil, nil, fmt.Errorf("auth: bad salt")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, fmt.Errorf("auth: bad hash")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// MinPasswordLength is the policy's minimum length in characters.
const MinPasswordLength = 10

// CheckPasswordPolicy checks a new password: at least MinPasswordLength characters,
// at least three of upper case, lower case, digits and symbols, and not containing
// the username. It returns an EINVALID *biopilot.Error about the field 密码
// (key "password").
func CheckPasswordPolicy(pw, username string) error {
	bad := func(msg string) error {
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "password", Message: msg,
			Fields: []biopilot.FieldError{{Field: "password", Message: msg}}}
	}
	n := 0
	var upper, lower, digit, symbol bool
	for _, r := range pw {
		n++
		switch {
		case unicode.IsSpace(r) && r != ' ' || unicode.IsControl(r):
			return bad("密码不能包含换行、制表符等控制字符")
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	if n < MinPasswordLength {
		return bad(fmt.Sprintf("密码至少需要 %d 个字符，当前为 %d 个", MinPasswordLength, n))
	}
	if n > 128 {
		return bad("密码不能超过 128 个字符")
	}
	kinds := 0
	for _, b := range []bool{upper, lower, digit, symbol} {
		if b {
			kinds++
		}
	}
	if kinds < 3 {
		return bad("密码须至少包含大写字母、小写字母、数字、符号中的三类")
	}
	if u := strings.TrimSpace(username); u != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(u)) {
		return bad("密码不能包含用户名")
	}
	return nil
}

// NewToken returns a random 32-byte token, base64url-encoded without padding
// (43 characters): session cookies and CSRF tokens.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the SHA-256 of a token in hex: what the database stores in
// place of the token, so that a leaked table yields no usable session.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokensEqual compares two tokens in constant time; empty tokens never match.
func TokensEqual(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// NewInitialPassword returns a random one-time password that satisfies the policy
// (for accounts created by an administrator; the user must change it). It avoids
// characters that are easily confused (0/O, 1/l/I).
func NewInitialPassword() (string, error) {
	const (
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower  = "abcdefghijkmnopqrstuvwxyz"
		digits = "23456789"
		symbol = "#%+=@"
	)
	sets := []string{upper, lower, digits, upper, lower, digits, symbol, upper, lower, digits, lower, digits}
	b := make([]byte, len(sets))
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	out := make([]byte, len(sets))
	for i, set := range sets {
		out[i] = set[int(b[i])%len(set)]
	}
	return string(out), nil
}
