package seal

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"biopilot"
)

var t0 = time.Date(2025, 7, 1, 10, 0, 0, 0, biopilot.Beijing)

func decision() map[string]any {
	return map[string]any{
		"snapshot_hash":   Hash([]byte("snapshot")),
		"evidence_hashes": []any{Hash([]byte("a.pdf")), Hash([]byte("b.pdf"))},
		"checks":          map[string]any{"authenticity": true, "completeness": true, "validity": true},
		"opinion":         "同意推荐。",
		"budget":          2600,
	}
}

func TestSignPayload(t *testing.T) {
	k := mustKey(t)
	sub, err := SignPayload(k, decision(), SignMeta{Purpose: PurposeSubmit, Signer: "陈立新", Role: biopilot.RoleApplicant, Holder: "广东示例酶工程有限公司", SignedAt: t0.UTC()})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := SignPayload(k, decision(), SignMeta{Purpose: PurposeRecommend, Signer: "王五", Role: biopilot.RoleCityMIIT, Holder: "佛山市工业和信息化局", SignedAt: t0.Add(time.Hour), Previous: sub})
	if err != nil {
		t.Fatal(err)
	}
	if sub.SignedAt != "2025-07-01T10:00:00+08:00" {
		t.Errorf("SignedAt = %q, want Beijing time", sub.SignedAt)
	}
	if sub.Algorithm != "SM2-SM3" || sub.Previous != "" || rec.Previous != sub.Digest {
		t.Errorf("algorithm %q, previous %q / %q", sub.Algorithm, sub.Previous, rec.Previous)
	}
	if err := VerifyPayload(rec, decision()); err != nil {
		t.Fatalf("VerifyPayload: %v", err)
	}
	// 2600 and 2600.0 are the same payload.
	same := decision()
	same["budget"] = json.Number("2600.0")
	if err := VerifyPayload(rec, same); err != nil {
		t.Fatalf("2600.0 did not verify as 2600: %v", err)
	}
	// Round trip through JSON, as stored with a transition.
	b, _ := json.Marshal(rec)
	var back Signature
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := VerifyPayload(&back, decision()); err != nil {
		t.Fatalf("after JSON round trip: %v", err)
	}

	changed := decision()
	changed["opinion"] = "同意推荐"
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 0x01
		return string(b)
	}
	sigBytes, _ := base64.StdEncoding.DecodeString(rec.Value)
	sigBytes[len(sigBytes)-1] ^= 0x01
	tests := []struct {
		name    string
		edit    func(s *Signature)
		payload any
		msg     string
	}{
		{"changed payload", func(*Signature) {}, changed, "所签内容与现有内容不符"},
		{"flipped signature bit", func(s *Signature) { s.Value = base64.StdEncoding.EncodeToString(sigBytes) }, decision(), "验证失败"},
		{"signature not base64", func(s *Signature) { s.Value = "!!" }, decision(), "base64"},
		{"changed signer", func(s *Signature) { s.Signer = "李四" }, decision(), "签章信息已被修改"},
		{"changed time", func(s *Signature) { s.SignedAt = "2025-07-01T12:00:00+08:00" }, decision(), "签章信息已被修改"},
		{"changed previous", func(s *Signature) { s.Previous = "" }, decision(), "签章信息已被修改"},
		{"flipped digest", func(s *Signature) { s.Digest = flip(s.Digest, 3) }, decision(), "验证失败"},
		{"other key", func(s *Signature) { s.PublicKey = mustKey(t).PublicPEM() }, decision(), "验证失败"},
		{"other algorithm", func(s *Signature) { s.Algorithm = "RSA" }, decision(), "不支持的算法"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := *rec
			tt.edit(&s)
			err := VerifyPayload(&s, tt.payload)
			if err == nil {
				t.Fatal("verified")
			}
			msg := biopilot.ErrorMessage(err)
			if !strings.HasPrefix(msg, "推荐意见签章（佛山市工业和信息化局）") || !strings.Contains(msg, tt.msg) {
				t.Fatalf("message %q: want it to name the seal and say %q", msg, tt.msg)
			}
		})
	}
}

func TestSignPayloadInvalid(t *testing.T) {
	k := mustKey(t)
	good := SignMeta{Purpose: PurposeSend, Holder: "佛山市工业和信息化局", SignedAt: t0}
	for _, tt := range []struct {
		field string
		edit  func(*SignMeta)
	}{
		{"purpose", func(m *SignMeta) { m.Purpose = "" }},
		{"holder", func(m *SignMeta) { m.Holder = "" }},
		{"signed_at", func(m *SignMeta) { m.SignedAt = time.Time{} }},
	} {
		m := good
		tt.edit(&m)
		if _, err := SignPayload(k, decision(), m); biopilot.ErrorField(err) != tt.field {
			t.Errorf("missing %s: error %v", tt.field, err)
		}
	}
	if _, err := SignHash(k, "abc", good); biopilot.ErrorField(err) != "payload_hash" {
		t.Errorf("bad payload hash: %v", err)
	}
}
