package main

import (
	"context"
	"fmt"
)

func cmdMigrate(ctx context.Context, e *env, args []string) error {
	c := config{}
	fs := flagSet(e, "migrate", "migrate [参数]")
	addCommonFlags(fs, e, &c)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "数据库（%s）已迁移到最新版本。\n", db.Dialect())
	return nil
}
