package main

import (
	"context"
	"errors"
)

// cmdCheck is a placeholder until its work lands.
func cmdCheck(ctx context.Context, e *env, args []string) error {
	return errors.New("尚未实现")
}
