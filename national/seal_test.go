package national

import (
	"testing"
	"time"

	"biopilot"
)

func TestSeal(t *testing.T) {
	s := sheet(t)
	a := Assignment{Experts: map[string][]string{"A1": {"e1"}}}
	at := time.Date(2025, 11, 3, 10, 0, 0, 0, beijing)
	sc := full(s, "e1", 0.8)
	sealed, err := Seal(s, a, sc, at)
	if err != nil {
		t.Fatal(err)
	}
	if sealed.Total != 80 || len(sealed.Digest) != 64 || !sealed.Verify() {
		t.Fatalf("sealed = total %v digest %q verify %v", sealed.Total, sealed.Digest, sealed.Verify())
	}
	tampered := sealed
	tampered.Points = map[string]float64{}
	for k, v := range sealed.Points {
		tampered.Points[k] = v
	}
	tampered.Points[s[0].Key]--
	if tampered.Verify() {
		t.Error("a changed score still verifies")
	}
	other := full(s, "e2", 0.8)
	if _, err := Seal(s, a, other, at); biopilot.ErrorCode(err) != biopilot.ENOTFOUND {
		t.Errorf("unassigned expert: err = %v, want ENOTFOUND", err)
	}
	bad := full(s, "e1", 0.8)
	delete(bad.Comments, s[1].Key)
	if _, err := Seal(s, a, bad, at); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Errorf("missing comment: err = %v, want EINVALID", err)
	}
}
