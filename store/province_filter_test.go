package store_test

import (
	"context"
	"testing"

	"biopilot/store"
	"biopilot/store/storetest"
)

// TestApplicationsProvince: a province's filter keeps the applications of its own
// cities (a national deployment holds several provinces), in lists and counts.
func TestApplicationsProvince(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		gz := newOrg(t, db, 1, "广州酶工程有限公司", "440100")
		nj := newOrg(t, db, 2, "南京生物医药有限公司", "320100")
		sz := newOrg(t, db, 3, "苏州合成生物有限公司", "320500")
		newApp(t, db, gz, newApplicant(t, db, gz, "gz"), "广州平台", "enzymes")
		newApp(t, db, nj, newApplicant(t, db, nj, "nj"), "南京平台", "biopharma")
		newApp(t, db, sz, newApplicant(t, db, sz, "sz"), "苏州平台", "chemicals")
		for _, tc := range []struct {
			province string
			want     int
		}{{"", 3}, {"320000", 2}, {"440000", 1}, {"110000", 0}} {
			f := store.ApplicationFilter{ProgramID: "gd-2025", Province: tc.province}
			apps, total, err := db.Applications(ctx, f)
			must(t, err)
			if total != tc.want || len(apps) != tc.want {
				t.Errorf("province %q: %d applications (total %d), want %d", tc.province, len(apps), total, tc.want)
			}
			for _, a := range apps {
				if tc.province != "" && a.CityCode[:2] != tc.province[:2] {
					t.Errorf("province %s lists %s", tc.province, a.CityCode)
				}
			}
			counts, err := db.CountByState(ctx, f)
			must(t, err)
			if n := counts["draft"]; n != tc.want {
				t.Errorf("province %q: %d drafts counted, want %d", tc.province, n, tc.want)
			}
		}
	})
}
