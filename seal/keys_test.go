package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"biopilot"
)

func mustKey(t testing.TB) *Key {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseMasterKey(t *testing.T) {
	raw16 := []byte("0123456789abcdef")
	raw32 := []byte("0123456789abcdef0123456789ABCDEF")
	tests := []struct {
		name, in string
		want     []byte // nil: error expected; raw32 inputs are derived, checked separately
		derived  bool
	}{
		{"hex 16", hex.EncodeToString(raw16), raw16, false},
		{"hex 16 upper with spaces", "  " + strings.ToUpper(hex.EncodeToString(raw16)) + "\n", raw16, false},
		{"base64 16", base64.StdEncoding.EncodeToString(raw16), raw16, false},
		{"base64url raw 16", base64.RawURLEncoding.EncodeToString(raw16), raw16, false},
		{"hex 32", hex.EncodeToString(raw32), nil, true},
		{"base64 32", base64.StdEncoding.EncodeToString(raw32), nil, true},
		{"empty", "", nil, false},
		{"too short", "00112233", nil, false},
		{"24 bytes", hex.EncodeToString(make([]byte, 24)), nil, false},
		{"not hex nor base64", "这不是密钥这不是密钥这不是密钥这不是密钥", nil, false},
		{"all zero", strings.Repeat("00", 16), nil, false},
	}
	var derived []MasterKey
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mk, err := ParseMasterKey(tt.in)
			switch {
			case tt.derived:
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(mk[:], raw32[:16]) {
					t.Fatal("a 32-byte secret must be derived, not truncated")
				}
				derived = append(derived, mk)
			case tt.want == nil:
				if err == nil {
					t.Fatalf("ParseMasterKey(%q) succeeded", tt.in)
				}
				e := biopilot.AsError(err)
				if e == nil || e.Code != biopilot.EINVALID || e.Field != "master_key" || !strings.Contains(e.Message, "主密钥") {
					t.Fatalf("error = %#v, want EINVALID naming master_key in Chinese", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(mk[:], tt.want) {
					t.Fatalf("key = %x, want %x", mk, tt.want)
				}
			}
		})
	}
	if len(derived) == 2 && derived[0] != derived[1] {
		t.Error("hex and base64 of the same 32-byte secret derive different keys")
	}
}

func TestKeySealOpen(t *testing.T) {
	k := mustKey(t)
	mk, _ := ParseMasterKey("00112233445566778899aabbccddeeff")
	blob, err := k.Seal(mk)
	if err != nil {
		t.Fatal(err)
	}
	if len(blob) != 64 || string(blob[:3]) != "BPK" || blob[3] != 1 {
		t.Fatalf("sealed key = %x: want 64 bytes starting BPK 01", blob)
	}
	d := k.priv.D.FillBytes(make([]byte, 32))
	if bytes.Contains(blob, d) {
		t.Fatal("the sealed blob holds the private scalar in clear")
	}
	blob2, _ := k.Seal(mk)
	if bytes.Equal(blob, blob2) {
		t.Fatal("two seals of one key are identical: the nonce is not random")
	}

	k2, err := OpenKey(mk, blob)
	if err != nil {
		t.Fatal(err)
	}
	if k2.PublicPEM() != k.PublicPEM() || !k2.priv.Equal(k.priv) {
		t.Fatal("opened key differs from the sealed one")
	}

	other, _ := ParseMasterKey("ffeeddccbbaa99887766554433221100")
	tamper := func(i int) []byte {
		b := bytes.Clone(blob)
		b[i] ^= 0x01
		return b
	}
	bad := []struct {
		name string
		mk   MasterKey
		blob []byte
		msg  string
	}{
		{"wrong master key", other, blob, "主密钥错误"},
		{"flipped ciphertext", mk, tamper(20), "篡改"},
		{"flipped tag", mk, tamper(63), "篡改"},
		{"flipped nonce", mk, tamper(5), "篡改"},
		{"flipped version", mk, tamper(3), "版本"},
		{"flipped magic", mk, tamper(0), "格式无效"},
		{"truncated", mk, blob[:40], "长度"},
		{"empty", mk, nil, "格式无效"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenKey(tt.mk, tt.blob)
			if err == nil {
				t.Fatal("OpenKey succeeded")
			}
			if !strings.Contains(biopilot.ErrorMessage(err), tt.msg) {
				t.Fatalf("error %q does not say %q", biopilot.ErrorMessage(err), tt.msg)
			}
		})
	}
}

func TestPublicPEM(t *testing.T) {
	k := mustKey(t)
	p := k.PublicPEM()
	if !strings.HasPrefix(p, "-----BEGIN PUBLIC KEY-----\n") {
		t.Fatalf("PEM = %q", p)
	}
	pub, err := ParsePublicPEM(p)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(k.Public()) {
		t.Fatal("parsed public key differs")
	}
	if id := KeyID(p); len(id) != 16 || id == KeyID(mustKey(t).PublicPEM()) {
		t.Fatalf("KeyID = %q", id)
	}
	for _, bad := range []string{"", "not a pem", strings.Replace(p, "PUBLIC KEY", "PRIVATE KEY", 2), p + p} {
		if _, err := ParsePublicPEM(bad); err == nil {
			t.Errorf("ParsePublicPEM(%.30q) succeeded", bad)
		}
	}
}

func TestSignVerify(t *testing.T) {
	k := mustKey(t)
	digest := Hash([]byte("申请表快照"))
	raw, _ := hex.DecodeString(digest)
	sig, err := k.Sign(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(k.PublicPEM(), raw, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for bit := 0; bit < 8; bit++ {
		d := bytes.Clone(raw)
		d[bit*4] ^= 1 << bit
		if Verify(k.PublicPEM(), d, sig) == nil {
			t.Fatalf("flipped bit %d of the digest verified", bit)
		}
	}
	for i := range sig {
		s := bytes.Clone(sig)
		s[i] ^= 0x10
		if Verify(k.PublicPEM(), raw, s) == nil {
			t.Fatalf("flipped byte %d of the signature verified", i)
		}
	}
	if Verify(mustKey(t).PublicPEM(), raw, sig) == nil {
		t.Fatal("another key verified the signature")
	}
}
