package web

// PUBLIC: the objection form's signed token and the client key of the rate limit.
// Both are HMAC-SHA256 under keys derived from the server's master key (the one
// that seals signing keys at rest, from configuration), each under its own label,
// so every instance of a scaled-out deployment makes and accepts the same ones and
// neither can be computed without the key.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/http"
	"time"

	"biopilot"
)

// Age limits of a form token: a person takes more than a few seconds to fill the
// form; a form left open longer than two hours is filled again.
const (
	formTokenMinAge = 3 * time.Second
	formTokenMaxAge = 2 * time.Hour
)

// formTokenVersion starts every token; formTokenLen is its decoded length:
// version(1) ‖ issued at, Unix ms(8) ‖ notice id(8) ‖ nonce(16) ‖ HMAC(32).
const (
	formTokenVersion = 1
	formTokenBody    = 1 + 8 + 8 + 16
	formTokenLen     = formTokenBody + sha256.Size
)

// derivedKey is HMAC-SHA256(master key, label): a key for one purpose.
func (s *Server) derivedKey(label string) []byte {
	m := hmac.New(sha256.New, s.masterKey[:])
	m.Write([]byte("biopilot/web/" + label + "/v1"))
	return m.Sum(nil)
}

// newFormToken makes the token of an objection form of notice noticeID shown at now.
func (s *Server) newFormToken(noticeID int64, now time.Time) string {
	b := make([]byte, formTokenBody, formTokenLen)
	b[0] = formTokenVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(now.UnixMilli()))
	binary.BigEndian.PutUint64(b[9:17], uint64(noticeID))
	if _, err := rand.Read(b[17:33]); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	m := hmac.New(sha256.New, s.derivedKey("objection-form"))
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(m.Sum(b))
}

// checkFormToken checks a form token's signature and age at now and returns its
// notice. It does not spend the token (formTokenKey names it for that).
func (s *Server) checkFormToken(tok string, now time.Time) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if tok == "" || err != nil || len(b) != formTokenLen || b[0] != formTokenVersion {
		return 0, biopilot.FieldErrorf("form_token", "表单已失效，请重新填写后提交")
	}
	m := hmac.New(sha256.New, s.derivedKey("objection-form"))
	m.Write(b[:formTokenBody])
	if !hmac.Equal(m.Sum(nil), b[formTokenBody:]) {
		return 0, biopilot.FieldErrorf("form_token", "表单已失效，请重新填写后提交")
	}
	issued := time.UnixMilli(int64(binary.BigEndian.Uint64(b[1:9])))
	switch age := now.Sub(issued); {
	case age < formTokenMinAge:
		return 0, &biopilot.Error{Code: biopilot.EBADREQUEST, Field: "form_token",
			Message: "提交过快：请核对填写的内容，稍候几秒再提交"}
	case age > formTokenMaxAge:
		return 0, biopilot.FieldErrorf("form_token", "表单打开已超过 2 小时，已失效：请核对内容后重新提交")
	}
	return int64(binary.BigEndian.Uint64(b[9:17])), nil
}

// formTokenKey is the key under which a spent token is recorded (the hash of the
// token, never the token itself).
func formTokenKey(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return "objection-token:" + hex.EncodeToString(sum[:])
}

// clientKey identifies the sender of a request for the rate limit: an HMAC of its
// address (an IPv6 address by its /64, which one subscriber usually holds whole),
// so the address itself is never stored.
func (s *Server) clientKey(r *http.Request) string {
	addr := s.clientAddr(r)
	if ip := net.ParseIP(addr); ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			addr = ip4.String()
		} else {
			addr = ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
		}
	}
	m := hmac.New(sha256.New, s.derivedKey("client"))
	m.Write([]byte(addr))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
