package main

import (
	"context"
	"errors"
)

// cmdVerify is a placeholder until its work lands.
func cmdVerify(ctx context.Context, e *env, args []string) error {
	return errors.New("尚未实现")
}
