// Command biopilot runs the biomanufacturing pilot-platform call: the web server,
// the demo, migrations, accounts, and offline checks of application documents.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a subcommand may use of the outside world.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// exitError ends the program with a code, after the command printed its message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// commands are registered by each command's file in init-free style: see commandTable.
func commandTable() map[string]command {
	return map[string]command{
		"version": {"显示版本", cmdVersion},
		"serve":   {"启动 Web 服务", cmdServe},
		"demo":    {"以演示数据启动（内置 SQLite 数据库）", cmdDemo},
		"migrate": {"将数据库迁移到最新版本", cmdMigrate},
		"user":    {"管理账号：user add | passwd | disable | enable", cmdUser},
		"audit":   {"审计日志：audit verify（校验哈希链）| export（导出 CSV）", cmdAudit},
		"backup":  {"备份 SQLite 数据库与佐证材料（服务运行时亦可）", cmdBackup},
		"restore": {"从备份恢复到空的数据目录", cmdRestore},
		"bench":   {"容量压力测试：写入数据并测量吞吐、延迟与内存", cmdBench},
		"check":   {"离线检查申请文档是否符合指南要求", cmdCheck},
		"render":  {"离线生成申请表（PDF 或 HTML）", cmdRender},
		"verify":  {"离线校验导出的材料包及其签章", cmdVerify},
	}
}

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

func cmdVersion(ctx context.Context, e *env, args []string) error {
	fmt.Fprintf(e.stdout, "biopilot %s\n", Version)
	return nil
}

// run is the whole program; main only calls it. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	cmds := commandTable()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := cmds[args[1]]; ok {
				return exitCode(c.run(ctx, e, []string{"-h"}))
			}
		}
		usage(stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "biopilot：未知的命令 %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := c.run(ctx, e, args[1:])
	if err != nil {
		var x exitError
		if !errors.As(err, &x) {
			fmt.Fprintf(stderr, "biopilot %s：%v\n", args[0], err)
		}
	}
	return exitCode(err)
}

func exitCode(err error) int {
	var x exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &x):
		return x.code
	}
	return 1
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "biopilot —— 生物制造中试能力建设平台申报与评审系统")
	fmt.Fprintln(w, "\n用法：biopilot <命令> [参数]\n\n命令：")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\n每个命令都支持 -h 查看其参数。")
}
