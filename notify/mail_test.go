package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"biopilot"
)

const (
	testSubject = "「示例酶制剂中试平台」被退回修改"
	testBody    = "广州市工业和信息化局于 2025-07-01 10:00 将申请退回修改。\n原因：营业执照复印件不清晰，请重新上传。" +
		" 这一行很长，用来检查正文按 76 列折行之后仍能完整还原。"
)

// parseReceived reads a received message and returns its decoded subject and body.
func parseReceived(t *testing.T, data string) (*mail.Message, string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Content-Transfer-Encoding") != "base64" ||
		msg.Header.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Fatalf("headers: %v", msg.Header)
	}
	raw, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	// The server's textproto reader turned CRLF into LF.
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if len(line) > 76 {
			t.Fatalf("body line of %d characters", len(line))
		}
	}
	body, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(text, "\n", ""))
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	return msg, subject, string(body)
}

func TestSMTPSTARTTLSWithAuth(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	srv := newSMTPServer(t, "127.0.0.1", func(s *smtpServer) { s.tls, s.auth = serverTLS, true })
	m, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.port(), Username: "biopilot", Password: "s3cret",
		From: "生物制造中试平台申报系统 <noreply@example.cn>", TLS: clientTLS})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "陈立新 <chen@example.com>", testSubject, testBody); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("%d messages received", len(got))
	}
	r := got[0]
	if !r.tls || !r.authTLS || r.user != "biopilot" || r.pass != "s3cret" {
		t.Fatalf("tls %v, auth over tls %v, credentials %q/%q", r.tls, r.authTLS, r.user, r.pass)
	}
	if r.from != "noreply@example.cn" || r.to != "chen@example.com" {
		t.Fatalf("envelope %q → %q", r.from, r.to)
	}
	msg, subject, body := parseReceived(t, r.data)
	if subject != testSubject || body != testBody {
		t.Fatalf("subject %q\nbody %q", subject, body)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || from[0].Name != "生物制造中试平台申报系统" || from[0].Address != "noreply@example.cn" {
		t.Fatalf("From %v, %v", from, err)
	}
	if msg.Header.Get("Message-ID") == "" || msg.Header.Get("Date") == "" {
		t.Fatal("no Message-ID or Date")
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	srv := newSMTPServer(t, "127.0.0.1", func(s *smtpServer) { s.tls, s.implicit = serverTLS, true })
	m, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.port(), ImplicitTLS: true,
		From: "noreply@example.cn", TLS: clientTLS})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "chen@example.com", testSubject, testBody); err != nil {
		t.Fatal(err)
	}
	if got := srv.received(); len(got) != 1 || !got[0].tls {
		t.Fatalf("received %+v", got)
	}
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	serverTLS, _ := testCert(t)
	srv := newSMTPServer(t, "127.0.0.1", func(s *smtpServer) { s.tls = serverTLS })
	m, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.port(), From: "noreply@example.cn"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "chen@example.com", "x", "y"); err == nil {
		t.Fatal("sent through a server whose certificate is not trusted")
	}
	if len(srv.received()) != 0 {
		t.Fatal("message delivered")
	}
}

func TestSMTPPlainWithoutAuth(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1", nil)
	m, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.port(), From: "noreply@example.cn"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "chen@example.com", testSubject, testBody); err != nil {
		t.Fatal(err)
	}
	got := srv.received()
	if len(got) != 1 || got[0].tls {
		t.Fatalf("received %+v", got)
	}
	if _, subject, body := parseReceived(t, got[0].data); subject != testSubject || body != testBody {
		t.Fatalf("subject %q body %q", subject, body)
	}
}

func TestSMTPNoPasswordInClear(t *testing.T) {
	// Not localhost (net/smtp lets plain credentials go to localhost only): a
	// server without STARTTLS never sees the password.
	srv := newSMTPServer(t, "127.0.0.2", func(s *smtpServer) { s.auth = true })
	m, err := NewSMTP(SMTPConfig{Host: "127.0.0.2", Port: srv.port(), Username: "biopilot", Password: "s3cret",
		From: "noreply@example.cn"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), "chen@example.com", "x", "y"); err == nil {
		t.Fatal("authenticated over an unencrypted connection")
	}
	if len(srv.received()) != 0 {
		t.Fatal("message delivered")
	}
}

func TestSMTPAuthNotOffered(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1", nil)
	m, _ := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.port(), Username: "u", Password: "p", From: "noreply@example.cn"})
	if err := m.Send(context.Background(), "chen@example.com", "x", "y"); err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("err = %v", err)
	}
}

func TestSMTPRecipientRefused(t *testing.T) {
	srv := newSMTPServer(t, "127.0.0.1", func(s *smtpServer) { s.rejectTo = "nobody@example.com" })
	m, _ := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.port(), From: "noreply@example.cn"})
	if err := m.Send(context.Background(), "nobody@example.com", "x", "y"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("err = %v", err)
	}
}

func TestSMTPBadInput(t *testing.T) {
	m, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: 1, From: "noreply@example.cn"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ to, subject, field string }{
		{"not an address", "x", "email"},
		{"a@example.com\r\nBcc: b@example.com", "x", "email"},
		{"a@example.com", "x\r\nBcc: b@example.com", "subject"},
	} {
		err := m.Send(context.Background(), tt.to, tt.subject, "y")
		if e := biopilot.AsError(err); e == nil || e.Code != biopilot.EINVALID || e.Field != tt.field {
			t.Errorf("Send(%q, %q) = %v, want EINVALID on %s", tt.to, tt.subject, err, tt.field)
		}
	}
	for _, c := range []SMTPConfig{{From: "a@example.com"}, {Host: "h", From: "not an address"}, {Host: "h", Port: 70000, From: "a@example.com"}} {
		if _, err := NewSMTP(c); biopilot.ErrorCode(err) != biopilot.EINVALID {
			t.Errorf("NewSMTP(%+v) = %v", c, err)
		}
	}
}

func TestSMTPStalledServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept and say nothing
		}
	}()
	m, _ := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "noreply@example.cn"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := m.Send(ctx, "chen@example.com", "x", "y"); err == nil {
		t.Fatal("sent to a server that never answered")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ConfigFromEnv(env(nil))
	if c != nil || err != nil {
		t.Fatalf("unset: %v, %v", c, err)
	}
	c, err = ConfigFromEnv(env(map[string]string{"BIOPILOT_SMTP_HOST": "smtp.example.cn", "BIOPILOT_SMTP_PORT": "465",
		"BIOPILOT_SMTP_USERNAME": "u", "BIOPILOT_SMTP_PASSWORD": "p", "BIOPILOT_SMTP_FROM": "noreply@example.cn"}))
	if err != nil || c.Host != "smtp.example.cn" || c.Port != 465 || c.Username != "u" || c.Password != "p" || c.From != "noreply@example.cn" {
		t.Fatalf("%+v, %v", c, err)
	}
	if _, err := ConfigFromEnv(env(map[string]string{"BIOPILOT_SMTP_HOST": "h", "BIOPILOT_SMTP_PORT": "smtp"})); biopilot.ErrorCode(err) != biopilot.EINVALID {
		t.Fatalf("bad port: %v", err)
	}
	m, err := NewMailer(nil, nil)
	if _, ok := m.(*LogMailer); !ok || err != nil {
		t.Fatalf("NewMailer(nil) = %T, %v", m, err)
	}
	m, err = NewMailer(&SMTPConfig{Host: "h", Port: 465, From: "noreply@example.cn"}, nil)
	if s, ok := m.(*SMTPMailer); !ok || err != nil || !s.c.ImplicitTLS {
		t.Fatalf("NewMailer = %T, %v", m, err)
	}
}

func TestLogMailer(t *testing.T) {
	var buf bytes.Buffer
	m := &LogMailer{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	if err := m.Send(context.Background(), "chen@example.com", testSubject, "重置密码链接：https://x/secret"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "chen@example.com") || !strings.Contains(out, testSubject) {
		t.Fatalf("log %q", out)
	}
	if strings.Contains(out, "secret") {
		t.Fatalf("the body was logged at info level: %q", out)
	}
}
