package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"biopilot"
	"biopilot/files"
	"biopilot/store"
)

// A backup is a directory:
//
//	backup.json   the manifest (backupManifest), written last: a directory without
//	              it is an unfinished backup
//	biopilot.db   a consistent snapshot of the SQLite database (VACUUM INTO)
//	files/        the evidence files, laid out as in the data directory
//	              (files/sha256/ab/cd/abcd…), each checked against its SHA-256
//	master.key    the master key file of the data directory, when there is one
//
// PostgreSQL deployments back up with pg_dump and copy the evidence store with the
// storage's own tools; backup and restore say so.

const backupFormat = "biopilot-backup/1"

// backupManifest is backup.json.
type backupManifest struct {
	Format    string `json:"format"`
	CreatedAt string `json:"created_at"`
	Version   string `json:"biopilot_version"`
	Database  struct {
		File   string           `json:"file"`
		Size   int64            `json:"size"`
		SHA256 string           `json:"sha256"`
		Counts map[string]int64 `json:"counts"`
	} `json:"database"`
	Files struct {
		Dir   string       `json:"dir"`
		Count int          `json:"count"`
		Bytes int64        `json:"bytes"`
		List  []backupFile `json:"list"`
	} `json:"files"`
	// MasterKey names the copy of data-dir/master.key, "" when the key comes from
	// BIOPILOT_MASTER_KEY (and must be kept apart).
	MasterKey string `json:"master_key"`
	// Missing lists evidence files the database refers to that the store lacked.
	Missing []string `json:"missing_files,omitempty"`
}

type backupFile struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

const pgBackupHint = "PostgreSQL 数据库请用其自带工具备份与恢复：pg_dump -Fc -f biopilot.dump \"$BIOPILOT_DB\"，" +
	"恢复用 pg_restore -d 新数据库 biopilot.dump；附件存储（--files）请另行复制（本地目录可用 rsync -a，S3 用存储自带的复制或版本功能）。"

// sqliteDirArgs parses the common flags of backup and restore (into c) and
// their one directory argument, and returns that directory and the path of
// the SQLite database. A PostgreSQL database gets the pg_dump hint; exit code 2.
func sqliteDirArgs(e *env, fs *flag.FlagSet, c *config, args []string) (dir, dbPath string, err error) {
	addCommonFlags(fs, e, c)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", "", exitError{2}
	}
	dbPath, ok := sqlitePath(c.dsn())
	if !ok {
		fmt.Fprintf(e.stderr, "biopilot %s：%s\n", fs.Name(), pgBackupHint)
		return "", "", exitError{2}
	}
	return pos[0], dbPath, nil
}

// cmdBackup writes a consistent backup of a SQLite deployment while it runs.
func cmdBackup(ctx context.Context, e *env, args []string) error {
	c := config{}
	fs := flagSet(e, "backup", "backup [--data-dir 数据目录] [--db …] 备份目录\n\n"+
		"在服务运行期间写出一致的备份：数据库快照（VACUUM INTO）、全部佐证材料（逐个核对 SHA-256）、\n"+
		"数据目录中的签章主密钥文件（如有），以及清单 backup.json。备份目录必须不存在或为空。\n"+
		"仅适用于 SQLite；PostgreSQL 请使用 pg_dump。")
	out, dbPath, err := sqliteDirArgs(e, fs, &c, args)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("数据库 %s 不存在或无法读取：%w", dbPath, err)
	}
	if err := emptyDir(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return fmt.Errorf("无法创建备份目录：%w", err)
	}

	// The database first, then the files: content is stored before any row refers
	// to it, so every file the snapshot refers to is in the store when it is walked.
	var m backupManifest
	m.Format, m.Version = backupFormat, Version
	m.CreatedAt = time.Now().In(biopilot.Beijing).Format(time.RFC3339)
	db, err := store.Open(ctx, "sqlite:"+dbPath)
	if err != nil {
		return fmt.Errorf("无法打开数据库：%w", err)
	}
	m.Database.File = "biopilot.db"
	err = db.BackupTo(ctx, filepath.Join(out, m.Database.File))
	db.Close()
	if err != nil {
		return fmt.Errorf("数据库备份失败：%w", err)
	}
	referenced, err := inspectBackupDB(ctx, filepath.Join(out, m.Database.File), &m)
	if err != nil {
		return err
	}

	fstore, err := files.Open(ctx, c.filesURL())
	if err != nil {
		return fmt.Errorf("无法打开佐证材料存储：%w", err)
	}
	defer fstore.Close()
	m.Files.Dir = "files"
	var sums []string
	if err := fstore.Walk(ctx, func(sum string, size int64, _ time.Time) error {
		sums = append(sums, sum)
		return nil
	}); err != nil {
		return fmt.Errorf("无法列出佐证材料：%w", err)
	}
	sort.Strings(sums)
	m.Files.List = []backupFile{}
	copied := map[string]bool{}
	for _, sum := range sums {
		n, err := backupBlob(ctx, fstore, sum, filepath.Join(out, m.Files.Dir, filepath.FromSlash(files.Key(sum))))
		if err != nil {
			return err
		}
		m.Files.List = append(m.Files.List, backupFile{SHA256: sum, Size: n})
		m.Files.Count++
		m.Files.Bytes += n
		copied[sum] = true
	}
	for sum := range referenced {
		if !copied[sum] {
			m.Missing = append(m.Missing, sum)
		}
	}
	sort.Strings(m.Missing)

	keyNote := "签章主密钥来自环境变量 BIOPILOT_MASTER_KEY，未写入备份：请另行妥善保管，恢复后须配置同一密钥。"
	if c.MasterKey == "" {
		src := filepath.Join(c.DataDir, "master.key")
		if _, err := os.Stat(src); err == nil {
			m.MasterKey = "master.key"
			if _, _, err := copyHashed(src, filepath.Join(out, m.MasterKey), 0o600); err != nil {
				return fmt.Errorf("无法备份签章主密钥文件：%w", err)
			}
			keyNote = "备份中含签章主密钥文件 master.key：请像保管密钥一样保管此备份。"
		} else {
			keyNote = "数据目录中没有签章主密钥文件。"
		}
	}

	if err := writeManifest(filepath.Join(out, "backup.json"), &m); err != nil {
		return err
	}
	counts := m.Database.Counts
	fmt.Fprintf(e.stdout, "备份完成：%s\n数据库：%d 字节，SHA-256 %s\n", out, m.Database.Size, m.Database.SHA256)
	fmt.Fprintf(e.stdout, "  单位 %d 个，用户 %d 个，申请 %d 项（历史版本 %d 个），附件记录 %d 条，审计记录 %d 条\n",
		counts["organisations"], counts["users"], counts["applications"], counts["application_versions"],
		counts["attachments"], counts["audit_log"])
	fmt.Fprintf(e.stdout, "佐证材料：%d 个文件，共 %d 字节，SHA-256 全部相符\n%s\n", m.Files.Count, m.Files.Bytes, keyNote)
	if len(m.Missing) > 0 {
		fmt.Fprintf(e.stderr, "biopilot backup：警告：数据库引用的 %d 个佐证材料在存储中不存在（已记入 backup.json 的 missing_files）：%s\n",
			len(m.Missing), strings.Join(m.Missing, "、"))
		return exitError{1}
	}
	return nil
}

// inspectBackupDB fills the manifest's database entry from the snapshot and
// returns the evidence files it refers to. The snapshot is hashed after it was
// opened and closed: opening it sets its journal mode, which changes its header.
func inspectBackupDB(ctx context.Context, path string, m *backupManifest) (map[string]bool, error) {
	cp, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return nil, fmt.Errorf("无法打开数据库快照：%w", err)
	}
	m.Database.Counts, err = cp.Counts(ctx)
	var refs map[string]bool
	if err == nil {
		refs, err = cp.ReferencedHashes(ctx)
	}
	if cerr := cp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("无法读取数据库快照：%w", err)
	}
	// Closing the last connection checkpoints and removes the write-ahead log; a
	// log left with content would mean the snapshot file alone is incomplete.
	for _, side := range []string{path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(side); err == nil {
			if strings.HasSuffix(side, "-wal") && fi.Size() > 0 {
				return nil, fmt.Errorf("数据库快照的预写日志 %s 未能合并", side)
			}
			os.Remove(side)
		}
	}
	if m.Database.Size, m.Database.SHA256, err = hashFile(path); err != nil {
		return nil, err
	}
	return refs, nil
}

// backupBlob copies one stored file to dst, checking its SHA-256.
func backupBlob(ctx context.Context, fstore *files.Store, sum, dst string) (int64, error) {
	r, err := fstore.Open(ctx, sum)
	if err != nil {
		return 0, fmt.Errorf("无法读取佐证材料 %s：%w", sum, err)
	}
	defer r.Close()
	n, got, err := writeHashed(r, dst, 0o600)
	if err != nil {
		return 0, fmt.Errorf("无法备份佐证材料 %s：%w", sum, err)
	}
	if got != sum {
		os.Remove(dst)
		return 0, fmt.Errorf("佐证材料 %s 的内容与其 SHA-256 不符（实际为 %s）：存储中的文件已损坏", sum, got)
	}
	return n, nil
}

// cmdRestore brings a backup back into an empty data directory.
func cmdRestore(ctx context.Context, e *env, args []string) error {
	c := config{}
	fs := flagSet(e, "restore", "restore 备份目录 --data-dir 数据目录\n\n"+
		"把 biopilot backup 写出的备份恢复到一个空的数据目录（不存在时创建），\n"+
		"逐个核对数据库与佐证材料的 SHA-256，并核对记录数与审计日志。仅适用于 SQLite。")
	src, dbPath, err := sqliteDirArgs(e, fs, &c, args)
	if err != nil {
		return err
	}
	filesDir, err := localDir(c.filesURL())
	if err != nil {
		fmt.Fprintf(e.stderr, "biopilot restore：%v\n", err)
		return exitError{2}
	}
	var m backupManifest
	data, err := os.ReadFile(filepath.Join(src, "backup.json"))
	if err != nil {
		return fmt.Errorf("%s 不是完整的备份（没有 backup.json）：%w", src, err)
	}
	if err := json.Unmarshal(data, &m); err != nil || m.Format != backupFormat {
		return fmt.Errorf("%s/backup.json 不是 %s 格式的备份清单", src, backupFormat)
	}
	if err := emptyDir(c.DataDir); err != nil {
		return err
	}
	if _, err := os.Lstat(dbPath); err == nil {
		return fmt.Errorf("数据库文件 %s 已存在，恢复不会覆盖它", dbPath)
	}
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return fmt.Errorf("无法创建数据目录：%w", err)
	}
	if err := restoreInto(ctx, e, src, &m, &c, dbPath, filesDir); err != nil {
		// The directory was empty: remove what was written, so that a retry can
		// start over.
		if entries, rerr := os.ReadDir(c.DataDir); rerr == nil {
			for _, en := range entries {
				os.RemoveAll(filepath.Join(c.DataDir, en.Name()))
			}
		}
		os.Remove(dbPath)
		return fmt.Errorf("%w（已清除写入一半的数据，数据目录恢复为空）", err)
	}
	return nil
}

func restoreInto(ctx context.Context, e *env, src string, m *backupManifest, c *config, dbPath, filesDir string) error {
	n, sum, err := copyHashed(filepath.Join(src, m.Database.File), dbPath, 0o600)
	if err != nil {
		return fmt.Errorf("无法恢复数据库：%w", err)
	}
	if sum != m.Database.SHA256 || n != m.Database.Size {
		return fmt.Errorf("备份中的数据库与清单不符（SHA-256 %s，清单为 %s）：备份已损坏", sum, m.Database.SHA256)
	}
	var bytes int64
	for _, f := range m.Files.List {
		if !files.ValidSHA256(f.SHA256) {
			return fmt.Errorf("备份清单中的附件摘要 %q 无效", f.SHA256)
		}
		key := filepath.FromSlash(files.Key(f.SHA256))
		n, sum, err := copyHashed(filepath.Join(src, m.Files.Dir, key), filepath.Join(filesDir, key), 0o640)
		if err != nil {
			return fmt.Errorf("无法恢复佐证材料 %s：%w", f.SHA256, err)
		}
		if sum != f.SHA256 || n != f.Size {
			return fmt.Errorf("备份中的佐证材料 %s 内容不符（实际 SHA-256 为 %s）：备份已损坏", f.SHA256, sum)
		}
		bytes += n
	}
	if m.MasterKey != "" {
		if _, _, err := copyHashed(filepath.Join(src, m.MasterKey), filepath.Join(c.DataDir, "master.key"), 0o600); err != nil {
			return fmt.Errorf("无法恢复签章主密钥文件：%w", err)
		}
	}

	// Read back what was restored, through the store and the files package.
	db, err := store.Open(ctx, "sqlite:"+dbPath)
	if err != nil {
		return fmt.Errorf("无法打开恢复的数据库：%w", err)
	}
	defer db.Close()
	var check string
	if err := db.SQL().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		return fmt.Errorf("恢复的数据库未通过完整性检查：%s %v", check, err)
	}
	counts, err := db.Counts(ctx)
	if err != nil {
		return err
	}
	for table, want := range m.Database.Counts {
		if counts[table] != want {
			return fmt.Errorf("恢复的数据库中 %s 有 %d 条记录，清单为 %d 条", table, counts[table], want)
		}
	}
	audit, err := db.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("恢复的审计日志不完整：%s", biopilot.ErrorMessage(err))
	}
	fstore, err := files.Open(ctx, files.DirURL(filesDir))
	if err != nil {
		return err
	}
	defer fstore.Close()
	for _, f := range m.Files.List {
		if ok, err := fstore.Exists(ctx, f.SHA256); err != nil || !ok {
			return fmt.Errorf("恢复后读不到佐证材料 %s：%v", f.SHA256, err)
		}
	}
	fmt.Fprintf(e.stdout, "恢复完成：%s\n数据库：SHA-256 相符，完整性检查通过；申请 %d 项，审计记录 %d 条（哈希链完整）\n",
		c.DataDir, counts["applications"], audit)
	fmt.Fprintf(e.stdout, "佐证材料：%d 个文件，共 %d 字节，SHA-256 全部相符\n", len(m.Files.List), bytes)
	if m.MasterKey == "" {
		fmt.Fprintln(e.stdout, "备份中没有签章主密钥文件：请配置备份时所用的 BIOPILOT_MASTER_KEY，否则无法使用已有的签章。")
	}
	if len(m.Missing) > 0 {
		fmt.Fprintf(e.stdout, "注意：备份时已缺失 %d 个佐证材料（见 backup.json 的 missing_files）。\n", len(m.Missing))
	}
	return nil
}

// parseInterspersed parses flags given before, between or after the positional
// arguments ("restore DIR --data-dir D"), and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// sqlitePath returns the file of a SQLite DSN, or false for PostgreSQL.
func sqlitePath(dsn string) (string, bool) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return "", false
	}
	return strings.TrimPrefix(dsn, "sqlite:"), true
}

// localDir returns the directory of a file:// evidence store URL.
func localDir(rawurl string) (string, error) {
	u, err := url.Parse(rawurl)
	if err != nil || u.Scheme != "file" {
		return "", fmt.Errorf("恢复只支持本地目录的附件存储（file://），不支持 %s；S3 存储请用其自带工具恢复", rawurl)
	}
	return filepath.FromSlash(u.Path), nil
}

// emptyDir succeeds when dir does not exist or is an empty directory.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("无法读取目录 %s：%w", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("目录 %s 不是空的：只能写入不存在或空的目录，不会覆盖已有内容", dir)
	}
	return nil
}

// writeHashed writes r to a new file dst (its directories created), synced, and
// returns its size and SHA-256.
func writeHashed(r io.Reader, dst string, perm os.FileMode) (int64, string, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return 0, "", err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// copyHashed copies the file src to a new file dst and returns the size and
// SHA-256 of what it copied.
func copyHashed(src, dst string, perm os.FileMode) (int64, string, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	return writeHashed(f, dst, perm)
}

// hashFile returns the size and SHA-256 of a file.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// writeManifest writes the manifest to a temporary file and renames it into
// place: backup.json appears complete or not at all.
func writeManifest(path string, m *backupManifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("无法写入备份清单：%w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("无法写入备份清单：%w", err)
	}
	return nil
}
