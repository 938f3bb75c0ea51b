package store

import "testing"

func TestRebind(t *testing.T) {
	tests := []struct {
		dialect, in, want string
	}{
		{DialectSQLite, `SELECT * FROM t WHERE a = ? AND b = ?`, `SELECT * FROM t WHERE a = ? AND b = ?`},
		{DialectPostgres, `SELECT * FROM t WHERE a = ? AND b = ?`, `SELECT * FROM t WHERE a = $1 AND b = $2`},
		{DialectPostgres, `SELECT 1`, `SELECT 1`},
		{DialectPostgres, `SELECT '?' , ? FROM t WHERE x LIKE ? ESCAPE '\'`, `SELECT '?' , $1 FROM t WHERE x LIKE $2 ESCAPE '\'`},
		{DialectPostgres, `INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			`INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
	}
	for _, tt := range tests {
		if got := rebind(tt.dialect, tt.in); got != tt.want {
			t.Errorf("rebind(%s, %q) = %q, want %q", tt.dialect, tt.in, got, tt.want)
		}
	}
}

func TestLikePattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{"酶", "%酶%"},
		{"ABC", "%abc%"},
		{"50%_off", `%50\%\_off%`},
		{`a\b`, `%a\\b%`},
	}
	for _, tt := range tests {
		if got := likePattern(tt.in); got != tt.want {
			t.Errorf("likePattern(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLimit(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{0, 50}, {-3, 50}, {1, 1}, {500, 500}, {501, 500}} {
		if got := limit(tt.in); got != tt.want {
			t.Errorf("limit(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
