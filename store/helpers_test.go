package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
)

// t0 is a fixed time in Beijing with sub-millisecond noise the store must drop.
var t0 = time.Date(2025, 6, 30, 23, 59, 58, 123456789, biopilot.Beijing)

// wantCode fails unless err is a *biopilot.Error with the code.
func wantCode(t *testing.T, err error, code string) *biopilot.Error {
	t.Helper()
	if got := biopilot.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	return biopilot.AsError(err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newOrg creates an organisation with a distinct USCC.
func newOrg(t *testing.T, db *store.DB, n int, name, city string) *biopilot.Organisation {
	t.Helper()
	o := &biopilot.Organisation{Name: name, USCC: fmt.Sprintf("91440100MA5%07d", n),
		Kind: biopilot.KindPrivate, CityCode: city}
	must(t, db.CreateOrganisation(context.Background(), o))
	return o
}

// newApplicant creates an applicant of an organisation.
func newApplicant(t *testing.T, db *store.DB, org *biopilot.Organisation, username string) *biopilot.User {
	t.Helper()
	u := &biopilot.User{Username: username, DisplayName: username, Role: biopilot.RoleApplicant,
		OrgID: org.ID, PasswordHash: "hash"}
	must(t, db.CreateUser(context.Background(), u))
	return u
}

// newApp creates a draft of an organisation.
func newApp(t *testing.T, db *store.DB, org *biopilot.Organisation, by *biopilot.User,
	platform string, domains ...string) *biopilot.Application {
	t.Helper()
	a := &biopilot.Application{ProgramID: "gd-2025", OrgID: org.ID, CreatedBy: by.ID,
		Document: []byte(`{"platform":{"name":"` + platform + `"}}`), PlatformName: platform,
		Domains: domains}
	must(t, db.CreateApplication(context.Background(), a))
	return a
}
