// Package seal is the electronic seal (电子签章) of biopilot: SM2 key pairs for every
// organisation and authority, their private keys encrypted at rest with SM4-GCM, SM2
// signatures over the SM3 hash of a canonical JSON encoding, hash chains for the
// audit trail, and exported packages (ZIP files with a signed manifest) that anyone can
// verify offline. It has no HTTP and no SQL in it.
//
// A package (format "biopilot-package/1") is checked by a third party as follows:
//
//  1. The ZIP holds only stored (uncompressed) entries without extra fields or
//     comments, each with a data descriptor, all carrying the package's creation time;
//     the last entry is manifest.json. Nothing lies between or after the records.
//  2. manifest.json is the canonical encoding (see Canonical) of the Manifest.
//  3. Each seal in "seals" signs the SM3 of the canonical encoding of the manifest
//     object without its "seals" member (its payload_hash); seals chain by "previous".
//  4. Every other entry is listed in "files", in ZIP order, with its size, SM3 and
//     SHA-256; nothing is missing or extra.
//  5. Each decision signature in "signatures" verifies (see Signature); if it names a
//     "payload" file, that file's SM3 is its payload_hash; its "previous", if any, is
//     the digest of an earlier signature made no later.
//
// A signature is verified by recomputing its statement digest (see Signature) and
// checking the SM2 signature of that digest with the PEM public key, default user ID
// 1234567812345678.
package seal

import (
	"bytes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
	"github.com/emmansun/gmsm/smx509"

	"biopilot"
)

// Key is an SM2 key pair: an organisation's or an authority's seal.
type Key struct {
	priv *sm2.PrivateKey
}

// GenerateKey returns a new random SM2 key pair.
func GenerateKey() (*Key, error) {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, biopilot.Errorf(biopilot.EINTERNAL, "生成 SM2 密钥失败：%v", err)
	}
	return &Key{priv: priv}, nil
}

// Public returns the public half of the key.
func (k *Key) Public() *ecdsa.PublicKey { return &k.priv.PublicKey }

// PublicPEM returns the public key as a PEM "PUBLIC KEY" block (PKIX, SM2 curve).
func (k *Key) PublicPEM() string {
	der, err := smx509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	if err != nil {
		// An SM2 public key generated or opened by this package always marshals.
		panic("seal: marshal SM2 public key: " + err.Error())
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// ParsePublicPEM parses a PEM "PUBLIC KEY" block holding an SM2 public key.
func ParsePublicPEM(s string) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "public_key", Message: "公钥不是有效的 PEM（PUBLIC KEY）格式"}
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "public_key", Message: "公钥 PEM 之后有多余内容"}
	}
	pub, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "public_key", Message: "无法解析公钥：" + err.Error()}
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(ec) {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "public_key", Message: "公钥不是 SM2 公钥"}
	}
	return ec, nil
}

// KeyID returns a short fingerprint of a PEM public key: the first 16 hex digits of the
// SM3 of its DER encoding, or "" if pubPEM does not parse.
func KeyID(pubPEM string) string {
	if f := fingerprint(pubPEM); f != "" {
		return f[:16]
	}
	return ""
}

// fingerprint is the hex SM3 of the DER of a PEM public key, or "".
func fingerprint(pubPEM string) string {
	block, _ := pem.Decode([]byte(pubPEM))
	if block == nil {
		return ""
	}
	return Hash(block.Bytes)
}

// Sign signs digest (normally the 32-byte SM3 of a canonical payload) with SM2 as
// GB/T 32918.2 specifies: SM3 over Z_A (default user ID 1234567812345678) and digest.
// The signature is ASN.1 DER (SEQUENCE of r, s).
func (k *Key) Sign(digest []byte) ([]byte, error) {
	sig, err := k.priv.Sign(rand.Reader, digest, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, biopilot.Errorf(biopilot.EINTERNAL, "SM2 签名失败：%v", err)
	}
	return sig, nil
}

// Verify checks an SM2 signature made by Sign with the key whose public half is pubPEM.
func Verify(pubPEM string, digest, sig []byte) error {
	pub, err := ParsePublicPEM(pubPEM)
	if err != nil {
		return err
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, digest, sig) {
		return &biopilot.Error{Code: biopilot.EINVALID, Field: "signature", Message: "SM2 签名验证失败"}
	}
	return nil
}

// MasterKey is the SM4 key (128 bits) that encrypts private keys at rest. It comes from
// configuration, never from the database.
type MasterKey [16]byte

// masterKeyLabel separates the derivation of a master key from a 256-bit secret.
const masterKeyLabel = "biopilot/seal/master-key/v1"

// ParseMasterKey reads a master key from configuration: 16 or 32 bytes written in hex
// (32 or 64 digits) or in base64 (standard or URL alphabet, padded or not). A 32-byte
// secret is reduced to 16 bytes with HMAC-SM3 under a fixed label.
func ParseMasterKey(s string) (MasterKey, error) {
	var mk MasterKey
	s = strings.TrimSpace(s)
	if s == "" {
		return mk, &biopilot.Error{Code: biopilot.EINVALID, Field: "master_key", Message: "未配置签章主密钥（master_key）：请提供 16 或 32 字节的十六进制或 base64 密钥"}
	}
	var raw []byte
	if b, err := hex.DecodeString(s); err == nil && (len(b) == 16 || len(b) == 32) {
		raw = b
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil && (len(b) == 16 || len(b) == 32) {
				raw = b
				break
			}
		}
	}
	if raw == nil {
		return mk, &biopilot.Error{Code: biopilot.EINVALID, Field: "master_key", Message: "签章主密钥（master_key）格式无效：应为 16 或 32 字节，写作 32 或 64 位十六进制，或 base64"}
	}
	if allSame(raw) {
		return mk, &biopilot.Error{Code: biopilot.EINVALID, Field: "master_key", Message: "签章主密钥（master_key）过于简单（所有字节相同），请使用随机生成的密钥"}
	}
	if len(raw) == 32 {
		h := hmac.New(sm3.New, raw)
		h.Write([]byte(masterKeyLabel))
		raw = h.Sum(nil)[:16]
	}
	copy(mk[:], raw)
	return mk, nil
}

func allSame(b []byte) bool {
	for _, c := range b {
		if c != b[0] {
			return false
		}
	}
	return true
}

// sealedKeyMagic starts every sealed private key; its last byte is the format version.
var sealedKeyMagic = []byte{'B', 'P', 'K', 1}

const nonceSize = 12

// Seal encrypts the private key under the master key for storage:
// "BPK" 0x01 ‖ 12-byte random nonce ‖ SM4-GCM(raw 32-byte private scalar) with the
// 4-byte header as additional data. The result is 64 bytes.
func (k *Key) Seal(mk MasterKey) ([]byte, error) {
	aead, err := newAEAD(mk)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(sealedKeyMagic)+nonceSize+32+aead.Overhead())
	out = append(out, sealedKeyMagic...)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, biopilot.Errorf(biopilot.EINTERNAL, "无法生成随机数：%v", err)
	}
	out = append(out, nonce...)
	d := k.priv.D.FillBytes(make([]byte, 32))
	out = aead.Seal(out, nonce, d, sealedKeyMagic)
	clear(d)
	return out, nil
}

// OpenKey decrypts a private key sealed by (*Key).Seal. A wrong master key, a tampered
// or truncated blob, or an unknown format version is an error.
func OpenKey(mk MasterKey, blob []byte) (*Key, error) {
	if len(blob) < len(sealedKeyMagic) || !bytes.Equal(blob[:3], sealedKeyMagic[:3]) {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "private_key", Message: "签章私钥数据格式无效"}
	}
	if blob[3] != sealedKeyMagic[3] {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "private_key", Message: "不支持的签章私钥数据版本"}
	}
	aead, err := newAEAD(mk)
	if err != nil {
		return nil, err
	}
	if len(blob) != len(sealedKeyMagic)+nonceSize+32+aead.Overhead() {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "private_key", Message: "签章私钥数据长度不符，可能已被截断或篡改"}
	}
	nonce := blob[len(sealedKeyMagic) : len(sealedKeyMagic)+nonceSize]
	d, err := aead.Open(nil, nonce, blob[len(sealedKeyMagic)+nonceSize:], blob[:len(sealedKeyMagic)])
	if err != nil {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "private_key", Message: "无法解密签章私钥：主密钥错误或私钥数据已被篡改"}
	}
	defer clear(d)
	priv, err := sm2.NewPrivateKey(d)
	if err != nil {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "private_key", Message: "签章私钥无效"}
	}
	return &Key{priv: priv}, nil
}

func newAEAD(mk MasterKey) (cipher.AEAD, error) {
	block, err := sm4.NewCipher(mk[:])
	if err != nil {
		return nil, biopilot.Errorf(biopilot.EINTERNAL, "SM4 初始化失败：%v", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, biopilot.Errorf(biopilot.EINTERNAL, "SM4-GCM 初始化失败：%v", err)
	}
	return aead, nil
}
