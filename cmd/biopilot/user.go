package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"biopilot"
	"biopilot/auth"
	"biopilot/store"
)

func cmdUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "用法：biopilot user add|passwd|disable|enable [参数]\n\n  add      新建账号（申报单位人员需 --org-uscc；主管部门需 --jurisdiction）\n  passwd   重设密码（未给出 --password 时生成临时密码，首次登录须修改）\n  disable  停用账号并注销其全部会话\n  enable   恢复账号\n\n每个子命令支持 -h。")
		if len(args) == 0 {
			return exitError{2}
		}
		return nil
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, e, args[1:])
	case "passwd":
		return userPasswd(ctx, e, args[1:])
	case "disable", "enable":
		return userDisable(ctx, e, args[0], args[1:])
	}
	return fmt.Errorf("未知的子命令 %q，应为 add、passwd、disable 或 enable", args[0])
}

func userAdd(ctx context.Context, e *env, args []string) error {
	c := config{}
	var u biopilot.User
	var role, orgUSCC, password string
	fs := flagSet(e, "user add", "user add --username 用户名 --role 角色 --name 姓名 [参数]")
	fs.StringVar(&u.Username, "username", "", "用户名（必填）")
	fs.StringVar(&role, "role", "", "角色：applicant、city_miit、city_drc、prov_miit、prov_drc、ministry、expert、admin、security_admin、auditor")
	fs.StringVar(&u.DisplayName, "name", "", "姓名（必填）")
	fs.StringVar(&u.Email, "email", "", "电子邮箱")
	fs.StringVar(&orgUSCC, "org-uscc", "", "所属申报单位的统一社会信用代码（applicant）")
	fs.StringVar(&u.Jurisdiction, "jurisdiction", "", "辖区代码：地市如 440100，省 440000（主管部门）")
	fs.BoolVar(&u.OrgAdmin, "org-admin", false, "设为本单位管理员（applicant）")
	fs.StringVar(&password, "password", "", "密码（不填则生成临时密码，首次登录须修改）")
	addCommonFlags(fs, e, &c)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u.Role = biopilot.Role(role)
	switch {
	case u.Username == "" || u.DisplayName == "":
		return fmt.Errorf("--username 与 --name 必填")
	case !u.Role.Valid():
		return fmt.Errorf("角色 %q 无效", role)
	case u.Role == biopilot.RoleApplicant && orgUSCC == "":
		return fmt.Errorf("申报单位人员需要 --org-uscc")
	case u.Role.IsAuthority() && u.Jurisdiction == "":
		return fmt.Errorf("主管部门账号需要 --jurisdiction")
	}
	db, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	if u.Role == biopilot.RoleApplicant {
		org, err := db.OrganisationByUSCC(ctx, orgUSCC)
		if err != nil {
			return fmt.Errorf("找不到统一社会信用代码为 %s 的申报单位", orgUSCC)
		}
		u.OrgID = org.ID
	}
	password, hash, generated, err := newPassword(u.Username, password)
	if err != nil {
		return err
	}
	u.PasswordHash, u.MustChangePassword = hash, generated
	if err := db.CreateUser(ctx, &u); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已创建账号 %s（%s）。\n", u.Username, u.Role.Label())
	if generated {
		fmt.Fprintf(e.stdout, "临时密码：%s（首次登录须修改）\n", password)
	}
	return nil
}

func userPasswd(ctx context.Context, e *env, args []string) error {
	c := config{}
	var password string
	fs := flagSet(e, "user passwd", "user passwd [参数] 用户名")
	fs.StringVar(&password, "password", "", "新密码（不填则生成临时密码，首次登录须修改）")
	addCommonFlags(fs, e, &c)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError{2}
	}
	db, u, err := openUser(ctx, &c, fs.Arg(0))
	if err != nil {
		return err
	}
	defer db.Close()
	password, hash, generated, err := newPassword(u.Username, password)
	if err != nil {
		return err
	}
	if err := db.SetPassword(ctx, u.ID, hash, generated); err != nil {
		return err
	}
	if err := db.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已重设 %s 的密码，其全部会话已注销。\n", u.Username)
	if generated {
		fmt.Fprintf(e.stdout, "临时密码：%s（首次登录须修改）\n", password)
	}
	return nil
}

func userDisable(ctx context.Context, e *env, verb string, args []string) error {
	c := config{}
	fs := flagSet(e, "user "+verb, "user "+verb+" [参数] 用户名")
	addCommonFlags(fs, e, &c)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError{2}
	}
	db, u, err := openUser(ctx, &c, fs.Arg(0))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SetUserDisabled(ctx, u.ID, verb == "disable"); err != nil {
		return err
	}
	if verb == "disable" {
		fmt.Fprintf(e.stdout, "已停用账号 %s。\n", u.Username)
	} else {
		fmt.Fprintf(e.stdout, "已恢复账号 %s。\n", u.Username)
	}
	return nil
}

func openUser(ctx context.Context, c *config, username string) (*store.DB, *biopilot.User, error) {
	db, err := openStore(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	u, err := db.UserByUsername(ctx, username)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("找不到账号 %s", username)
	}
	return db, u, nil
}

// newPassword is the password --password gave for username, or a generated
// temporary one (generated is true) when it is empty, checked against the
// policy, with its hash.
func newPassword(username, password string) (plain, hash string, generated bool, err error) {
	generated = password == ""
	if generated {
		password = randomPassword()
	}
	if err := auth.CheckPasswordPolicy(password, username); err != nil {
		return "", "", false, err
	}
	if hash, err = auth.HashPassword(password, auth.DefaultParams); err != nil {
		return "", "", false, err
	}
	return password, hash, generated, nil
}

// randomPassword returns a 16-character password that meets the policy: letters of
// both cases, digits and a symbol, without look-alike characters.
func randomPassword() string {
	const sets = "ABCDEFGHJKLMNPQRSTUVWXYZ" + "abcdefghijkmnpqrstuvwxyz" + "23456789"
	b := make([]byte, 0, 16)
	for _, set := range []string{"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789", "#%+=@"} {
		b = append(b, set[randInt(len(set))])
	}
	for len(b) < 16 {
		b = append(b, sets[randInt(len(sets))])
	}
	for i := len(b) - 1; i > 0; i-- {
		j := randInt(i + 1)
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return int(v.Int64())
}
