package store_test

import (
	"context"
	"sync"
	"testing"

	"biopilot"
	"biopilot/seal"
	"biopilot/store"
	"biopilot/store/storetest"
)

var (
	testMK  = seal.MasterKey{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	otherMK = seal.MasterKey{16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
)

// signsFor checks that key signs what the public key verifies.
func signsFor(t *testing.T, key *seal.Key, publicPEM string) {
	t.Helper()
	digest := []byte("0123456789abcdef0123456789abcdef")
	sig, err := key.Sign(digest)
	must(t, err)
	if err := seal.Verify(publicPEM, digest, sig); err != nil {
		t.Fatalf("signature does not verify with the stored public key: %v", err)
	}
}

func TestEnsureAuthority(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := db.EnsureAuthority(ctx, biopilot.RoleCityMIIT, "440100", "广州市工业和信息化局", testMK)
		must(t, err)
		if a.ID == 0 || a.Role != biopilot.RoleCityMIIT || a.Jurisdiction != "440100" ||
			a.Name != "广州市工业和信息化局" || a.SignPublicKey == "" || len(a.SignPrivateKeyEnc) == 0 || a.CreatedAt.IsZero() {
			t.Fatalf("created %+v", a)
		}
		if _, err := seal.ParsePublicPEM(a.SignPublicKey); err != nil {
			t.Fatal(err)
		}
		// Again: the same authority, the same key, the name unchanged.
		b, err := db.EnsureAuthority(ctx, biopilot.RoleCityMIIT, "440100", "另一个名称", testMK)
		must(t, err)
		if b.ID != a.ID || b.SignPublicKey != a.SignPublicKey || b.Name != a.Name {
			t.Fatalf("second Ensure: %+v, want %+v", b, a)
		}
		// Another role in the same city is another authority with another key.
		drc, err := db.EnsureAuthority(ctx, biopilot.RoleCityDRC, "440100", "广州市发展和改革委员会", testMK)
		must(t, err)
		if drc.ID == a.ID || drc.SignPublicKey == a.SignPublicKey {
			t.Fatal("city_drc shares city_miit's authority or key")
		}
		got, err := db.Authority(ctx, biopilot.RoleCityDRC, "440100")
		must(t, err)
		if got.ID != drc.ID {
			t.Fatalf("Authority = %+v", got)
		}
		wantCode(t, func() error { _, err := db.Authority(ctx, biopilot.RoleProvMIIT, "440000"); return err }(), biopilot.ENOTFOUND)
		all, err := db.Authorities(ctx)
		must(t, err)
		if len(all) != 2 || all[0].ID != a.ID || all[1].ID != drc.ID {
			t.Fatalf("Authorities = %v", all)
		}

		key, err := db.AuthoritySigningKey(ctx, a.ID, testMK)
		must(t, err)
		signsFor(t, key, a.SignPublicKey)
		wantCode(t, func() error { _, err := db.AuthoritySigningKey(ctx, a.ID, otherMK); return err }(), biopilot.EINVALID)
		wantCode(t, func() error { _, err := db.AuthoritySigningKey(ctx, 9999, testMK); return err }(), biopilot.ENOTFOUND)

		for _, tt := range []struct {
			role                    biopilot.Role
			jurisdiction, name, fld string
		}{
			{biopilot.RoleApplicant, "440100", "某单位", "role"},
			{biopilot.RoleAdmin, "440100", "某单位", "role"},
			{biopilot.RoleProvMIIT, " ", "广东省工业和信息化厅", "jurisdiction"},
			{biopilot.RoleProvMIIT, "440000", " ", "name"},
		} {
			_, err := db.EnsureAuthority(ctx, tt.role, tt.jurisdiction, tt.name, testMK)
			if e := wantCode(t, err, biopilot.EINVALID); e.Field != tt.fld {
				t.Errorf("%+v: field %q", tt, e.Field)
			}
		}
	})
}

func TestEnsureAuthorityConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 8
		keys := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				a, err := db.EnsureAuthority(context.Background(), biopilot.RoleProvDRC, "440000", "广东省发展和改革委员会", testMK)
				if err != nil {
					t.Error(err)
					return
				}
				keys[i] = a.SignPublicKey
			}(i)
		}
		wg.Wait()
		for i := range keys {
			if keys[i] != keys[0] || keys[i] == "" {
				t.Fatalf("concurrent EnsureAuthority returned different keys")
			}
		}
	})
}

func TestEnsureOrganisationKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "广东示例酶工程有限公司", "440100")
		wantCode(t, func() error { _, err := db.OrganisationSigningKey(ctx, org.ID, testMK); return err }(), biopilot.ENOTFOUND)

		// Concurrent first uses: one key wins and all return it.
		const n = 6
		keys := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				o, err := db.EnsureOrganisationKey(ctx, org.ID, testMK)
				if err != nil {
					t.Error(err)
					return
				}
				keys[i] = o.SignPublicKey
			}(i)
		}
		wg.Wait()
		for i := range keys {
			if keys[i] == "" || keys[i] != keys[0] {
				t.Fatal("concurrent EnsureOrganisationKey returned different keys")
			}
		}
		o, err := db.Organisation(ctx, org.ID)
		must(t, err)
		if o.SignPublicKey != keys[0] {
			t.Fatal("the stored key is not the one returned")
		}
		key, err := db.OrganisationSigningKey(ctx, org.ID, testMK)
		must(t, err)
		signsFor(t, key, o.SignPublicKey)
		wantCode(t, func() error { _, err := db.OrganisationSigningKey(ctx, org.ID, otherMK); return err }(), biopilot.EINVALID)
		wantCode(t, func() error { _, err := db.EnsureOrganisationKey(ctx, 9999, testMK); return err }(), biopilot.ENOTFOUND)

		// A private key that does not belong to the public key is refused.
		other, err := seal.GenerateKey()
		must(t, err)
		sealed, err := other.Seal(testMK)
		must(t, err)
		must(t, db.SetOrganisationKeys(ctx, org.ID, o.SignPublicKey, sealed))
		wantCode(t, func() error { _, err := db.OrganisationSigningKey(ctx, org.ID, testMK); return err }(), biopilot.EINTERNAL)
	})
}
