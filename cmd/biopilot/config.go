package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"biopilot/files"
	"biopilot/program"
	"biopilot/seal"
	"biopilot/store"
)

// config is the one configuration of the program, built from flags and BIOPILOT_*
// environment variables (a flag wins over its variable) and passed down.
type config struct {
	Addr          string
	DB            string
	DataDir       string
	Program       string
	LogLevel      string
	SecureCookies bool
	IdleTimeout   time.Duration
	// Files is the evidence store's URL: file:///dir (default: data-dir/files) or s3://….
	Files string
	// MasterKey encrypts signing keys at rest (hex or base64, 16 or 32 bytes). When
	// empty, a random key is kept in data-dir/master.key (mode 0600).
	MasterKey string
	// MetricsAddr, when set, serves /metrics (Prometheus) on this separate address,
	// never on the public one.
	MetricsAddr string
	// TLSCert and TLSKey, when both set, make serve speak HTTPS itself (PEM files).
	TLSCert, TLSKey string
	// TrustProxy takes the client address and scheme from the reverse proxy's
	// X-Real-IP / X-Forwarded-For / X-Forwarded-Proto headers.
	TrustProxy bool
	// MaxUploadMB limits each evidence file (50 MB by default).
	MaxUploadMB int64
}

// flagSet returns a flag set whose usage is printed in Chinese to stderr.
func flagSet(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "用法：biopilot %s\n\n参数：\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns -h into a clean exit.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitError{0}
		}
		return exitError{2}
	}
	return nil
}

// addCommonFlags registers the storage and program flags shared by serve, demo,
// migrate and user, with defaults from the environment.
func addCommonFlags(fs *flag.FlagSet, e *env, c *config) {
	fs.StringVar(&c.DB, "db", e.getenv("BIOPILOT_DB"), "数据库：sqlite:路径（默认 数据目录/biopilot.db）或 postgres://…（环境变量 BIOPILOT_DB）")
	fs.StringVar(&c.DataDir, "data-dir", envOr(e, "BIOPILOT_DATA_DIR", "biopilot-data"), "数据目录：附件与默认数据库（环境变量 BIOPILOT_DATA_DIR）")
	fs.StringVar(&c.Program, "program", e.getenv("BIOPILOT_PROGRAM"), "项目定义：内置名称 gd-2025（广东省）或 cn-2025（全国），或定义目录（默认内置 gd-2025；环境变量 BIOPILOT_PROGRAM）")
	fs.StringVar(&c.LogLevel, "log-level", envOr(e, "BIOPILOT_LOG_LEVEL", "info"), "日志级别：debug、info、warn、error（环境变量 BIOPILOT_LOG_LEVEL）")
	fs.StringVar(&c.Files, "files", e.getenv("BIOPILOT_FILES"), "佐证材料存储：file:///目录（默认 数据目录/files）或 s3://桶?region=…&endpoint=…（环境变量 BIOPILOT_FILES）")
	c.MasterKey = e.getenv("BIOPILOT_MASTER_KEY")
}

// filesURL returns the evidence store to open.
func (c *config) filesURL() string {
	if c.Files != "" {
		return c.Files
	}
	return files.DefaultURL(c.DataDir)
}

// masterKey returns the key that encrypts signing keys at rest: BIOPILOT_MASTER_KEY,
// or a random key kept in data-dir/master.key, created on first start. Production
// deployments should set the variable from a secret store, so that a copy of the
// data directory alone does not hold the keys to the seals.
func (c *config) masterKey() (seal.MasterKey, error) {
	if c.MasterKey != "" {
		return seal.ParseMasterKey(c.MasterKey)
	}
	path := filepath.Join(c.DataDir, "master.key")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return seal.MasterKey{}, err
		}
		data = []byte(hex.EncodeToString(raw) + "\n")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return seal.MasterKey{}, fmt.Errorf("无法写入签章主密钥文件 %s：%w", path, err)
		}
	} else if err != nil {
		return seal.MasterKey{}, fmt.Errorf("无法读取签章主密钥文件 %s：%w", path, err)
	}
	return seal.ParseMasterKey(string(data))
}

func envOr(e *env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(e *env, name string, def int64) int64 {
	if v, err := strconv.ParseInt(e.getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

func envBool(e *env, name string) bool {
	v := strings.ToLower(e.getenv(name))
	return v == "1" || v == "true" || v == "yes"
}

// dsn returns the database to open: --db, or SQLite under the data directory.
func (c *config) dsn() string {
	if c.DB != "" {
		return c.DB
	}
	return "sqlite:" + filepath.Join(c.DataDir, "biopilot.db")
}

// logger builds the structured logger.
func (c *config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("日志级别 %q 无效，应为 debug、info、warn 或 error", c.LogLevel)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), nil
}

// loadProgram loads --program: the name of a built-in definition (gd-2025, the
// Guangdong call; cn-2025, the ministry's national call), a definition directory
// on disk (which wins over a built-in name), or the built-in 2025 Guangdong
// program when "".
func loadProgram(path string) (*program.Program, error) {
	if path == "" {
		return program.Default()
	}
	if program.IsNamed(path) {
		if _, err := os.Stat(path); err != nil {
			return program.Named(path)
		}
	}
	return program.LoadDir(path)
}

// openStore creates the data directory, opens the database and migrates it.
func openStore(ctx context.Context, c *config) (*store.DB, error) {
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("无法创建数据目录 %s：%w", c.DataDir, err)
	}
	db, err := store.Open(ctx, c.dsn())
	if err != nil {
		return nil, fmt.Errorf("无法打开数据库：%w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("数据库迁移失败：%w", err)
	}
	return db, nil
}
