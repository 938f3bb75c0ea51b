package program

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

//go:embed defs
var defs embed.FS

// DefaultDir is the embedded directory of the default program (the 2025 call).
const DefaultDir = "defs/gd-2025"

// defsRoot is the embedded directory holding every built-in definition.
const defsRoot = "defs"

// Default loads the embedded 2025 Guangdong program.
func Default() (*Program, error) { return Named("gd-2025") }

// MustDefault is Default for tests and fixed data: it panics on an error, which can
// only be a broken build.
func MustDefault() *Program {
	p, err := Default()
	if err != nil {
		panic(err)
	}
	return p
}

// Named loads a built-in definition by its name: "gd-2025" (the Guangdong call, a
// provincial deployment) or "cn-2025" (the ministry's call, a national deployment
// receiving Guangdong's and Jiangsu's recommendations). See Names.
func Named(name string) (*Program, error) {
	if !IsNamed(name) {
		return nil, fmt.Errorf("没有名为 %q 的内置项目定义（内置：%s）", name, strings.Join(Names(), "、"))
	}
	dir := defsRoot + "/" + name
	p, err := load(embedSource{dir: dir})
	if err != nil {
		return nil, err
	}
	p.Source = "内置：" + dir
	return p, nil
}

// MustNamed is Named for tests and fixed data: it panics on an error.
func MustNamed(name string) *Program {
	p, err := Named(name)
	if err != nil {
		panic(err)
	}
	return p
}

// Names lists the built-in definitions, in order.
func Names() []string {
	entries, _ := defs.ReadDir(defsRoot)
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// IsNamed reports whether name is the name of a built-in definition.
func IsNamed(name string) bool {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || !fs.ValidPath(name) {
		return false
	}
	_, err := fs.Stat(defs, defsRoot+"/"+name+"/program.json")
	return err == nil
}

// LoadDir loads a program definition from a directory on disk holding program.json,
// or from a program.json file named directly. The form and rules files it names are
// relative to that directory and may lie beside it ("../gd-2025/form.json").
func LoadDir(dir string) (*Program, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	p, err := load(diskSource{dir: dir})
	if err != nil {
		return nil, err
	}
	p.Source = dir
	return p, nil
}

// source reads the files of one definition: program.json and the files it names,
// by a slash-separated path relative to the definition's directory.
type source interface {
	// read returns the file's content and the name to show in messages.
	read(name string) ([]byte, string, error)
}

// embedSource reads a built-in definition; a file it names may lie in another
// built-in definition's directory but never outside the embedded definitions.
type embedSource struct{ dir string }

func (s embedSource) read(name string) ([]byte, string, error) {
	if err := relativeName(name); err != nil {
		return nil, name, err
	}
	file := path.Join(s.dir, name)
	if !strings.HasPrefix(file, defsRoot+"/") {
		return nil, file, fmt.Errorf("引用的文件 %s 超出内置定义目录", name)
	}
	data, err := fs.ReadFile(defs, file)
	return data, file, err
}

// diskSource reads a definition from a directory on disk; the files it names are
// resolved relative to that directory.
type diskSource struct{ dir string }

func (s diskSource) read(name string) ([]byte, string, error) {
	if err := relativeName(name); err != nil {
		return nil, name, err
	}
	show := path.Clean(name)
	data, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(name)))
	return data, show, err
}

// relativeName checks that a file named by program.json is a relative,
// slash-separated path.
func relativeName(name string) error {
	switch {
	case name == "":
		return errors.New("文件名为空")
	case path.IsAbs(name) || filepath.IsAbs(name) || strings.Contains(name, `\`) || filepath.VolumeName(name) != "":
		return fmt.Errorf("文件 %s 应为相对于 program.json 所在目录的相对路径（以 / 分隔）", name)
	}
	return nil
}

// DefinitionError says which file of a definition is wrong, where, and why.
type DefinitionError struct {
	File   string
	Line   int // 0 when not known
	Column int
	Reason string
}

func (e *DefinitionError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("项目定义文件 %s 第 %d 行第 %d 列：%s", e.File, e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("项目定义文件 %s：%s", e.File, e.Reason)
}

func load(src source) (*Program, error) {
	var p Program
	progFile, err := decodeFile(src, "program.json", &p)
	if err != nil {
		return nil, err
	}
	bad := func(reason string, args ...any) error {
		return &DefinitionError{File: progFile, Reason: fmt.Sprintf(reason, args...)}
	}
	if p.ID == "" || p.Title == "" {
		return nil, bad("缺少 id 或 title")
	}
	loc, err := parseOffset(p.UTCOffset)
	if err != nil {
		return nil, bad("%v", err)
	}
	p.loc = loc
	if err := p.initNational(); err != nil {
		return nil, bad("%v", err)
	}
	for name, d := range map[string]string{"deadlines.applicant": p.Deadlines.Applicant, "deadlines.city": p.Deadlines.City} {
		if _, err := parseDeadline(d, loc); err != nil {
			return nil, bad("%s：%v", name, err)
		}
	}
	if len(p.Cities) == 0 || len(p.Domains) == 0 {
		return nil, bad("cities 与 domains 不能为空")
	}
	if p.FormFile == "" || p.RulesFile == "" {
		return nil, bad("缺少 form 或 rules 文件名")
	}
	p.Form = new(Form)
	formFile, err := decodeFile(src, p.FormFile, p.Form)
	if err != nil {
		return nil, err
	}
	if err := p.Form.init(&p); err != nil {
		return nil, &DefinitionError{File: formFile, Reason: err.Error()}
	}
	p.Rules = new(RuleSet)
	rulesFile, err := decodeFile(src, p.RulesFile, p.Rules)
	if err != nil {
		return nil, err
	}
	if err := p.applyRuleParams(); err != nil {
		return nil, bad("%v", err)
	}
	if err := p.Rules.check(); err != nil {
		return nil, &DefinitionError{File: rulesFile, Reason: err.Error()}
	}
	if err := p.checkPublicFields(); err != nil {
		return nil, bad("%v", err)
	}
	if err := p.checkAnnual(); err != nil {
		return nil, bad("%v", err)
	}
	return &p, nil
}

// decodeFile strictly decodes one JSON file, reporting line and column on error.
// It returns the file's name as messages show it.
func decodeFile(src source, name string, v any) (string, error) {
	data, file, err := src.read(name)
	if err != nil {
		return file, &DefinitionError{File: file, Reason: "无法读取：" + err.Error()}
	}
	return file, decodeData(file, data, v)
}

// decodeData strictly decodes the JSON content of file into v.
func decodeData(file string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = errors.New("文件末尾有多余内容")
			return posError(file, data, dec.InputOffset(), err)
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return posError(file, data, syn.Offset, fmt.Errorf("JSON 语法错误：%v", syn))
	case errors.As(err, &typ):
		return posError(file, data, typ.Offset, fmt.Errorf("%s 应为 %s，实际为 JSON %s", typ.Field, typ.Type, typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return posError(file, data, int64(len(data)), errors.New("文件不完整"))
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return posError(file, data, dec.InputOffset(), fmt.Errorf("未知的键 %s", strings.TrimPrefix(err.Error(), "json: unknown field ")))
	}
	return posError(file, data, dec.InputOffset(), err)
}

func posError(file string, data []byte, off int64, err error) error {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &DefinitionError{File: file, Line: line, Column: col, Reason: err.Error()}
}

// init checks a decoded form and indexes its fields.
func (f *Form) init(p *Program) error {
	f.byKey = make(map[string]*Field)
	sections := make(map[string]bool)
	for _, s := range f.Sections {
		sections[s.ID] = true
	}
	prefixes := make(map[string]string)
	for i, fl := range f.Fields {
		if fl.Key == "" {
			return fmt.Errorf("fields[%d] 缺少 key", i)
		}
		if f.byKey[fl.Key] != nil {
			return fmt.Errorf("字段 %s 重复", fl.Key)
		}
		if !sections[fl.Section] {
			return fmt.Errorf("字段 %s 的 section %q 未在 sections 中定义", fl.Key, fl.Section)
		}
		if fl.OptionsFrom == "domains" {
			fl.Options = p.Domains
		} else if fl.OptionsFrom != "" {
			return fmt.Errorf("字段 %s 的 options_from %q 未知（只支持 domains）", fl.Key, fl.OptionsFrom)
		}
		if err := checkField(fl, fl.Key); err != nil {
			return err
		}
		for _, c := range fl.Columns {
			if err := checkField(c, fl.Key+"[]."+c.Key); err != nil {
				return err
			}
			if c.Type == TypeTable || c.Type == TypeAttachments {
				return fmt.Errorf("表格 %s 的列 %s 不能是 %s", fl.Key, c.Key, c.Type)
			}
		}
		// A key may not be both a leaf and an object ("a" and "a.b").
		parts := fl.Path()
		for j := 1; j < len(parts); j++ {
			pre := strings.Join(parts[:j], ".")
			if f.byKey[pre] != nil {
				return fmt.Errorf("字段 %s 与 %s 冲突", fl.Key, pre)
			}
			prefixes[pre] = fl.Key
		}
		if other, ok := prefixes[fl.Key]; ok {
			return fmt.Errorf("字段 %s 与 %s 冲突", fl.Key, other)
		}
		f.byKey[fl.Key] = fl
	}
	for _, d := range f.Derived {
		switch {
		case d.Format == "percent" && len(d.Ratio) == 2 && f.byKey[d.Ratio[0]] != nil && f.byKey[d.Ratio[1]] != nil:
		case d.Format == "yesno" && len(d.AllOf) > 0:
			for _, k := range d.AllOf {
				if fl := f.byKey[k]; fl == nil || (fl.Type != TypeBool && fl.Type != TypeSet) {
					return fmt.Errorf("derived %s 的 all_of 项 %s 应为 bool 或 set 字段", d.Key, k)
				}
			}
		default:
			return fmt.Errorf("derived %s 定义不完整：percent 需要 ratio 的两个字段，yesno 需要 all_of", d.Key)
		}
	}
	return nil
}

func checkField(fl *Field, where string) error {
	switch fl.Type {
	case TypeText, TypeInteger, TypeNumber, TypeBool, TypeDate, TypeMonth, TypeList:
	case TypeEnum, TypeSet, TypeAttachments:
		if len(fl.Options) == 0 {
			return fmt.Errorf("字段 %s 类型 %s 需要 options", where, fl.Type)
		}
	case TypeTable:
		if len(fl.Columns) == 0 {
			return fmt.Errorf("表格 %s 需要 columns", where)
		}
	default:
		return fmt.Errorf("字段 %s 的类型 %q 未知", where, fl.Type)
	}
	if fl.Label == "" {
		return fmt.Errorf("字段 %s 缺少 label", where)
	}
	return nil
}
