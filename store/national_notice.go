package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"biopilot"
	"biopilot/national"
)

// Public notices (公示) of the proposed list, objections, and publication of the
// list (issue 8).

const noticeColumns = `id, program_id, round, title, body, application_ids, state, starts_at, ends_at,
	created_by, created_at, published_at, published_by`

func scanNotice(s scanner) (*PublicNotice, error) {
	var (
		n                                PublicNotice
		ids                              string
		createdBy, publishedBy           sql.NullInt64
		starts, ends, created, published int64
	)
	if err := s.Scan(&n.ID, &n.ProgramID, &n.Round, &n.Title, &n.Body, &ids, &n.State, &starts, &ends,
		&createdBy, &created, &published, &publishedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ids), &n.ApplicationIDs); err != nil {
		return nil, fmt.Errorf("store: notice %d: application ids: %w", n.ID, err)
	}
	n.ApplicationIDs = nonNilIDs(n.ApplicationIDs)
	n.StartsAt, n.EndsAt, n.CreatedAt, n.PublishedAt = fromMS(starts), fromMS(ends), fromMS(created), fromMS(published)
	n.CreatedBy, n.PublishedBy = idOf(createdBy), idOf(publishedBy)
	return &n, nil
}

func errNoticeNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "公示不存在") }

// Notice returns one public notice, or ENOTFOUND.
func (db *DB) Notice(ctx context.Context, id int64) (*PublicNotice, error) {
	return getNotice(ctx, db.q(), id)
}

func getNotice(ctx context.Context, q q, id int64) (*PublicNotice, error) {
	n, err := scanNotice(q.queryRow(ctx, `SELECT `+noticeColumns+` FROM public_notices WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoticeNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: notice: %w", err)
	}
	return n, nil
}

// Notices lists a program's public notices, newest first.
func (db *DB) Notices(ctx context.Context, programID string) ([]*PublicNotice, error) {
	return queryAll(ctx, db.q(), "notices", wrapScan("notices", scanNotice),
		`SELECT `+noticeColumns+` FROM public_notices WHERE program_id = ? ORDER BY id DESC`, programID)
}

// OpenNotice opens r.Notice (state open; ID and CreatedAt set) and performs
// r.Transitions in one transaction. Title, StartsAt and a later EndsAt are
// required; a second open notice of the same program and round is ECONFLICT.
func (db *DB) OpenNotice(ctx context.Context, r OpenNoticeRequest) error {
	n := r.Notice
	if n == nil {
		return biopilot.Errorf(biopilot.EINVALID, "缺少公示内容")
	}
	n.Title, n.Body = strings.TrimSpace(n.Title), strings.TrimSpace(n.Body)
	switch {
	case strings.TrimSpace(n.ProgramID) == "" || strings.TrimSpace(n.Round) == "":
		return biopilot.FieldErrorf("round", "公示缺少项目或评审轮次")
	case n.Title == "":
		return biopilot.FieldErrorf("title", "请填写公示标题")
	case n.StartsAt.IsZero() || n.EndsAt.IsZero():
		return biopilot.FieldErrorf("ends_at", "请填写公示的起止时间")
	case !n.EndsAt.After(n.StartsAt):
		return biopilot.FieldErrorf("ends_at", "公示截止时间应晚于开始时间")
	}
	ids, err := json.Marshal(nonNilIDs(n.ApplicationIDs))
	if err != nil {
		return err
	}
	now := db.now()
	var done func()
	var id int64
	err = db.inTx(ctx, func(q q) error {
		err := q.queryRow(ctx, `INSERT INTO public_notices (program_id, round, title, body, application_ids,
			state, starts_at, ends_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			n.ProgramID, n.Round, n.Title, n.Body, string(ids), NoticeOpen, ms(n.StartsAt), ms(n.EndsAt),
			nullID(n.CreatedBy), ms(now)).Scan(&id)
		if isUniqueViolation(err) {
			return biopilot.Errorf(biopilot.ECONFLICT, "本轮评审已有一份公示正在进行，不能再开启公示")
		} else if isForeignKeyViolation(err) {
			return biopilot.FieldErrorf("created_by", "用户不存在")
		} else if err != nil {
			return err
		}
		done, err = runTransitions(ctx, q, r.Transitions, now)
		return err
	})
	if err != nil {
		return batchError("open notice", err)
	}
	done()
	n.ID, n.State, n.CreatedAt = id, NoticeOpen, now
	n.StartsAt, n.EndsAt = n.StartsAt.UTC().Truncate(time.Millisecond), n.EndsAt.UTC().Truncate(time.Millisecond)
	n.ApplicationIDs = nonNilIDs(n.ApplicationIDs)
	return nil
}

const objectionColumns = `id, notice_id, application_id, name, contact, grounds, client_key, created_at,
	outcome, reason, handled_by, handled_at`

func scanObjection(s scanner) (*Objection, error) {
	var o Objection
	var by sql.NullInt64
	var created, handled int64
	if err := s.Scan(&o.ID, &o.NoticeID, &o.ApplicationID, &o.Name, &o.Contact, &o.Grounds, &o.ClientKey,
		&created, &o.Outcome, &o.Reason, &by, &handled); err != nil {
		return nil, err
	}
	o.CreatedAt, o.HandledAt, o.HandledBy = fromMS(created), fromMS(handled), idOf(by)
	o.Files = []ObjectionFile{}
	return &o, nil
}

func errObjectionNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "异议不存在") }

// CreateObjection records an objection with its files and sets o.ID, CreatedAt
// (now when zero) and the files' IDs. The notice must be open and o.CreatedAt
// before its EndsAt (else ECONFLICT "公示期已结束，不再受理异议"), and the platform
// objected to must be on the notice. Name, contact and grounds are required.
func (db *DB) CreateObjection(ctx context.Context, o *Objection) error {
	o.Name, o.Contact, o.Grounds = strings.TrimSpace(o.Name), strings.TrimSpace(o.Contact), strings.TrimSpace(o.Grounds)
	switch {
	case o.Name == "":
		return biopilot.FieldErrorf("name", "请填写异议人姓名或单位名称")
	case o.Contact == "":
		return biopilot.FieldErrorf("contact", "请填写联系方式")
	case o.Grounds == "":
		return biopilot.FieldErrorf("grounds", "请填写异议的事实和理由")
	}
	for i, f := range o.Files {
		if f.SHA256 == "" || f.Size < 0 {
			return biopilot.FieldErrorf(fmt.Sprintf("files.%d", i), "附件「%s」无效", f.Filename)
		}
	}
	at := db.stamp(o.CreatedAt)
	var id int64
	fileIDs := make([]int64, len(o.Files))
	err := db.inTx(ctx, func(q q) error {
		n, err := getNotice(ctx, q, o.NoticeID)
		if err != nil {
			return err
		}
		if n.State != NoticeOpen || !at.Before(n.EndsAt) {
			return biopilot.Errorf(biopilot.ECONFLICT, "公示期已结束，不再受理异议")
		}
		if at.Before(n.StartsAt) {
			return biopilot.Errorf(biopilot.ECONFLICT, "公示尚未开始，暂不受理异议")
		}
		if !slices.Contains(n.ApplicationIDs, o.ApplicationID) {
			return biopilot.FieldErrorf("application_id", "异议的平台不在本次公示名单中")
		}
		if err := q.queryRow(ctx, `INSERT INTO objections (notice_id, application_id, name, contact, grounds,
			client_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			o.NoticeID, o.ApplicationID, o.Name, o.Contact, o.Grounds, o.ClientKey, ms(at)).Scan(&id); err != nil {
			return err
		}
		for i, f := range o.Files {
			if err := q.queryRow(ctx, `INSERT INTO objection_files (objection_id, sha256, sm3, filename, size,
				media_type) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
				id, f.SHA256, f.SM3, f.Filename, f.Size, f.MediaType).Scan(&fileIDs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return batchError("create objection", err)
	}
	o.ID, o.CreatedAt, o.Outcome, o.Reason, o.HandledBy, o.HandledAt = id, at, "", "", 0, time.Time{}
	for i := range o.Files {
		o.Files[i].ID = fileIDs[i]
	}
	if o.Files == nil {
		o.Files = []ObjectionFile{}
	}
	return nil
}

// Objection returns one objection with its files, or ENOTFOUND.
func (db *DB) Objection(ctx context.Context, id int64) (*Objection, error) {
	return getObjection(ctx, db.q(), id)
}

func getObjection(ctx context.Context, q q, id int64) (*Objection, error) {
	o, err := scanObjection(q.queryRow(ctx, `SELECT `+objectionColumns+` FROM objections WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errObjectionNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: objection: %w", err)
	}
	if err := loadObjectionFiles(ctx, q, []*Objection{o}); err != nil {
		return nil, err
	}
	return o, nil
}

// Objections lists the objections of a notice with their files, oldest first.
func (db *DB) Objections(ctx context.Context, noticeID int64) ([]*Objection, error) {
	q := db.q()
	list, err := queryAll(ctx, q, "objections", wrapScan("objections", scanObjection),
		`SELECT `+objectionColumns+` FROM objections WHERE notice_id = ? ORDER BY id`, noticeID)
	if err != nil {
		return nil, err
	}
	if err := loadObjectionFiles(ctx, q, list); err != nil {
		return nil, err
	}
	return list, nil
}

// loadObjectionFiles fills the Files of list (objections of one notice, or one).
func loadObjectionFiles(ctx context.Context, q q, list []*Objection) error {
	if len(list) == 0 {
		return nil
	}
	byID := make(map[int64]*Objection, len(list))
	for _, o := range list {
		byID[o.ID] = o
	}
	type row struct {
		objection int64
		f         ObjectionFile
	}
	rows, err := queryAll(ctx, q, "objection files", wrapScan("objection files", func(s scanner) (row, error) {
		var r row
		err := s.Scan(&r.objection, &r.f.ID, &r.f.SHA256, &r.f.SM3, &r.f.Filename, &r.f.Size, &r.f.MediaType)
		return r, err
	}), `SELECT f.objection_id, f.id, f.sha256, f.sm3, f.filename, f.size, f.media_type
		FROM objection_files f JOIN objections o ON o.id = f.objection_id
		WHERE o.notice_id = ? ORDER BY f.id`, list[0].NoticeID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if o := byID[r.objection]; o != nil {
			o.Files = append(o.Files, r.f)
		}
	}
	return nil
}

// CountObjectionsSince counts the objections sent by clientKey since a time (for
// rate limiting: the count is shared by all instances).
func (db *DB) CountObjectionsSince(ctx context.Context, clientKey string, since time.Time) (int, error) {
	var n int
	err := db.q().queryRow(ctx, `SELECT COUNT(*) FROM objections WHERE client_key = ? AND created_at >= ?`,
		clientKey, ms(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count objections: %w", err)
	}
	return n, nil
}

// ResolveObjection records the ministry's outcome of an open objection and returns
// it. The outcome must be one of national.Objection*, with a reason; an objection
// already resolved is ECONFLICT.
func (db *DB) ResolveObjection(ctx context.Context, r ResolveRequest) (*Objection, error) {
	probe := national.Objection{ID: fmt.Sprint(r.ObjectionID)}
	if err := probe.Resolve(r.Outcome, r.Reason); err != nil {
		return nil, err
	}
	at := db.stamp(r.At)
	var out *Objection
	err := db.inTx(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE objections SET outcome = ?, reason = ?, handled_by = ?, handled_at = ?
			WHERE id = ? AND outcome = ''`, r.Outcome, strings.TrimSpace(r.Reason), nullID(r.By), ms(at), r.ObjectionID)
		if isForeignKeyViolation(err) {
			return biopilot.FieldErrorf("by", "操作人不存在")
		} else if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := getObjection(ctx, q, r.ObjectionID); err != nil {
				return err
			}
			return biopilot.Errorf(biopilot.ECONFLICT, "该异议已处理，处理结果不能更改")
		}
		out, err = getObjection(ctx, q, r.ObjectionID)
		return err
	})
	if err != nil {
		return nil, batchError("resolve objection", err)
	}
	return out, nil
}

// Publish publishes the list of an open notice in one transaction (see
// PublishRequest): the notice becomes published at r.At (now when zero), the
// entries (each on the notice) enter the directory with ListedAt = r.At, and the
// transitions run. A notice not open, whose period has not ended at r.At, or with
// an objection still open is ECONFLICT and nothing changes.
func (db *DB) Publish(ctx context.Context, r PublishRequest) error {
	at := db.stamp(r.At)
	var done func()
	err := db.inTx(ctx, func(q q) error {
		n, err := getNotice(ctx, q, r.NoticeID)
		if err != nil {
			return err
		}
		if n.State != NoticeOpen {
			return biopilot.Errorf(biopilot.ECONFLICT, "该公示的名单已发布")
		}
		if at.Before(n.EndsAt) {
			return biopilot.Errorf(biopilot.ECONFLICT, "公示期尚未结束（%s 截止），不能发布名单",
				n.EndsAt.In(biopilot.Beijing).Format("2006-01-02 15:04"))
		}
		var open int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM objections WHERE notice_id = ? AND outcome = ''`,
			r.NoticeID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return biopilot.Errorf(biopilot.ECONFLICT, "仍有异议未处理（%d 件），不能发布名单", open)
		}
		res, err := q.exec(ctx, `UPDATE public_notices SET state = ?, published_at = ?, published_by = ?
			WHERE id = ? AND state = ?`, NoticePublished, ms(at), nullID(r.By), r.NoticeID, NoticeOpen)
		if isForeignKeyViolation(err) {
			return biopilot.FieldErrorf("by", "操作人不存在")
		} else if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			return biopilot.Errorf(biopilot.ECONFLICT, "该公示的名单已发布")
		}
		for _, e := range r.Entries {
			if !slices.Contains(n.ApplicationIDs, e.ApplicationID) {
				return biopilot.Errorf(biopilot.EINVALID, "平台「%s」不在本次公示名单中，不能列入名录", e.PlatformName)
			}
			if e.ProgramID == "" {
				e.ProgramID = n.ProgramID
			}
			e.NoticeID = n.ID
			if err := insertDirectoryEntry(ctx, q, e, at); err != nil {
				return err
			}
		}
		done, err = runTransitions(ctx, q, r.Transitions, at)
		return err
	})
	if err != nil {
		return batchError("publish", err)
	}
	done()
	return nil
}
