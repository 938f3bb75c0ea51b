package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the result as a readable table.
func (r *Result) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "biopilot 压力测试：%d 个申请，%s，并发 %d，每项 %.0f 秒，%d 核，%s（写入数据 %.1f 秒）\n\n",
		r.Apps, r.Database, r.Concurrency, r.DurationS, r.CPUs, r.GoVersion, r.SeedS)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "操作\t请求/秒\tp50 ms\tp95 ms\tp99 ms\t错误\t")
	row := func(label string, o OpResult) {
		fmt.Fprintf(tw, "%s\t%.1f\t%.2f\t%.2f\t%.2f\t%d\t\n", label, o.RPS, o.P50MS, o.P95MS, o.P99MS, o.Errors)
	}
	for _, op := range Operations {
		if o, ok := r.Ops[op.Name]; ok {
			row(op.Name, o)
		}
	}
	row("mixed", r.Mixed)
	fmt.Fprintf(tw, "baseline_rps\t%.1f\t\t\t\t\t\n", r.BaselineRPS)
	fmt.Fprintf(tw, "commit_baseline_per_s\t%.1f\t\t\t\t\t\n", r.CommitBaselinePerS)
	fmt.Fprintf(tw, "rss_peak_mb\t%.1f\t\t\t\t\t\n", r.RSSPeakMB)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n目标：")
	for _, t := range r.Targets {
		mark := "达到"
		if !t.Met {
			mark = "未达到"
		}
		fmt.Fprintf(w, "  %-6s %s %s（实测 %g）\n", mark, t.Name, t.Want, t.Got)
	}
	for _, op := range Operations {
		if o, ok := r.Ops[op.Name]; ok && o.FirstError != "" {
			fmt.Fprintf(w, "  %s 的第一个错误：%s\n", op.Name, o.FirstError)
		}
	}
	if r.Mixed.FirstError != "" {
		fmt.Fprintf(w, "  mixed 的第一个错误：%s\n", r.Mixed.FirstError)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  注：%s\n", n)
	}
	return nil
}
