package store

import (
	"context"
	"fmt"
)

// queryAll runs query on q and returns every row as scan reads it, in order; no
// row is an empty list, never nil. A failed query or iteration is wrapped as
// "store: what: …"; an error of scan is returned as it is.
func queryAll[T any](ctx context.Context, q q, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// wrapScan wraps the errors of scan as "store: what: …".
func wrapScan[T any](what string, scan func(scanner) (T, error)) func(scanner) (T, error) {
	return func(s scanner) (T, error) {
		x, err := scan(s)
		if err != nil {
			return x, fmt.Errorf("store: %s: %w", what, err)
		}
		return x, nil
	}
}
