package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"biopilot"
)

// Recommendation levels and states.
const (
	LevelCity     = "city"
	LevelProvince = "province"

	RecDraft    = "draft"    // city_miit assembles it
	RecProposed = "proposed" // city_miit sealed it; waiting for city_drc
	RecSealed   = "sealed"   // both sealed; ready to send
	RecSent     = "sent"     // sent to the province: final
)

// Recommendation is a recommendation document (推荐文件): a city's letter to the
// province listing its recommended applications in the city's order, with the
// joint opinion, sealed by both city authorities, then sent. Its content
// (Number, ApplicationIDs, Opinion) changes only in draft; Version increases with
// every change, and every change names the version it was based on.
type Recommendation struct {
	ID           int64
	ProgramID    string
	Level        string // LevelCity or LevelProvince
	Jurisdiction string // the city's code (or the province's)
	State        string // RecDraft, RecProposed, RecSealed, RecSent
	// Number is the letter's 发文字号 (e.g. 穗工信函〔2025〕12号).
	Number string
	// ApplicationIDs are the recommended applications, in the city's order.
	ApplicationIDs []int64
	// Opinion is the two authorities' joint opinion.
	Opinion string
	// Signatures is a JSON array of seal.Signature: city_miit's, then city_drc's,
	// then the sending seal. Empty in draft.
	Signatures json.RawMessage
	// Note is the reason of the last decline (city_drc sent the draft back).
	Note      string
	Version   int64
	CreatedBy int64
	CreatedAt time.Time
	UpdatedAt time.Time
	SentAt    time.Time // zero until sent
}

const recColumns = `id, program_id, level, jurisdiction, state, number, application_ids, opinion,
	signatures, note, version, created_by, created_at, updated_at, sent_at`

func scanRecommendation(s scanner) (*Recommendation, error) {
	var (
		r                      Recommendation
		ids, sigs              string
		by                     sql.NullInt64
		created, updated, sent int64
	)
	if err := s.Scan(&r.ID, &r.ProgramID, &r.Level, &r.Jurisdiction, &r.State, &r.Number, &ids,
		&r.Opinion, &sigs, &r.Note, &r.Version, &by, &created, &updated, &sent); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ids), &r.ApplicationIDs); err != nil {
		return nil, fmt.Errorf("store: recommendation %d: application ids: %w", r.ID, err)
	}
	if r.ApplicationIDs == nil {
		r.ApplicationIDs = []int64{}
	}
	r.Signatures = json.RawMessage(sigs)
	r.CreatedBy, r.CreatedAt, r.UpdatedAt, r.SentAt = idOf(by), fromMS(created), fromMS(updated), fromMS(sent)
	return &r, nil
}

func errRecNotFound() error { return biopilot.Errorf(biopilot.ENOTFOUND, "推荐文件不存在") }

// Recommendation returns one recommendation document.
func (db *DB) Recommendation(ctx context.Context, id int64) (*Recommendation, error) {
	return getRecommendation(ctx, db.q(), id)
}

func getRecommendation(ctx context.Context, q q, id int64) (*Recommendation, error) {
	r, err := scanRecommendation(q.queryRow(ctx, `SELECT `+recColumns+` FROM recommendations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errRecNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: recommendation: %w", err)
	}
	return r, nil
}

// OpenRecommendation returns the recommendation document of a program, level and
// jurisdiction that is not sent yet (there is at most one), or ENOTFOUND.
func (db *DB) OpenRecommendation(ctx context.Context, programID, level, jurisdiction string) (*Recommendation, error) {
	r, err := scanRecommendation(db.q().queryRow(ctx, `SELECT `+recColumns+` FROM recommendations
		WHERE program_id = ? AND level = ? AND jurisdiction = ? AND state <> ?`,
		programID, level, jurisdiction, RecSent))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errRecNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("store: open recommendation: %w", err)
	}
	return r, nil
}

// Recommendations lists the recommendation documents of a program and level, newest
// first; jurisdiction "" lists every jurisdiction's.
func (db *DB) Recommendations(ctx context.Context, programID, level, jurisdiction string) ([]*Recommendation, error) {
	return queryAll(ctx, db.q(), "recommendations", wrapScan("recommendations", scanRecommendation),
		`SELECT `+recColumns+` FROM recommendations
		WHERE program_id = ? AND level = ? AND (? = '' OR jurisdiction = ?) ORDER BY id DESC`,
		programID, level, jurisdiction, jurisdiction)
}

// SaveRecommendation stores the content of a draft. With r.ID == 0 it creates the
// jurisdiction's open draft (ECONFLICT when one is open already) and sets r.ID,
// r.Version and the times. Otherwise it updates r.ID's Number, ApplicationIDs and
// Opinion if and only if it is a draft at version baseVersion (else ECONFLICT),
// and clears its signatures. r is refreshed from the database.
func (db *DB) SaveRecommendation(ctx context.Context, r *Recommendation, baseVersion int64) error {
	if r.Level != LevelCity && r.Level != LevelProvince {
		return biopilot.FieldErrorf("level", "推荐文件的层级应为 city 或 province")
	}
	if strings.TrimSpace(r.ProgramID) == "" || strings.TrimSpace(r.Jurisdiction) == "" {
		return biopilot.FieldErrorf("jurisdiction", "推荐文件缺少项目或辖区")
	}
	ids, err := json.Marshal(nonNilIDs(r.ApplicationIDs))
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, id := range r.ApplicationIDs {
		if seen[id] {
			return biopilot.FieldErrorf("application_ids", "申请 %d 在推荐文件中重复出现", id)
		}
		seen[id] = true
	}
	now := ms(db.now())
	return db.inTx(ctx, func(q q) error {
		var id int64
		if r.ID == 0 {
			err := q.queryRow(ctx, `INSERT INTO recommendations
				(program_id, level, jurisdiction, state, number, application_ids, opinion, signatures,
				 note, version, created_by, created_at, updated_at, sent_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, '[]', '', 1, ?, ?, ?, 0) RETURNING id`,
				r.ProgramID, r.Level, r.Jurisdiction, RecDraft, strings.TrimSpace(r.Number), string(ids),
				strings.TrimSpace(r.Opinion), nullID(r.CreatedBy), now, now).Scan(&id)
			if isUniqueViolation(err) {
				return biopilot.Errorf(biopilot.ECONFLICT, "本辖区已有一份未报送的推荐文件，请在其上修改")
			} else if isForeignKeyViolation(err) {
				return biopilot.FieldErrorf("created_by", "用户不存在")
			} else if err != nil {
				return fmt.Errorf("store: create recommendation: %w", err)
			}
		} else {
			res, err := q.exec(ctx, `UPDATE recommendations SET number = ?, application_ids = ?,
				opinion = ?, signatures = '[]', version = version + 1, updated_at = ?
				WHERE id = ? AND version = ? AND state = ?`,
				strings.TrimSpace(r.Number), string(ids), strings.TrimSpace(r.Opinion), now,
				r.ID, baseVersion, RecDraft)
			if err != nil {
				return fmt.Errorf("store: save recommendation: %w", err)
			}
			if err := recRefused(ctx, q, res, r.ID, RecDraft, baseVersion); err != nil {
				return err
			}
			id = r.ID
		}
		got, err := getRecommendation(ctx, q, id)
		if err != nil {
			return err
		}
		*r = *got
		return nil
	})
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// recRefused explains a compare-and-set of a recommendation that matched no row.
func recRefused(ctx context.Context, q q, res sql.Result, id int64, state string, version int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	cur, err := getRecommendation(ctx, q, id)
	if err != nil {
		return err
	}
	if cur.State != state {
		return biopilot.Errorf(biopilot.ECONFLICT, "推荐文件的状态已被他人更改（当前为「%s」），请刷新后重试", RecStateLabel(cur.State))
	}
	return biopilot.Errorf(biopilot.ECONFLICT, "推荐文件已被他人修改（当前为第 %d 版），请刷新后重试", cur.Version)
}

// RecStateLabel is the Chinese name of a recommendation document's state.
func RecStateLabel(s string) string {
	switch s {
	case RecDraft:
		return "草拟中"
	case RecProposed:
		return "待发展改革部门会签"
	case RecSealed:
		return "已会签，待报送"
	case RecSent:
		return "已报送"
	}
	return s
}

// RecommendationChange moves a recommendation document from one state to another
// (propose, co-seal, decline) by compare-and-set of its state and version.
type RecommendationChange struct {
	ID      int64
	From    string
	To      string
	Version int64
	// Signatures replaces the document's signatures (JSON array).
	Signatures json.RawMessage
	// Note is the reason of a decline ("" clears it).
	Note string
}

// ChangeRecommendation applies c atomically and returns the document. A document
// no longer in c.From at c.Version is ECONFLICT (two people acting at once: one
// wins).
func (db *DB) ChangeRecommendation(ctx context.Context, c RecommendationChange) (*Recommendation, error) {
	if c.To == RecSent {
		return nil, biopilot.Errorf(biopilot.EINVALID, "报送推荐文件请使用 SendRecommendation")
	}
	sigs := string(c.Signatures)
	if sigs == "" {
		sigs = "[]"
	}
	if !json.Valid([]byte(sigs)) {
		return nil, biopilot.FieldErrorf("signatures", "签章数据不是有效的 JSON")
	}
	var out *Recommendation
	err := db.inTx(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE recommendations SET state = ?, signatures = ?, note = ?,
			version = version + 1, updated_at = ? WHERE id = ? AND state = ? AND version = ?`,
			c.To, sigs, strings.TrimSpace(c.Note), ms(db.now()), c.ID, c.From, c.Version)
		if err != nil {
			return fmt.Errorf("store: change recommendation: %w", err)
		}
		if err := recRefused(ctx, q, res, c.ID, c.From, c.Version); err != nil {
			return err
		}
		out, err = getRecommendation(ctx, q, c.ID)
		return err
	})
	return out, err
}

// SendRequest sends a sealed recommendation document.
type SendRequest struct {
	ID      int64
	Version int64
	// Signatures replaces the document's signatures (with the sending seal).
	Signatures json.RawMessage
	// Transitions are the records of the applications' moves, by application id:
	// every application of the document must have one (ActorID, ActorRole,
	// ActorName, Reason, Data); From, To and At are set here.
	Transitions map[int64]*biopilot.Transition
	At          time.Time
}

// SendRecommendation sends a sealed document to the province in ONE transaction:
// the document moves sealed → sent (compare-and-set of state and version), and
// every listed application moves city_recommended → at_province (compare-and-set
// of its state, and it must be filed to the document's jurisdiction) with its
// transition record. If any application is no longer city_recommended, nothing
// changes and the answer is ECONFLICT naming it. Returns the document and the
// applications, in the document's order.
func (db *DB) SendRecommendation(ctx context.Context, r SendRequest) (*Recommendation, []*biopilot.Application, error) {
	sigs := string(r.Signatures)
	if sigs == "" || !json.Valid([]byte(sigs)) {
		return nil, nil, biopilot.FieldErrorf("signatures", "报送缺少有效的签章数据")
	}
	at := db.stamp(r.At)
	var rec *Recommendation
	var apps []*biopilot.Application
	err := db.inTx(ctx, func(q q) error {
		res, err := q.exec(ctx, `UPDATE recommendations SET state = ?, signatures = ?,
			version = version + 1, updated_at = ?, sent_at = ? WHERE id = ? AND state = ? AND version = ?`,
			RecSent, sigs, ms(at), ms(at), r.ID, RecSealed, r.Version)
		if err != nil {
			return fmt.Errorf("store: send recommendation: %w", err)
		}
		if err := recRefused(ctx, q, res, r.ID, RecSealed, r.Version); err != nil {
			return err
		}
		if rec, err = getRecommendation(ctx, q, r.ID); err != nil {
			return err
		}
		if len(rec.ApplicationIDs) == 0 {
			return biopilot.FieldErrorf("application_ids", "推荐文件中没有申请，不能报送")
		}
		for _, id := range rec.ApplicationIDs {
			t := r.Transitions[id]
			if t == nil {
				return biopilot.Errorf(biopilot.EINVALID, "缺少申请 %d 的流转记录", id)
			}
			app, err := sendOne(ctx, q, rec, id, t, at)
			if err != nil {
				return err
			}
			apps = append(apps, app)
		}
		return nil
	})
	if err != nil {
		if biopilot.AsError(err) != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("store: send recommendation: %w", err)
	}
	return rec, apps, nil
}

// sendOne moves one application of a document being sent.
func sendOne(ctx context.Context, q q, rec *Recommendation, id int64, t *biopilot.Transition, at time.Time) (*biopilot.Application, error) {
	from, to := biopilot.StateCityRecommended, biopilot.StateAtProvince
	res, err := q.exec(ctx, `UPDATE applications SET state = ?, updated_at = ?
		WHERE id = ? AND state = ? AND city_code = ? AND program_id = ?`,
		string(to), ms(at), id, string(from), rec.Jurisdiction, rec.ProgramID)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		cur, err := getApplication(ctx, q, id)
		if biopilot.ErrorCode(err) == biopilot.ENOTFOUND {
			return nil, biopilot.Errorf(biopilot.ECONFLICT, "推荐文件中的申请 %d 不存在，未报送", id)
		} else if err != nil {
			return nil, err
		}
		if cur.CityCode != rec.Jurisdiction || cur.ProgramID != rec.ProgramID {
			return nil, biopilot.Errorf(biopilot.ECONFLICT, "申请 %d 不属于本辖区，未报送", id)
		}
		return nil, biopilot.Errorf(biopilot.ECONFLICT, "申请 %d（%s）当前为「%s」，不是「地市已推荐」，整份推荐文件未报送；请调整后重试",
			id, cur.PlatformName, cur.State.Label())
	}
	var data sql.NullString
	if len(t.Data) > 0 {
		if !json.Valid(t.Data) {
			return nil, biopilot.FieldErrorf("data", "流转记录的数据不是有效的 JSON")
		}
		data = sql.NullString{String: string(t.Data), Valid: true}
	}
	var tid int64
	err = q.queryRow(ctx, `INSERT INTO transitions
		(application_id, from_state, to_state, actor_id, actor_role, actor_name, reason, data, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		id, string(from), string(to), nullID(t.ActorID), string(t.ActorRole), t.ActorName, t.Reason,
		data, ms(at)).Scan(&tid)
	if isForeignKeyViolation(err) {
		return nil, biopilot.FieldErrorf("actor_id", "操作人不存在")
	} else if err != nil {
		return nil, err
	}
	t.ID, t.ApplicationID, t.From, t.To, t.At = tid, id, from, to, at
	return getApplication(ctx, q, id)
}
