package main

import (
	"context"
	"errors"
)

// cmdRender is a placeholder until its work lands.
func cmdRender(ctx context.Context, e *env, args []string) error {
	return errors.New("尚未实现")
}
