package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"biopilot/bench"
)

// cmdBench runs the capacity test (package bench) and prints its measures: a table,
// or with --json one JSON object.
func cmdBench(ctx context.Context, e *env, args []string) error {
	var o bench.Options
	var asJSON bool
	fs := flagSet(e, "bench", "bench [参数]")
	fs.StringVar(&o.DB, "db", "", "数据库：默认在临时目录新建 SQLite；或 sqlite:路径、postgres://…（必须是空库）")
	fs.IntVar(&o.Apps, "apps", 10000, "写入的申请数量（分布在 21 个地市的各个状态）")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "同时发送请求的客户端数")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "每项操作、基线和混合负载的测量时长")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "每项测量前不计入结果的预热时长")
	fs.BoolVar(&asJSON, "json", false, "以一个 JSON 对象输出结果")
	var only, cpuProfile, memProfile string
	fs.StringVar(&only, "only", "", "只测这些项（逗号分隔：autosave、applicant_page、reviewer_list、reviewer_view、eligibility、form_pdf、mixed、baseline、commit_baseline），用于分析单一路径")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "把测量期间（写入数据之后）的 CPU 剖析写入此文件（go tool pprof 格式，含进程内的压测客户端）")
	fs.StringVar(&memProfile, "memprofile", "", "测量结束后把堆剖析（仍在使用的内存：缓存、预编译语句等）写入此文件")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Apps < 100 {
		fmt.Fprintln(e.stderr, "biopilot bench：--apps 至少为 100")
		return exitError{2}
	}
	if o.Concurrency < 1 || o.Concurrency > 1024 {
		fmt.Fprintln(e.stderr, "biopilot bench：--concurrency 应在 1 到 1024 之间")
		return exitError{2}
	}
	if o.Duration <= 0 || o.Warmup < 0 {
		fmt.Fprintln(e.stderr, "biopilot bench：--duration 应大于 0，--warmup 不能为负")
		return exitError{2}
	}
	if only != "" {
		o.Only = strings.Split(only, ",")
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		o.CPUProfile = f
	}
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		o.MemProfile = f
	}
	o.Logf = func(format string, args ...any) {
		fmt.Fprintf(e.stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	applyGCDefaults(e) // as serve: the server under test runs in this process
	res, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return res.WriteTable(e.stdout)
}
