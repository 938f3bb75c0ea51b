package seal

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"biopilot"
)

// Algorithm is the only signature algorithm: SM2 over SM3 (GB/T 32918.2, GM/T 0009).
const Algorithm = "SM2-SM3"

// Purposes of a signature: what the seal is put on.
const (
	PurposeSubmit          = "submit"           // 申请表: the applicant submits its snapshot
	PurposeRecommend       = "recommend"        // 推荐意见: a city authority recommends one application
	PurposeSend            = "send"             // 推荐函: a city sends its recommendation to the province
	PurposeProvRecommend   = "prov_recommend"   // 省级推荐意见
	PurposePackage         = "package"          // 材料包: the exporter seals a package's manifest
	PurposeReturn          = "return"           // 退回意见
	PurposeNotRecommend    = "not_recommend"    // 不予推荐意见
	PurposeProvinceReturn  = "province_return"  // 省级退回意见
	PurposeProvinceDecline = "province_decline" // 省级不予推荐意见
)

var purposeLabels = map[string]string{
	PurposeSubmit:          "申请表",
	PurposeRecommend:       "推荐意见",
	PurposeSend:            "推荐函",
	PurposeProvRecommend:   "省级推荐意见",
	PurposePackage:         "材料包",
	PurposeReturn:          "退回意见",
	PurposeNotRecommend:    "不予推荐意见",
	PurposeProvinceReturn:  "省级退回意见",
	PurposeProvinceDecline: "省级不予推荐意见",
}

// PurposeLabel is the Chinese name of a purpose, or the purpose itself if unknown.
func PurposeLabel(p string) string {
	if l, ok := purposeLabels[p]; ok {
		return l
	}
	return p
}

// Signature is one seal put on one payload, as stored with a transition and carried in
// a package manifest.
//
// What is signed is not the payload alone but a statement about it: Digest is the hex
// SM3 of the canonical encoding (see Canonical) of the JSON object
//
//	{"algorithm", "holder", "payload_hash", "previous", "public_key", "purpose",
//	 "role", "signed_at", "signer"}
//
// with the values of the fields of the same names, and Value is the SM2 signature
// (Key.Sign) of the 32 bytes of that digest. So the signer, the time, the key and the
// link to the previous signature are sealed together with the payload.
type Signature struct {
	// Purpose is what is sealed: PurposeSubmit, PurposeRecommend, ….
	Purpose string `json:"purpose"`
	// Signer is the name of the person who sealed.
	Signer string `json:"signer"`
	// Role is the signer's role (biopilot.Role).
	Role string `json:"role"`
	// Holder is the organisation or authority whose seal it is.
	Holder string `json:"holder"`
	// PublicKey is the holder's SM2 public key (PEM).
	PublicKey string `json:"public_key"`
	// Algorithm is always "SM2-SM3".
	Algorithm string `json:"algorithm"`
	// PayloadHash is the hex SM3 of the canonical encoding of the payload.
	PayloadHash string `json:"payload_hash"`
	// Digest is the hex SM3 of the canonical signed statement (see above).
	Digest string `json:"digest"`
	// Value is the SM2 signature of Digest, ASN.1 DER, standard base64.
	Value string `json:"value"`
	// SignedAt is the time of signing, RFC 3339 in Beijing time (+08:00).
	SignedAt string `json:"signed_at"`
	// Previous is the Digest of the signature this one follows ("" for the first).
	Previous string `json:"previous"`
}

// SignMeta says who seals, when, why and after what.
type SignMeta struct {
	Purpose string
	Signer  string
	Role    biopilot.Role
	Holder  string
	// SignedAt is the time of signing, from the caller's clock. Required.
	SignedAt time.Time
	// Previous is the signature this one follows, or nil.
	Previous *Signature
}

// Label names the signature for people: "推荐函签章（佛山市工业和信息化局）".
func (s *Signature) Label() string {
	return fmt.Sprintf("%s签章（%s）", PurposeLabel(s.Purpose), s.Holder)
}

// statement is the object whose canonical encoding is signed.
func (s *Signature) statement() map[string]any {
	return map[string]any{
		"algorithm":    s.Algorithm,
		"holder":       s.Holder,
		"payload_hash": s.PayloadHash,
		"previous":     s.Previous,
		"public_key":   s.PublicKey,
		"purpose":      s.Purpose,
		"role":         s.Role,
		"signed_at":    s.SignedAt,
		"signer":       s.Signer,
	}
}

// SignPayload seals payload with key: it hashes Canonical(payload), builds the
// statement from meta and signs it.
func SignPayload(key *Key, payload any, meta SignMeta) (*Signature, error) {
	h, err := CanonicalHash(payload)
	if err != nil {
		return nil, err
	}
	return SignHash(key, h, meta)
}

// SignHash is SignPayload for a payload whose canonical hash is already known (a
// snapshot hash, or a file's SM3).
func SignHash(key *Key, payloadHash string, meta SignMeta) (*Signature, error) {
	if b, err := hex.DecodeString(payloadHash); err != nil || len(b) != 32 {
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "payload_hash", Message: "待签内容摘要应为 64 位十六进制 SM3 摘要"}
	}
	switch {
	case meta.Purpose == "":
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "purpose", Message: "签章用途不能为空"}
	case meta.Holder == "":
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "holder", Message: "签章单位不能为空"}
	case meta.SignedAt.IsZero():
		return nil, &biopilot.Error{Code: biopilot.EINVALID, Field: "signed_at", Message: "签章时间不能为空"}
	}
	s := &Signature{
		Purpose:     meta.Purpose,
		Signer:      meta.Signer,
		Role:        string(meta.Role),
		Holder:      meta.Holder,
		PublicKey:   key.PublicPEM(),
		Algorithm:   Algorithm,
		PayloadHash: payloadHash,
		SignedAt:    meta.SignedAt.In(biopilot.Beijing).Format(time.RFC3339),
	}
	if meta.Previous != nil {
		s.Previous = meta.Previous.Digest
	}
	digest, err := CanonicalHash(s.statement())
	if err != nil {
		return nil, err
	}
	s.Digest = digest
	raw, _ := hex.DecodeString(digest)
	sig, err := key.Sign(raw)
	if err != nil {
		return nil, err
	}
	s.Value = base64.StdEncoding.EncodeToString(sig)
	return s, nil
}

// VerifyPayload checks that sig seals payload: the payload's canonical hash, the
// statement's digest and the SM2 signature with the embedded public key. It does not
// say whether that key is trusted (compare KeyID(sig.PublicKey) with a known one).
func VerifyPayload(sig *Signature, payload any) error {
	h, err := CanonicalHash(payload)
	if err != nil {
		return err
	}
	return VerifyHash(sig, h)
}

// VerifyHash is VerifyPayload for a payload whose canonical hash is known.
func VerifyHash(sig *Signature, payloadHash string) error {
	if sig.PayloadHash != payloadHash {
		return sigError(sig, "所签内容与现有内容不符（内容摘要不同）")
	}
	return VerifySignature(sig)
}

// VerifySignature checks a signature by itself: the algorithm, that Digest is the
// digest of its statement, and the SM2 signature of Digest under PublicKey. It does
// not look at the payload.
func VerifySignature(sig *Signature) error {
	if sig.Algorithm != Algorithm {
		return sigError(sig, fmt.Sprintf("使用了不支持的算法 %q", sig.Algorithm))
	}
	if _, err := time.Parse(time.RFC3339, sig.SignedAt); err != nil {
		return sigError(sig, "签章时间格式无效")
	}
	digest, err := CanonicalHash(sig.statement())
	if err != nil {
		return sigError(sig, "验证失败："+biopilot.ErrorMessage(err))
	}
	if digest != sig.Digest {
		return sigError(sig, "验证失败：签章声明的摘要不符（签章信息已被修改）")
	}
	value, err := base64.StdEncoding.Strict().DecodeString(sig.Value)
	if err != nil {
		return sigError(sig, "验证失败：签名值不是有效的 base64")
	}
	if _, err := ParsePublicPEM(sig.PublicKey); err != nil {
		return sigError(sig, "验证失败："+biopilot.ErrorMessage(err))
	}
	raw, _ := hex.DecodeString(digest)
	if err := Verify(sig.PublicKey, raw, value); err != nil {
		return sigError(sig, "验证失败：SM2 签名不符")
	}
	return nil
}

func sigError(sig *Signature, msg string) error {
	return &biopilot.Error{Code: biopilot.EINVALID, Field: "signature", Message: sig.Label() + msg}
}
