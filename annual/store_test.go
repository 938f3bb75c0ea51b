package annual_test

import (
	"testing"

	"biopilot/annual"
	"biopilot/store"
)

// TestGroundsMatchStore keeps the removal grounds the same values as the store's.
func TestGroundsMatchStore(t *testing.T) {
	if annual.GroundsBelowRequirements != store.RemovalBelowRequirements || annual.GroundsViolation != store.RemovalViolation {
		t.Errorf("grounds %q/%q differ from the store's %q/%q", annual.GroundsBelowRequirements, annual.GroundsViolation,
			store.RemovalBelowRequirements, store.RemovalViolation)
	}
}
