package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"biopilot"
	"biopilot/render"
)

const renderUsage = `用法：biopilot render [--format pdf|html] [--program 目录] -o 输出文件 申请文档.json

离线生成填好的《申请表》（附件3），不需要服务器和数据库：申报单位可在自己的电脑上
准备材料，测试也用它。文档先按申请表定义严格校验，有误时指出出错的字段。

参数：
  --format pdf|html   输出格式，默认 pdf（A4 PDF）；html 为可打印的网页
  -o 文件             输出文件（必填）；"-" 表示标准输出
  --program 目录      申报通知的定义目录（program.json 等）；默认使用内置的 2025 年广东省通知

退出码：0 成功；1 写出失败；2 参数或文档有误（包括字体缺少文档中的字符）。
`

// cmdRender renders an application document offline as PDF or HTML.
func cmdRender(ctx context.Context, e *env, args []string) error {
	cmd := docCommand{name: "render", usage: renderUsage}
	fs := cmd.flags()
	format := fs.String("format", "pdf", "")
	out := fs.String("o", "", "")
	progDir := fs.String("program", "", "")
	file, ok, err := cmd.parse(e, fs, args)
	if !ok {
		return err
	}
	switch {
	case *out == "":
		return cmd.usageErr(e, "缺少 -o 输出文件（\"-\" 表示标准输出）")
	case *format != "pdf" && *format != "html":
		return cmd.usageErr(e, "--format 应为 pdf 或 html，实际为 %q", *format)
	}
	p, data, err := cmd.load(e, *progDir, file)
	if err != nil {
		return err
	}
	doc, err := p.Form.DecodeDocument(data)
	if err != nil {
		return documentErr(e, file, err)
	}
	r, err := render.New()
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	meta := render.Meta{Location: p.Location()}
	if *format == "html" {
		err = r.FormHTML(&buf, p, doc, meta)
	} else {
		err = r.FormPDF(&buf, p, doc, meta)
	}
	if err != nil {
		return documentErr(e, file, err)
	}
	if *out == "-" {
		_, err = e.stdout.Write(buf.Bytes())
		return err
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		fmt.Fprintf(e.stderr, "biopilot render：无法写出 %s：%v\n", *out, err)
		return exitError{1}
	}
	fmt.Fprintf(e.stderr, "已生成 %s（%s，%d 字节）\n", *out, *format, buf.Len())
	return nil
}

// documentErr prints a document's problems, each naming its field; exit code 2.
// Errors that are not about the input (*biopilot.Error EINVALID) are returned.
func documentErr(e *env, name string, err error) error {
	var be *biopilot.Error
	if !errors.As(err, &be) || be.Code != biopilot.EINVALID {
		return err
	}
	if len(be.Fields) <= 1 {
		fmt.Fprintf(e.stderr, "biopilot render：%s：%s\n", name, be.Message)
		return exitError{2}
	}
	fmt.Fprintf(e.stderr, "biopilot render：%s 有 %d 处错误：\n", name, len(be.Fields))
	for _, fe := range be.Fields {
		fmt.Fprintf(e.stderr, "  %s：%s\n", fe.Field, fe.Message)
	}
	return exitError{2}
}

// writeFileAtomic writes a file through a temporary file in the same directory,
// so that a failed run leaves no half-written output.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".biopilot-render-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
