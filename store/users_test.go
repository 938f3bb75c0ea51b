package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"biopilot"
	"biopilot/store"
	"biopilot/store/storetest"
)

func TestOrganisations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := &biopilot.Organisation{Name: "广州某某生物科技有限公司", USCC: " 91440101ma5abcdef1 ",
			Kind: biopilot.KindPrivate, CityCode: "440100", CreatedAt: t0}
		must(t, db.CreateOrganisation(ctx, o))
		if o.ID == 0 || !o.CreatedAt.Equal(t0.Truncate(time.Millisecond)) {
			t.Fatalf("after create: id %d, created %v", o.ID, o.CreatedAt)
		}
		if o.USCC != "91440101MA5ABCDEF1" {
			t.Errorf("USCC stored as %q", o.USCC)
		}
		got, err := db.Organisation(ctx, o.ID)
		must(t, err)
		if got.Name != o.Name || got.USCC != o.USCC || got.Kind != o.Kind || got.CityCode != "440100" ||
			!got.CreatedAt.Equal(o.CreatedAt) || got.Disabled || got.SignPublicKey != "" || got.SignPrivateKeyEnc != nil {
			t.Errorf("Organisation = %+v, want %+v", got, o)
		}
		byCode, err := db.OrganisationByUSCC(ctx, "91440101ma5abcdef1")
		must(t, err)
		if byCode.ID != o.ID {
			t.Errorf("OrganisationByUSCC id %d, want %d", byCode.ID, o.ID)
		}

		dup := &biopilot.Organisation{Name: "另一家", USCC: "91440101MA5ABCDEF1"}
		e := wantCode(t, db.CreateOrganisation(ctx, dup), biopilot.ECONFLICT)
		if !strings.Contains(e.Message, "已注册") || e.Field != "uscc" {
			t.Errorf("duplicate USCC: %q field %q", e.Message, e.Field)
		}
		wantCode(t, db.CreateOrganisation(ctx, &biopilot.Organisation{Name: "x"}), biopilot.EINVALID)

		_, err = db.Organisation(ctx, 9999)
		wantCode(t, err, biopilot.ENOTFOUND)
		_, err = db.OrganisationByUSCC(ctx, "nope")
		wantCode(t, err, biopilot.ENOTFOUND)

		key := []byte{0, 1, 2, 0xff, 0xfe}
		must(t, db.SetOrganisationKeys(ctx, o.ID, "-----BEGIN PUBLIC KEY-----", key))
		must(t, db.SetOrganisationDisabled(ctx, o.ID, true))
		got, err = db.Organisation(ctx, o.ID)
		must(t, err)
		if got.SignPublicKey != "-----BEGIN PUBLIC KEY-----" || !bytes.Equal(got.SignPrivateKeyEnc, key) || !got.Disabled {
			t.Errorf("after keys and disable: %+v", got)
		}
		wantCode(t, db.SetOrganisationDisabled(ctx, 9999, true), biopilot.ENOTFOUND)
	})
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		org2 := newOrg(t, db, 2, "乙单位", "440300")
		u := &biopilot.User{Username: "  Zhang.San ", DisplayName: "张三", Email: "z@example.cn",
			Phone: "13800000000", Role: biopilot.RoleApplicant, OrgID: org.ID, OrgAdmin: true,
			PasswordHash: "$argon2id$x", MustChangePassword: true, CreatedAt: t0}
		must(t, db.CreateUser(ctx, u))
		if u.ID == 0 || u.Username != "zhang.san" {
			t.Fatalf("after create: %+v", u)
		}
		got, err := db.User(ctx, u.ID)
		must(t, err)
		if *got != *u {
			t.Errorf("User = %+v\nwant %+v", got, u)
		}
		byName, err := db.UserByUsername(ctx, "ZHANG.SAN")
		must(t, err)
		if byName.ID != u.ID {
			t.Errorf("UserByUsername: id %d", byName.ID)
		}

		// Unique regardless of case.
		e := wantCode(t, db.CreateUser(ctx, &biopilot.User{Username: "Zhang.SAN", Role: biopilot.RoleApplicant,
			OrgID: org.ID}), biopilot.ECONFLICT)
		if e.Field != "username" || !strings.Contains(e.Message, "已被使用") {
			t.Errorf("duplicate username: %+v", e)
		}
		wantCode(t, db.CreateUser(ctx, &biopilot.User{Username: "x", Role: "boss"}), biopilot.EINVALID)
		wantCode(t, db.CreateUser(ctx, &biopilot.User{Username: "y", Role: biopilot.RoleApplicant, OrgID: 9999}),
			biopilot.EINVALID)

		city := &biopilot.User{Username: "gz-miit", Role: biopilot.RoleCityMIIT, Jurisdiction: "440100"}
		must(t, db.CreateUser(ctx, city))
		if got, _ := db.User(ctx, city.ID); got.OrgID != 0 || got.Jurisdiction != "440100" {
			t.Errorf("authority user: %+v", got)
		}
		for i := 0; i < 3; i++ {
			newApplicant(t, db, org2, "yi"+string(rune('a'+i)))
		}

		tests := []struct {
			name string
			f    store.UserFilter
			want int
		}{
			{"all", store.UserFilter{}, 5},
			{"org", store.UserFilter{OrgID: org2.ID}, 3},
			{"role", store.UserFilter{Role: biopilot.RoleCityMIIT}, 1},
			{"jurisdiction", store.UserFilter{Jurisdiction: "440100"}, 1},
			{"role and org", store.UserFilter{Role: biopilot.RoleApplicant, OrgID: org.ID}, 1},
			{"limit", store.UserFilter{Limit: 2}, 2},
			{"offset", store.UserFilter{Offset: 4}, 1},
			{"none", store.UserFilter{Role: biopilot.RoleAuditor}, 0},
		}
		for _, tt := range tests {
			users, err := db.Users(ctx, tt.f)
			must(t, err)
			if len(users) != tt.want {
				t.Errorf("%s: %d users, want %d", tt.name, len(users), tt.want)
			}
			for i := 1; i < len(users); i++ {
				if users[i].ID <= users[i-1].ID {
					t.Errorf("%s: not ordered by id", tt.name)
				}
			}
		}

		must(t, db.SetPassword(ctx, u.ID, "newhash", false))
		must(t, db.TouchLogin(ctx, u.ID, t0.Add(time.Hour)))
		got, _ = db.User(ctx, u.ID)
		if got.PasswordHash != "newhash" || got.MustChangePassword ||
			!got.LastLoginAt.Equal(t0.Add(time.Hour).Truncate(time.Millisecond)) {
			t.Errorf("after SetPassword and TouchLogin: %+v", got)
		}
		wantCode(t, db.SetPassword(ctx, 9999, "h", false), biopilot.ENOTFOUND)
		wantCode(t, db.TouchLogin(ctx, 9999, t0), biopilot.ENOTFOUND)
		_, err = db.User(ctx, 9999)
		wantCode(t, err, biopilot.ENOTFOUND)
		_, err = db.UserByUsername(ctx, "nobody")
		wantCode(t, err, biopilot.ENOTFOUND)
	})
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db, 1, "甲单位", "440100")
		u := newApplicant(t, db, org, "li")
		s := &biopilot.Session{ID: strings.Repeat("ab", 32), UserID: u.ID, CSRFToken: "csrf",
			Address: "203.0.113.9", UserAgent: "Mozilla/5.0", CreatedAt: t0,
			ExpiresAt: t0.Add(12 * time.Hour)}
		must(t, db.CreateSession(ctx, s))
		gs, gu, err := db.Session(ctx, s.ID)
		must(t, err)
		if gu.ID != u.ID || gu.Username != "li" {
			t.Errorf("session user %+v", gu)
		}
		ms := func(t time.Time) time.Time { return t.Truncate(time.Millisecond) }
		if gs.ID != s.ID || gs.UserID != u.ID || gs.CSRFToken != "csrf" || gs.Address != s.Address ||
			gs.UserAgent != s.UserAgent || !gs.CreatedAt.Equal(ms(t0)) || !gs.LastSeen.Equal(ms(t0)) ||
			!gs.ExpiresAt.Equal(ms(t0.Add(12*time.Hour))) {
			t.Errorf("Session = %+v", gs)
		}
		// The expiry data survive the round trip exactly, so the caller's checks
		// against its clock are right on both sides of the limit.
		if !gs.ExpiresAt.After(ms(t0.Add(12*time.Hour-time.Millisecond))) || gs.ExpiresAt.After(ms(t0.Add(12*time.Hour))) {
			t.Errorf("ExpiresAt %v", gs.ExpiresAt)
		}
		wantCode(t, db.CreateSession(ctx, s), biopilot.ECONFLICT)
		wantCode(t, db.CreateSession(ctx, &biopilot.Session{ID: "x", UserID: 9999, ExpiresAt: t0}), biopilot.ENOTFOUND)
		wantCode(t, db.CreateSession(ctx, &biopilot.Session{ID: "y", UserID: u.ID}), biopilot.EINVALID)

		must(t, db.TouchSession(ctx, s.ID, t0.Add(30*time.Minute)))
		gs, _, _ = db.Session(ctx, s.ID)
		if !gs.LastSeen.Equal(ms(t0.Add(30 * time.Minute))) {
			t.Errorf("LastSeen %v", gs.LastSeen)
		}
		wantCode(t, db.TouchSession(ctx, "nope", t0), biopilot.ENOTFOUND)

		// Housekeeping removes only the expired.
		old := &biopilot.Session{ID: "old", UserID: u.ID, CreatedAt: t0.Add(-48 * time.Hour),
			ExpiresAt: t0.Add(-36 * time.Hour)}
		must(t, db.CreateSession(ctx, old))
		n, err := db.DeleteExpiredSessions(ctx, t0)
		must(t, err)
		if n != 1 {
			t.Errorf("DeleteExpiredSessions deleted %d, want 1", n)
		}
		_, _, err = db.Session(ctx, "old")
		wantCode(t, err, biopilot.ENOTFOUND)

		must(t, db.DeleteSession(ctx, s.ID))
		_, _, err = db.Session(ctx, s.ID)
		wantCode(t, err, biopilot.ENOTFOUND)

		// Several sessions of one user go together; another user's stay.
		other := newApplicant(t, db, org, "wang")
		for _, id := range []string{"a1", "a2"} {
			must(t, db.CreateSession(ctx, &biopilot.Session{ID: id, UserID: u.ID, ExpiresAt: t0.Add(time.Hour)}))
		}
		must(t, db.CreateSession(ctx, &biopilot.Session{ID: "b1", UserID: other.ID, ExpiresAt: t0.Add(time.Hour)}))
		must(t, db.DeleteUserSessions(ctx, u.ID))
		for id, want := range map[string]string{"a1": biopilot.ENOTFOUND, "a2": biopilot.ENOTFOUND, "b1": ""} {
			_, _, err := db.Session(ctx, id)
			if biopilot.ErrorCode(err) != want {
				t.Errorf("session %s after DeleteUserSessions: %v", id, err)
			}
		}

		// Disabling deletes the sessions; enabling does not resurrect them.
		must(t, db.SetUserDisabled(ctx, other.ID, true))
		_, _, err = db.Session(ctx, "b1")
		wantCode(t, err, biopilot.ENOTFOUND)
		if got, _ := db.User(ctx, other.ID); !got.Disabled {
			t.Error("user not disabled")
		}
		must(t, db.SetUserDisabled(ctx, other.ID, false))
		if got, _ := db.User(ctx, other.ID); got.Disabled {
			t.Error("user still disabled")
		}
		wantCode(t, db.SetUserDisabled(ctx, 9999, true), biopilot.ENOTFOUND)
	})
}

func TestLoginFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			must(t, db.RecordLoginFailure(ctx, "user:li", t0.Add(time.Duration(i)*time.Minute)))
		}
		must(t, db.RecordLoginFailure(ctx, "addr:203.0.113.9", t0))
		tests := []struct {
			key   string
			since time.Time
			want  int
		}{
			{"user:li", t0.Add(-time.Hour), 5},
			{"user:li", t0, 5}, // since is inclusive
			{"user:li", t0.Add(2 * time.Minute), 3},
			{"user:li", t0.Add(time.Hour), 0},
			{"addr:203.0.113.9", t0.Add(-time.Hour), 1},
			{"user:wang", t0.Add(-time.Hour), 0},
		}
		for _, tt := range tests {
			n, err := db.LoginFailures(ctx, tt.key, tt.since)
			must(t, err)
			if n != tt.want {
				t.Errorf("LoginFailures(%s, %v) = %d, want %d", tt.key, tt.since, n, tt.want)
			}
		}
		must(t, db.ClearLoginFailures(ctx, "user:li"))
		if n, _ := db.LoginFailures(ctx, "user:li", time.Time{}); n != 0 {
			t.Errorf("after clear: %d", n)
		}
		if n, _ := db.LoginFailures(ctx, "addr:203.0.113.9", time.Time{}); n != 1 {
			t.Errorf("clear touched another key: %d", n)
		}
		pruned, err := db.PruneLoginFailures(ctx, t0.Add(time.Second))
		must(t, err)
		if pruned != 1 {
			t.Errorf("pruned %d, want 1", pruned)
		}
	})
}
