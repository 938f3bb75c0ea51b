package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/width"

	"biopilot"
	"biopilot/auth"
	"biopilot/demo"
	"biopilot/files"
	"biopilot/program"
	"biopilot/rules"
	"biopilot/store"
	"biopilot/web"
)

func cmdDemo(ctx context.Context, e *env, args []string) error {
	c := config{}
	fs := flagSet(e, "demo", "demo [参数]")
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "监听地址")
	fs.StringVar(&c.DataDir, "data-dir", "", "数据目录（默认新建一个临时目录）；必须为空或不存在")
	fs.StringVar(&c.LogLevel, "log-level", "warn", "日志级别：debug、info、warn、error")
	fs.StringVar(&c.Program, "program", "cn-2025", "项目定义：cn-2025（全国，含广东省、江苏省与部级评审）、gd-2025（广东省）或定义目录")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if c.DataDir == "" {
		dir, err := os.MkdirTemp("", "biopilot-demo-")
		if err != nil {
			return err
		}
		c.DataDir = dir
	} else if entries, err := os.ReadDir(c.DataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("数据目录 %s 不为空：演示需要一个全新的数据库，请换一个目录或清空它", c.DataDir)
	}
	// The demo's clock can be fast-forwarded (past a public notice) at /demo/clock.
	clock := biopilot.NewOffsetClock(biopilot.SystemClock{})
	base, err := loadProgram(c.Program)
	if err != nil {
		return err
	}
	// A demo whose deadlines passed in 2025 would let nobody submit.
	prog, err := base.WithDeadlines(demo.Deadlines(clock.Now(), base.Location()))
	if err != nil {
		return err
	}
	db, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	eng, err := rules.Compile(prog)
	if err != nil {
		return err
	}
	hash := demoHash()
	accounts, err := demo.Seed(ctx, db, prog, eng, clock.Now(), hash)
	if err != nil {
		return fmt.Errorf("写入演示数据：%w", err)
	}
	// LISTED (H8): in a national demo the first batch, listed in December 2025, is
	// seeded before the rest so that its records come first in the audit trail.
	var national, listed []demo.Account
	if prog.IsNational() {
		if national, err = withWorkflow(ctx, &c, db, prog, eng, clock, hash, demo.SeedNationalAccounts); err != nil {
			return fmt.Errorf("写入全国评审演示数据：%w", err)
		}
		if listed, err = seedListed(ctx, &c, db, prog, eng, clock, hash); err != nil {
			return fmt.Errorf("写入首批入选平台演示数据：%w", err)
		}
	}
	more, err := seedReview(ctx, &c, db, prog, eng, clock, hash)
	if err != nil {
		return fmt.Errorf("写入演示审核数据：%w", err)
	}
	accounts = append(accounts, more...)
	if prog.IsNational() {
		more, err := seedNational(ctx, &c, db, prog, eng, clock, hash)
		if err != nil {
			return fmt.Errorf("写入全国评审演示数据：%w", err)
		}
		accounts = append(append(append(accounts, national...), more...), listed...)
		if err := seedAnnual(ctx, &c, db, prog, eng, clock, hash); err != nil {
			return fmt.Errorf("写入年度评价演示数据：%w", err)
		}
	}
	fmt.Fprintf(e.stdout, "演示项目：%s（%s）\n", prog.Title, prog.Source)
	fmt.Fprintf(e.stdout, "演示数据目录：%s\n", c.DataDir)
	fmt.Fprintf(e.stdout, "申报截止：%s 24:00（北京时间）；地市报送截止：%s 24:00\n\n", prog.Deadlines.Applicant, prog.Deadlines.City)
	fmt.Fprintf(e.stdout, "演示账号（密码均为 %s）：\n", demo.Password)
	rows := [][]string{{"用户名", "角色", "姓名", "单位或辖区"}}
	for _, a := range accounts {
		rows = append(rows, []string{a.Username, a.Role.Label(), a.Name, a.Where})
	}
	printTable(e.stdout, rows)
	fmt.Fprintln(e.stdout)
	return serve(ctx, e, &c, db, prog, clock)
}

// printTable prints rows in aligned columns, counting a Chinese character as two
// columns as a terminal shows it.
func printTable(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// seedReview adds the sample applications in the review states, taking them through
// the web layer's own code paths (submit, seals, reviewers' actions, the letter) with
// the same master key and evidence store that serve uses afterwards.
func seedReview(ctx context.Context, c *config, db *store.DB, prog *program.Program, eng *rules.Engine, clock biopilot.Clock, hash func(string) (string, error)) ([]demo.Account, error) {
	return withWorkflow(ctx, c, db, prog, eng, clock, hash, demo.SeedReview)
}

// seedNational adds the national stage of a national program: the applications
// recommended by both provinces (the accounts and experts are seeded before the
// first batch).
func seedNational(ctx context.Context, c *config, db *store.DB, prog *program.Program, eng *rules.Engine, clock biopilot.Clock, hash func(string) (string, error)) ([]demo.Account, error) {
	return withWorkflow(ctx, c, db, prog, eng, clock, hash, demo.SeedNationalApplications)
}

// demoHash hashes the demo password once for every seeding step.
func demoHash() func(string) (string, error) {
	var once sync.Once
	var h string
	var err error
	return func(pw string) (string, error) {
		if pw != demo.Password {
			return auth.HashPassword(pw, auth.DefaultParams)
		}
		once.Do(func() { h, err = auth.HashPassword(pw, auth.DefaultParams) })
		return h, err
	}
}

// seedListed adds the first batch of the national evaluation, listed in December
// 2025 (demo.SeedListed): a web server and the store on a fake clock running
// through autumn 2025, then the store back on the demo's clock.
func seedListed(ctx context.Context, c *config, db *store.DB, prog *program.Program, eng *rules.Engine, clock biopilot.Clock, hash func(string) (string, error)) ([]demo.Account, error) {
	fake := biopilot.NewFakeClock(time.Date(demo.FirstBatchYear, 9, 1, 9, 0, 0, 0, biopilot.Beijing))
	return withWorkflow(ctx, c, db, prog, eng, fake, hash, func(ctx context.Context, d demo.ReviewDeps) ([]demo.Account, error) {
		nw, ok := d.Workflow.(demo.NationalWorkflow)
		if !ok {
			return nil, fmt.Errorf("the web server does not take the national stage's actions")
		}
		return demo.SeedListed(ctx, demo.ListedDeps{ReviewDeps: d, National: nw, Clock: fake, Restore: clock})
	})
}

// seedAnnual opens the annual evaluation of the current year with a draft and a
// submitted report of the first batch's platforms (demo.SeedAnnual), on the demo's
// clock.
func seedAnnual(ctx context.Context, c *config, db *store.DB, prog *program.Program, eng *rules.Engine, clock biopilot.Clock, hash func(string) (string, error)) error {
	_, err := withWorkflow(ctx, c, db, prog, eng, clock, hash, func(ctx context.Context, d demo.ReviewDeps) ([]demo.Account, error) {
		aw, ok := d.Workflow.(demo.AnnualWorkflow)
		if !ok {
			return nil, fmt.Errorf("the web server does not take the annual evaluation's actions")
		}
		_, err := demo.SeedAnnual(ctx, demo.AnnualDeps{DB: d.DB, Annual: aw, Now: clock.Now()})
		return nil, err
	})
	return err
}

// withWorkflow runs a demo seeding step with a web server over the store, with the
// master key and evidence store that serve uses afterwards.
func withWorkflow(ctx context.Context, c *config, db *store.DB, prog *program.Program, eng *rules.Engine, clock biopilot.Clock,
	hash func(string) (string, error), step func(context.Context, demo.ReviewDeps) ([]demo.Account, error)) ([]demo.Account, error) {
	mk, err := c.masterKey()
	if err != nil {
		return nil, err
	}
	fstore, err := files.Open(ctx, c.filesURL())
	if err != nil {
		return nil, err
	}
	defer fstore.Close()
	srv := web.NewServer(web.DefaultConfig(), web.Deps{DB: db, Program: prog, Rules: eng, Clock: clock, Files: fstore, MasterKey: mk})
	return step(ctx, demo.ReviewDeps{DB: db, Program: prog, Rules: eng, Files: fstore, Workflow: srv, Hash: hash})
}
