package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"biopilot"
	"biopilot/seal"
)

// cmdAudit checks or exports the audit trail:
//
//	biopilot audit verify [--db …] [--data-dir …]
//	biopilot audit export --format csv [--db …] [--data-dir …]
func cmdAudit(ctx context.Context, e *env, args []string) error {
	usage := func() {
		fmt.Fprint(e.stderr, "用法：biopilot audit verify [参数]   校验审计日志的哈希链是否完整\n"+
			"      biopilot audit export --format csv [参数]   将审计日志导出为 CSV（写到标准输出）\n\n"+
			"各子命令的参数见 biopilot audit verify -h。\n")
	}
	if len(args) == 0 {
		usage()
		return exitError{2}
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, e, args[1:])
	case "export":
		return auditExport(ctx, e, args[1:])
	case "-h", "--help", "help":
		usage()
		return exitError{0}
	}
	fmt.Fprintf(e.stderr, "biopilot audit：未知的子命令 %q\n\n", args[0])
	usage()
	return exitError{2}
}

// auditVerify reads every record in stored order and checks the chain: exit 0 and
// "审计日志完整：共 N 条", or exit 1 naming the first record edited, deleted or
// moved.
func auditVerify(ctx context.Context, e *env, args []string) error {
	c := config{}
	fs := flagSet(e, "audit verify", "audit verify [参数]\n\n"+
		"按存储顺序读取全部审计记录，逐条核对序号、SM3 摘要与前序摘要。\n"+
		"完整时以 0 退出；发现被修改、删除或调换顺序的记录时指出第一条并以 1 退出。")
	addCommonFlags(fs, e, &c)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitError{2}
	}
	db, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.VerifyAudit(ctx)
	if err != nil {
		if biopilot.ErrorCode(err) != biopilot.EINVALID {
			return err
		}
		fmt.Fprintf(e.stdout, "审计日志不完整：%s\n", biopilot.ErrorMessage(err))
		if br, ok := biopilot.AsError(err).Detail.(seal.ChainBreak); ok {
			fmt.Fprintf(e.stdout, "第一条异常记录：序号 %d（%s）；共读取 %d 条记录。\n", br.Seq, breakLabel(br.Kind), n)
		}
		return exitError{1}
	}
	fmt.Fprintf(e.stdout, "审计日志完整：共 %d 条\n", n)
	return nil
}

func breakLabel(kind string) string {
	switch kind {
	case "edited":
		return "内容被修改"
	case "missing":
		return "记录缺失"
	case "reordered":
		return "顺序错乱"
	case "unlinked":
		return "链接摘要不符"
	}
	return kind
}

// auditHeader is the header row of the CSV export.
var auditHeader = []string{"序号", "时间（北京时间）", "操作人", "角色", "地址", "对象", "操作", "结果", "详情", "前序摘要", "摘要"}

// auditExport writes every audit record, oldest first, as CSV (UTF-8 with a byte
// order mark, so that spreadsheet programs read the Chinese right) to stdout.
func auditExport(ctx context.Context, e *env, args []string) error {
	c := config{}
	fs := flagSet(e, "audit export", "audit export --format csv [参数] > 审计日志.csv\n\n"+
		"将全部审计记录按存储顺序导出为 CSV（UTF-8，带 BOM）。以 =、+、-、@ 开头的单元格前加单引号，\n"+
		"防止电子表格把它当作公式执行。")
	format := fs.String("format", "csv", "导出格式：csv")
	addCommonFlags(fs, e, &c)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "csv" {
		fmt.Fprintf(e.stderr, "biopilot audit export：不支持的格式 %q，目前只支持 csv\n", *format)
		return exitError{2}
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitError{2}
	}
	db, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := e.stdout.Write([]byte("\ufeff")); err != nil {
		return err
	}
	w := csv.NewWriter(e.stdout)
	w.UseCRLF = true
	if err := w.Write(auditHeader); err != nil {
		return err
	}
	err = db.EachAudit(ctx, func(r *seal.ChainRecord) error {
		role := r.Role
		if l := biopilot.Role(r.Role).Label(); l != r.Role {
			role = l + "（" + r.Role + "）"
		}
		return w.Write([]string{
			strconv.FormatInt(r.Seq, 10),
			r.Time.In(biopilot.Beijing).Format("2006-01-02 15:04:05.000"),
			cell(r.Actor), cell(role), cell(r.Address), cell(r.Object), cell(r.Action), cell(r.Result),
			cell(string(r.Detail)), r.PrevHash, r.Hash,
		})
	})
	if err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}

// cell neutralises a value a spreadsheet would run as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
