package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryPlans checks, on SQLite, that hot queries are answered from an index
// without a sort (the plans measured in issue 7).
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, query string
		args        []any
		want        string
	}{
		{"domains of a page", domainsQuery(3), []any{1, 2, 3}, "COVERING INDEX application_domains_app_position"},
	} {
		rows, err := db.sql.QueryContext(ctx, `EXPLAIN QUERY PLAN `+c.query, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, c.want) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %q and no sort", c.name, got, c.want)
		}
	}
}
