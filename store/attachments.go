package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"biopilot"
	"biopilot/seal"
)

// Attachment is one evidence file (佐证材料) of an application: the content lives in
// the files store under its SHA-256; the document lists attachment ids by category
// in evidence.<category>. Its SM3, computed at upload with the SHA-256, lets a
// package copy the content without hashing it again (seal.PackageWriter.AddFileHashed).
type Attachment struct {
	ID            int64
	ApplicationID int64
	Category      string // license, site, utilities, … (form.md, Evidence)
	SHA256        string // lower-case hex: the content address in the files store
	SM3           string // lower-case hex, computed at upload with the SHA-256; "" if uploaded before
	Filename      string // for display only
	Size          int64
	Kind          string // the files package's kind (pdf, jpeg, …)
	MediaType     string
	UploadedBy    int64
	UploadedAt    time.Time
	// RemovedAt is when the applicant removed it (zero while attached). The row and
	// the content stay: a submitted snapshot may refer to them.
	RemovedAt time.Time
}

// AddAttachment inserts a and sets a.ID and a.UploadedAt (now when zero). An
// application that does not exist is ENOTFOUND; a missing category or a malformed
// SHA-256 or SM3 is EINVALID.
func (db *DB) AddAttachment(ctx context.Context, a *Attachment) error {
	if strings.TrimSpace(a.Category) == "" {
		return biopilot.FieldErrorf("category", "请选择佐证材料的类别")
	}
	if !seal.LowerHex256(a.SHA256) {
		return biopilot.FieldErrorf("sha256", "附件摘要应为 64 位小写十六进制 SHA-256")
	}
	if a.SM3 != "" && !seal.LowerHex256(a.SM3) {
		return biopilot.FieldErrorf("sm3", "附件摘要应为 64 位小写十六进制 SM3")
	}
	if a.Size < 0 {
		return biopilot.FieldErrorf("size", "附件大小无效")
	}
	at := db.stamp(a.UploadedAt)
	var id int64
	err := db.q().queryRow(ctx, `INSERT INTO attachments
		(application_id, category, sha256, sm3, filename, size, kind, media_type, uploaded_by, uploaded_at, removed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id`,
		a.ApplicationID, a.Category, a.SHA256, a.SM3, a.Filename, a.Size, a.Kind, a.MediaType,
		nullID(a.UploadedBy), ms(at)).Scan(&id)
	if isForeignKeyViolation(err) {
		if _, gerr := db.Application(ctx, a.ApplicationID); gerr != nil {
			return gerr
		}
		return biopilot.FieldErrorf("uploaded_by", "上传人不存在")
	} else if err != nil {
		return fmt.Errorf("store: add attachment: %w", err)
	}
	a.ID, a.UploadedAt, a.RemovedAt = id, at, time.Time{}
	return nil
}

const attachmentColumns = `id, application_id, category, sha256, sm3, filename, size, kind, media_type,
	uploaded_by, uploaded_at, removed_at`

// Attachment returns an attachment by id, removed or not (a snapshot may refer to
// a removed one).
func (db *DB) Attachment(ctx context.Context, id int64) (*Attachment, error) {
	return scanAttachment(db.q().queryRow(ctx, `SELECT `+attachmentColumns+` FROM attachments WHERE id = ?`, id))
}

// Attachments lists the attachments of an application that were not removed, in
// the order they were added.
func (db *DB) Attachments(ctx context.Context, applicationID int64) ([]*Attachment, error) {
	return queryAll(ctx, db.q(), "attachments", scanAttachment, `SELECT `+attachmentColumns+` FROM attachments
		WHERE application_id = ? AND removed_at = 0 ORDER BY id`, applicationID)
}

func scanAttachment(s scanner) (*Attachment, error) {
	var (
		a                 Attachment
		by                sql.NullInt64
		uploaded, removed int64
	)
	err := s.Scan(&a.ID, &a.ApplicationID, &a.Category, &a.SHA256, &a.SM3, &a.Filename, &a.Size, &a.Kind,
		&a.MediaType, &by, &uploaded, &removed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errAttachmentNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: attachment: %w", err)
	}
	a.UploadedBy, a.UploadedAt, a.RemovedAt = idOf(by), fromMS(uploaded), fromMS(removed)
	return &a, nil
}

func errAttachmentNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "附件不存在") }

// RemoveAttachment removes an attachment of an application (at: now when zero).
// It is soft: the row keeps its content hash, and the content stays in the files
// store, because a submitted snapshot may refer to it. An attachment that is not
// the application's, or is removed already, is ENOTFOUND.
func (db *DB) RemoveAttachment(ctx context.Context, applicationID, id int64, at time.Time) error {
	res, err := db.q().exec(ctx, `UPDATE attachments SET removed_at = ?
		WHERE id = ? AND application_id = ? AND removed_at = 0`, ms(db.stamp(at)), id, applicationID)
	if err != nil {
		return fmt.Errorf("store: remove attachment: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errAttachmentNotFound()
	}
	return nil
}

// ReferencedHashes returns the SHA-256 of every content an attachment refers to,
// removed or not: a sweep of the files store may delete only the others (and
// should spare recent files, whose attachment may not be committed yet).
func (db *DB) ReferencedHashes(ctx context.Context) (map[string]bool, error) {
	rows, err := db.q().query(ctx, `SELECT DISTINCT sha256 FROM attachments`)
	if err != nil {
		return nil, fmt.Errorf("store: referenced hashes: %w", err)
	}
	defer rows.Close()
	hashes := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("store: referenced hashes: %w", err)
		}
		hashes[h] = true
	}
	return hashes, rows.Err()
}

// AttachmentHashesWithoutSM3 returns, in ascending order, up to limit distinct
// SHA-256 greater than after of the attachments (removed or not) whose SM3 is not
// recorded: the files to hash once (files.Store.BackfillSM3).
func (db *DB) AttachmentHashesWithoutSM3(ctx context.Context, after string, limit int) ([]string, error) {
	if limit <= 0 {
		return []string{}, nil
	}
	rows, err := db.q().query(ctx, `SELECT DISTINCT sha256 FROM attachments
		WHERE sm3 = '' AND sha256 > ? ORDER BY sha256 LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: attachments without sm3: %w", err)
	}
	defer rows.Close()
	sums := []string{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("store: attachments without sm3: %w", err)
		}
		sums = append(sums, h)
	}
	return sums, rows.Err()
}

// SetAttachmentSM3 records sm3 (lower-case hex) on every attachment of the content
// sha256 that has none, and returns how many rows it updated. A recorded SM3 is never
// overwritten: content is addressed by its SHA-256, so it has one SM3.
func (db *DB) SetAttachmentSM3(ctx context.Context, sha256, sm3 string) (int64, error) {
	if !seal.LowerHex256(sha256) {
		return 0, biopilot.FieldErrorf("sha256", "附件摘要应为 64 位小写十六进制 SHA-256")
	}
	if !seal.LowerHex256(sm3) {
		return 0, biopilot.FieldErrorf("sm3", "附件摘要应为 64 位小写十六进制 SM3")
	}
	res, err := db.q().exec(ctx, `UPDATE attachments SET sm3 = ? WHERE sha256 = ? AND sm3 = ''`, sm3, sha256)
	if err != nil {
		return 0, fmt.Errorf("store: set attachment sm3: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
