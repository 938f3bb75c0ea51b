package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"biopilot"
	"biopilot/rules"
)

const checkUsage = `用法：biopilot check [--format text|json] [--program 目录] 申请文档.json

离线检查一份申请文档是否符合《生物制造中试能力建设平台培育指南》及申报通知的要求，
逐条给出结果（符合、不符合、提示、缺少信息、不适用）和总体结论，不需要服务器和数据库。
文档先按申请表定义严格校验：JSON 格式错误、未知的字段、类型不符都会指出出错的字段。

参数：
  --format text|json  输出格式，默认 text（供人阅读，按部分分组，问题在前）；
                      json 为机器可读的报告 {"verdict": …, "rules": […]}
  --program 目录      申报通知的定义目录（program.json 等）；默认使用内置的 2025 年广东省通知

退出码：0 符合申报条件（eligible）；1 不符合（ineligible）或材料不完整（incomplete）；
2 文件不是有效的申请文档，或参数、项目定义有误。
`

// cmdCheck judges an application document offline against the program's rules.
func cmdCheck(ctx context.Context, e *env, args []string) error {
	cmd := docCommand{name: "check", usage: checkUsage}
	fs := cmd.flags()
	format := fs.String("format", "text", "")
	progDir := fs.String("program", "", "")
	file, ok, err := cmd.parse(e, fs, args)
	if !ok {
		return err
	}
	if *format != "text" && *format != "json" {
		return cmd.usageErr(e, "--format 应为 text 或 json，实际为 %q", *format)
	}
	p, data, err := cmd.load(e, *progDir, file)
	if err != nil {
		return err
	}
	engine, err := rules.Compile(p)
	if err != nil {
		fmt.Fprintf(e.stderr, "biopilot check：规则定义有误：%v\n", err)
		return exitError{2}
	}
	doc, err := p.Form.DecodeDocument(data)
	if err != nil {
		return checkDocumentErr(e, file, err)
	}
	rep := engine.Evaluate(doc)
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writeCheckText(e.stdout, engine, file, rep)
	}
	if rep.Verdict != rules.Eligible {
		return exitError{1}
	}
	return nil
}

// checkDocumentErr prints why a file is not an application document, naming
// each field; exit code 2.
func checkDocumentErr(e *env, name string, err error) error {
	be := biopilot.AsError(err)
	if be == nil {
		return err
	}
	fmt.Fprintf(e.stderr, "biopilot check：%s 不是有效的申请文档：%s\n", name, be.Message)
	if len(be.Fields) > 1 {
		for _, f := range be.Fields {
			fmt.Fprintf(e.stderr, "  - %s：%s\n", f.Field, f.Message)
		}
	}
	return exitError{2}
}

// severity orders statuses for people: problems first.
var severity = map[string]int{rules.Fail: 0, rules.Missing: 1, rules.Warn: 2, rules.Pass: 3, rules.NA: 4}

var statusMark = map[string]string{
	rules.Fail: "✗", rules.Missing: "?", rules.Warn: "!", rules.Pass: "✓", rules.NA: "-",
}

// writeCheckText writes the report for a person: the verdict, then the rules
// grouped by part of the guide, the parts with problems first and the
// problems first within each part.
func writeCheckText(w io.Writer, engine *rules.Engine, name string, rep *rules.Report) {
	p := engine.Program()
	fmt.Fprintf(w, "申请文档：%s\n", name)
	fmt.Fprintf(w, "对照：%s（%s）\n", p.Title, p.GuideTitle)
	counts := map[string]int{}
	for _, r := range rep.Rules {
		counts[r.Status]++
	}
	fmt.Fprintf(w, "结论：%s\n", rules.VerdictLabel(rep.Verdict))
	var summary []string
	for _, s := range []string{rules.Fail, rules.Missing, rules.Warn, rules.Pass, rules.NA} {
		if counts[s] > 0 {
			summary = append(summary, fmt.Sprintf("%s %d 项", rules.StatusLabel(s), counts[s]))
		}
	}
	fmt.Fprintf(w, "共 %d 项：%s\n", len(rep.Rules), strings.Join(summary, "，"))

	type section struct {
		title   string
		results []rules.Result
		worst   int
	}
	var sections []*section
	byGroup := map[string]*section{}
	for _, g := range engine.Groups() {
		title := g.ID + " " + g.Title
		if g.Clause != "" {
			title += "（" + g.Clause + "）"
		}
		s := &section{title: title, worst: len(severity)}
		sections = append(sections, s)
		byGroup[g.ID] = s
	}
	for _, r := range rep.Rules {
		s := byGroup[r.Group]
		if s == nil {
			s = &section{title: r.Group, worst: len(severity)}
			sections = append(sections, s)
			byGroup[r.Group] = s
		}
		s.results = append(s.results, r)
		s.worst = min(s.worst, severity[r.Status])
	}
	slices.SortStableFunc(sections, func(a, b *section) int { return a.worst - b.worst })
	for _, s := range sections {
		if len(s.results) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", s.title)
		slices.SortStableFunc(s.results, func(a, b rules.Result) int { return severity[a.Status] - severity[b.Status] })
		for _, r := range s.results {
			fmt.Fprintf(w, "  %s [%s] %s %s（%s）\n", statusMark[r.Status], rules.StatusLabel(r.Status), r.ID, r.Title, r.Clause)
			fmt.Fprintf(w, "       %s\n", r.Message)
		}
	}
	fmt.Fprintf(w, "\n结论：%s\n", rules.VerdictLabel(rep.Verdict))
}
