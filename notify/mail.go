package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"biopilot"
)

// Mailer sends one e-mail. body is plain text.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// SMTPConfig configures sending e-mail through an SMTP server.
type SMTPConfig struct {
	Host string
	Port int // default 587 (465 when ImplicitTLS)
	// ImplicitTLS speaks TLS from the first byte (SMTPS, usually port 465) instead
	// of upgrading with STARTTLS; port 465 implies it.
	ImplicitTLS bool
	Username    string // empty: no authentication
	Password    string
	From        string // e.g. "生物制造中试平台申报系统 <noreply@example.cn>"
	// TLS, when set, is the TLS configuration (custom roots); ServerName defaults
	// to Host.
	TLS *tls.Config
	// Timeout bounds a whole delivery when ctx has no earlier deadline; default 30 s.
	Timeout time.Duration
}

// ConfigFromEnv reads BIOPILOT_SMTP_HOST, _PORT, _USERNAME, _PASSWORD and _FROM
// (port 465 means SMTPS, any other STARTTLS when the server offers it). It
// returns nil when BIOPILOT_SMTP_HOST is empty: e-mail is then only logged.
func ConfigFromEnv(getenv func(string) string) (*SMTPConfig, error) {
	host := strings.TrimSpace(getenv("BIOPILOT_SMTP_HOST"))
	if host == "" {
		return nil, nil
	}
	c := &SMTPConfig{Host: host, Username: getenv("BIOPILOT_SMTP_USERNAME"),
		Password: getenv("BIOPILOT_SMTP_PASSWORD"), From: getenv("BIOPILOT_SMTP_FROM")}
	if p := strings.TrimSpace(getenv("BIOPILOT_SMTP_PORT")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, biopilot.FieldErrorf("BIOPILOT_SMTP_PORT", "SMTP 端口「%s」无效", p)
		}
		c.Port = n
	}
	return c, nil
}

// NewMailer returns an SMTP mailer for c, or, when c is nil, a mailer that only
// logs what it would have sent.
func NewMailer(c *SMTPConfig, logger *slog.Logger) (Mailer, error) {
	if c == nil {
		return &LogMailer{Logger: logger}, nil
	}
	return NewSMTP(*c)
}

// SMTPMailer sends e-mail through an SMTP server: STARTTLS whenever the server
// offers it, and authentication (PLAIN) only over TLS or to the local host.
type SMTPMailer struct {
	c    SMTPConfig
	from *mail.Address
}

// NewSMTP checks c and returns its mailer.
func NewSMTP(c SMTPConfig) (*SMTPMailer, error) {
	c.Host = strings.TrimSpace(c.Host)
	if c.Host == "" {
		return nil, biopilot.FieldErrorf("smtp.host", "请配置 SMTP 服务器地址")
	}
	if c.Port == 0 {
		c.Port = 587
		if c.ImplicitTLS {
			c.Port = 465
		}
	}
	if c.Port == 465 {
		c.ImplicitTLS = true
	}
	if c.Port < 0 || c.Port > 65535 {
		return nil, biopilot.FieldErrorf("smtp.port", "SMTP 端口 %d 无效", c.Port)
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, biopilot.FieldErrorf("smtp.from", "发件人地址「%s」无效", c.From)
	}
	return &SMTPMailer{c: c, from: from}, nil
}

// Send delivers one message.
func (m *SMTPMailer) Send(ctx context.Context, to, subject, body string) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return biopilot.FieldErrorf("email", "收件人地址「%s」无效", to)
	}
	if strings.ContainsAny(subject, "\r\n") {
		return biopilot.FieldErrorf("subject", "邮件标题不能换行")
	}
	msg, err := m.message(rcpt, subject, body)
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.c.Timeout)
		defer cancel()
	}
	addr := net.JoinHostPort(m.c.Host, strconv.Itoa(m.c.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("notify: smtp %s: %w", addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if m.c.ImplicitTLS {
		conn = tls.Client(conn, m.tlsConfig())
	}
	if err := m.deliver(conn, rcpt.Address, msg); err != nil {
		return fmt.Errorf("notify: smtp %s: %w", addr, err)
	}
	return nil
}

func (m *SMTPMailer) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.c.TLS != nil {
		cfg = m.c.TLS.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = m.c.Host
	}
	return cfg
}

func (m *SMTPMailer) deliver(conn net.Conn, to string, msg []byte) error {
	c, err := smtp.NewClient(conn, m.c.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return err
		}
	}
	if m.c.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("the server does not offer AUTH, but a username is configured")
		}
		// PlainAuth refuses to send the password unencrypted except to localhost.
		if err := c.Auth(smtp.PlainAuth("", m.c.Username, m.c.Password, m.c.Host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// message builds the RFC 5322 message: UTF-8 text, base64 encoded, the subject
// and names encoded as RFC 2047 words.
func (m *SMTPMailer) message(to *mail.Address, subject, body string) ([]byte, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	domain := m.from.Address[strings.LastIndexByte(m.from.Address, '@')+1:]
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", m.from.String())
	header("To", to.String())
	header("Subject", mime.BEncoding.Encode("UTF-8", subject))
	header("Date", time.Now().Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes(), nil
}

// LogMailer stands in for e-mail when no SMTP server is configured: it logs who
// would have received what (the body only at debug level, since it may hold
// links meant for the recipient alone).
type LogMailer struct {
	Logger *slog.Logger // nil: slog.Default()
}

// Send logs the message.
func (m *LogMailer) Send(ctx context.Context, to, subject, body string) error {
	l := m.Logger
	if l == nil {
		l = slog.Default()
	}
	l.InfoContext(ctx, "e-mail not sent: SMTP is not configured", "to", to, "subject", subject)
	l.DebugContext(ctx, "e-mail body", "to", to, "body", body)
	return nil
}
