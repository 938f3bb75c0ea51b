package main

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"os"

	"biopilot"
	"biopilot/seal"
)

// cmdVerify checks an exported package offline: exit 0 if everything matches, 1 with
// the first thing that does not, 2 if the package cannot be read.
func cmdVerify(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "verify", "verify [-trust 公钥文件.pem] 材料包.zip\n\n"+
		"离线校验导出的材料包：ZIP 结构、清单、每个文件的大小与 SM3/SHA-256 摘要、\n"+
		"每个签章（SM2-SM3）及其前后接续关系。全部相符时退出码为 0，\n"+
		"有不符之处时打印第一处不符并以 1 退出，无法读取文件时以 2 退出。")
	trustFile := fs.String("trust", "", "受信任的公钥文件（PEM，可含多个公钥）：指定后，每个签章都必须使用其中的公钥")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError{2}
	}
	path := fs.Arg(0)
	var trusted []string
	if *trustFile != "" {
		var err error
		if trusted, err = readTrusted(*trustFile); err != nil {
			fmt.Fprintf(e.stderr, "biopilot verify：%v\n", err)
			return exitError{2}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "biopilot verify：无法读取材料包 %s：%v\n", path, err)
		return exitError{2}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		fmt.Fprintf(e.stderr, "biopilot verify：%s 不是可读取的文件\n", path)
		return exitError{2}
	}
	rep, err := seal.VerifyPackage(f, fi.Size(), trusted...)
	printReport(e.stdout, path, rep, err, len(trusted) > 0)
	if err != nil {
		return exitError{1}
	}
	return nil
}

// readTrusted reads every PEM public key of a file.
func readTrusted(name string) ([]string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("无法读取公钥文件 %s：%v", name, err)
	}
	var keys []string
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		k := string(pem.EncodeToMemory(block))
		if _, err := seal.ParsePublicPEM(k); err != nil {
			return nil, fmt.Errorf("公钥文件 %s 中有无效的公钥：%s", name, biopilot.ErrorMessage(err))
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("公钥文件 %s 中没有 PEM 格式的公钥", name)
	}
	return keys, nil
}

func printReport(w io.Writer, path string, rep *seal.Report, verr error, trusted bool) {
	fmt.Fprintf(w, "材料包：%s\n", path)
	if rep != nil && rep.Manifest != nil {
		m := rep.Manifest
		kind := map[string]string{seal.KindApplication: "申请材料", seal.KindRecommendation: "地市推荐材料"}[m.Kind]
		if kind == "" {
			kind = m.Kind
		}
		fmt.Fprintf(w, "格式：%s\n类型：%s\n", m.Format, kind)
		if m.Program.Name != "" || m.Program.ID != "" {
			fmt.Fprintf(w, "项目：%s（%s）\n", m.Program.Name, m.Program.ID)
		}
		if m.Title != "" {
			fmt.Fprintf(w, "标题：%s\n", m.Title)
		}
		fmt.Fprintf(w, "生成时间：%s\n", m.CreatedAt)
		if len(m.Applications) > 0 {
			fmt.Fprintf(w, "申请（%d 项）：\n", len(m.Applications))
			for _, a := range m.Applications {
				fmt.Fprintf(w, "  %s  %s  %s  状态：%s  快照 SM3：%s\n", a.Number, a.OrgName, a.PlatformName,
					biopilot.State(a.State).Label(), a.SnapshotHash)
			}
		}
	}
	if verr != nil {
		fmt.Fprintf(w, "结论：不通过。%s\n", biopilot.ErrorMessage(verr))
		return
	}
	fmt.Fprintf(w, "文件：%d 个，共 %d 字节，大小与 SM3、SHA-256 摘要全部相符\n", rep.Files, rep.Bytes)
	fmt.Fprintf(w, "签章（%d 个，全部有效）：\n", len(rep.Signers))
	for _, s := range rep.Signers {
		who := s.Signer
		if r := biopilot.Role(s.Role); r != "" {
			who += "（" + r.Label() + "）"
		}
		fmt.Fprintf(w, "  ✓ %s  %s  %s  公钥 ID %s\n", s.Label, who, s.SignedAt, s.KeyID)
	}
	fmt.Fprintln(w, "结论：通过。材料包完整，自盖章以来未被改动，所有签章有效。")
	if !trusted {
		fmt.Fprintln(w, "注意：未指定受信任的公钥（-trust），只校验了材料包的内部一致性；请核对上列签章单位及其公钥 ID。")
	} else {
		fmt.Fprintln(w, "所有签章使用的公钥均在受信任的公钥之列。")
	}
}
