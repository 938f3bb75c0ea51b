package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"biopilot/program"
)

// docCommand is what the offline document commands (check, render) share: the
// name their messages start with and the usage printed with a usage error.
type docCommand struct {
	name  string
	usage string
}

// flags is a flag set that reports its errors through parse.
func (c docCommand) flags() *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args with fs, the flags standing before or after the one
// document name, and returns that name. ok is false when the command is done:
// after -h (usage on standard error, err nil, exit 0) or a usage error.
func (c docCommand) parse(e *env, fs *flag.FlagSet, args []string) (file string, ok bool, err error) {
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				// like the other commands: usage on standard error, exit 0
				fmt.Fprint(e.stderr, c.usage)
				return "", false, nil
			}
			return "", false, c.usageErr(e, "%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		return "", false, c.usageErr(e, "需要且只需要一个申请文档（JSON 文件）")
	}
	return files[0], true, nil
}

// usageErr prints a usage error and the usage; exit code 2.
func (c docCommand) usageErr(e *env, format string, args ...any) error {
	fmt.Fprintf(e.stderr, "biopilot %s：%s\n\n%s", c.name, fmt.Sprintf(format, args...), c.usage)
	return exitError{2}
}

// load loads the program of --program dir (the built-in one when dir is "")
// and reads the document file. A failure is printed; exit code 2.
func (c docCommand) load(e *env, dir, file string) (*program.Program, []byte, error) {
	p, err := loadProgram(dir)
	if err != nil {
		fmt.Fprintf(e.stderr, "biopilot %s：申报通知定义有误：%v\n", c.name, err)
		return nil, nil, exitError{2}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(e.stderr, "biopilot %s：无法读取申请文档：%v\n", c.name, err)
		return nil, nil, exitError{2}
	}
	return p, data, nil
}
