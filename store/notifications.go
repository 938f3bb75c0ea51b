package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"biopilot"
)

// Notification is an in-app message to one person (站内消息).
type Notification struct {
	ID        int64
	UserID    int64
	Kind      string // see package notify for the kinds
	Title     string
	Body      string
	Link      string // a path in the application, e.g. /applications/12
	CreatedAt time.Time
	ReadAt    time.Time // zero while unread
}

// AddNotification inserts n and sets n.ID and n.CreatedAt (now when zero). A user
// that does not exist is EINVALID.
func (db *DB) AddNotification(ctx context.Context, n *Notification) error {
	return addNotification(ctx, db, db.q(), n)
}

func addNotification(ctx context.Context, db *DB, q q, n *Notification) error {
	if strings.TrimSpace(n.Kind) == "" {
		return biopilot.FieldErrorf("kind", "通知缺少类型")
	}
	if strings.TrimSpace(n.Title) == "" {
		return biopilot.FieldErrorf("title", "通知缺少标题")
	}
	at := db.stamp(n.CreatedAt)
	var id int64
	err := q.queryRow(ctx, `INSERT INTO notifications (user_id, kind, title, body, link, created_at, read_at)
		VALUES (?, ?, ?, ?, ?, ?, 0) RETURNING id`,
		n.UserID, n.Kind, n.Title, n.Body, n.Link, ms(at)).Scan(&id)
	if isForeignKeyViolation(err) {
		return biopilot.FieldErrorf("user_id", "接收通知的用户不存在")
	} else if err != nil {
		return fmt.Errorf("store: add notification: %w", err)
	}
	n.ID, n.CreatedAt, n.ReadAt = id, at, time.Time{}
	return nil
}

// AddNotificationOnce records key in notification_sent and inserts n in one
// transaction, unless key was recorded already: then it does nothing and returns
// false. Reminders use it to be sent once, whatever the instances running them.
func (db *DB) AddNotificationOnce(ctx context.Context, key string, n *Notification) (bool, error) {
	if key == "" {
		return false, biopilot.FieldErrorf("key", "通知去重键为空")
	}
	first := false
	err := db.inTx(ctx, func(q q) error {
		var err error
		if first, err = markSent(ctx, db, q, key); err != nil || !first {
			return err
		}
		return addNotification(ctx, db, q, n)
	})
	if err != nil {
		return false, err
	}
	return first, nil
}

// Notifications lists a user's notifications, newest first; unreadOnly leaves out
// those read. limit defaults to 50 and is at most 500.
func (db *DB) Notifications(ctx context.Context, userID int64, unreadOnly bool, n int) ([]*Notification, error) {
	query := `SELECT id, user_id, kind, title, body, link, created_at, read_at
		FROM notifications WHERE user_id = ?`
	if unreadOnly {
		query += ` AND read_at = 0`
	}
	return queryAll(ctx, db.q(), "notifications", wrapScan("notifications", func(s scanner) (*Notification, error) {
		var x Notification
		var created, read int64
		if err := s.Scan(&x.ID, &x.UserID, &x.Kind, &x.Title, &x.Body, &x.Link, &created, &read); err != nil {
			return nil, err
		}
		x.CreatedAt, x.ReadAt = fromMS(created), fromMS(read)
		return &x, nil
	}), query+` ORDER BY id DESC LIMIT ?`, userID, limit(n))
}

// MarkRead marks one of the user's notifications read (keeping the first time it
// was read). Another user's notification, or one that does not exist, is
// ENOTFOUND.
func (db *DB) MarkRead(ctx context.Context, userID, id int64) error {
	res, err := db.q().exec(ctx, `UPDATE notifications
		SET read_at = CASE WHEN read_at = 0 THEN ? ELSE read_at END
		WHERE id = ? AND user_id = ?`, ms(db.now()), id, userID)
	if err != nil {
		return fmt.Errorf("store: mark read: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return biopilot.Errorf(biopilot.ENOTFOUND, "通知不存在")
	}
	return nil
}

// MarkAllRead marks every unread notification of the user read and returns how
// many.
func (db *DB) MarkAllRead(ctx context.Context, userID int64) (int64, error) {
	res, err := db.q().exec(ctx, `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at = 0`,
		ms(db.now()), userID)
	if err != nil {
		return 0, fmt.Errorf("store: mark all read: %w", err)
	}
	return res.RowsAffected()
}

// UnreadCount returns the number of the user's unread notifications.
func (db *DB) UnreadCount(ctx context.Context, userID int64) (int, error) {
	var n int
	if err := db.q().queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at = 0`,
		userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: unread count: %w", err)
	}
	return n, nil
}

// SetMute mutes (or unmutes) e-mail of one kind for a user. In-app notifications
// are always recorded. Setting what is set already does nothing.
func (db *DB) SetMute(ctx context.Context, userID int64, kind string, muted bool) error {
	if strings.TrimSpace(kind) == "" {
		return biopilot.FieldErrorf("kind", "请选择通知类型")
	}
	if !muted {
		if _, err := db.q().exec(ctx, `DELETE FROM notification_mutes WHERE user_id = ? AND kind = ?`,
			userID, kind); err != nil {
			return fmt.Errorf("store: unmute: %w", err)
		}
		return nil
	}
	_, err := db.q().exec(ctx, `INSERT INTO notification_mutes (user_id, kind) VALUES (?, ?)
		ON CONFLICT (user_id, kind) DO NOTHING`, userID, kind)
	if isForeignKeyViolation(err) {
		return errUserNotFound()
	} else if err != nil {
		return fmt.Errorf("store: mute: %w", err)
	}
	return nil
}

// Mutes returns the kinds a user muted for e-mail.
func (db *DB) Mutes(ctx context.Context, userID int64) (map[string]bool, error) {
	rows, err := db.q().query(ctx, `SELECT kind FROM notification_mutes WHERE user_id = ? ORDER BY kind`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: mutes: %w", err)
	}
	defer rows.Close()
	mutes := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("store: mutes: %w", err)
		}
		mutes[k] = true
	}
	return mutes, rows.Err()
}

// MarkSent records key as sent and reports whether this was the first time.
// Concurrent calls with one key: exactly one gets true.
func (db *DB) MarkSent(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, biopilot.FieldErrorf("key", "通知去重键为空")
	}
	return markSent(ctx, db, db.q(), key)
}

func markSent(ctx context.Context, db *DB, q q, key string) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO notification_sent (key, sent_at) VALUES (?, ?)
		ON CONFLICT (key) DO NOTHING`, key, ms(db.now()))
	if err != nil {
		return false, fmt.Errorf("store: mark sent: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: mark sent: %w", err)
	}
	return n == 1, nil
}
