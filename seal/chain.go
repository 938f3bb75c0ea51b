package seal

import (
	"encoding/json"
	"fmt"
	"time"

	"biopilot"
)

// ChainRecord is one record of an append-only, hash-chained log (the audit trail).
// Each record carries the hash of the one before it, so that editing, deleting or
// reordering records is detected by VerifyChain.
type ChainRecord struct {
	// Seq numbers the records 1, 2, 3, … without gaps.
	Seq int64 `json:"seq"`
	// Time is when it happened; it is hashed to the microsecond, so a store must keep
	// at least microseconds.
	Time time.Time `json:"time"`
	// Actor names who acted ("user:12 张三", "system").
	Actor string `json:"actor"`
	// Role is the actor's role.
	Role string `json:"role"`
	// Address is where the request came from (IP address).
	Address string `json:"address"`
	// Object is what was acted on ("application:42").
	Object string `json:"object"`
	// Action is what was done ("submit", "login").
	Action string `json:"action"`
	// Result is how it ended ("ok", "denied", "failed").
	Result string `json:"result"`
	// Detail is any JSON detail, or nil.
	Detail json.RawMessage `json:"detail,omitempty"`
	// PrevHash is the Hash of the previous record, "" for the first.
	PrevHash string `json:"prev_hash"`
	// Hash is ChainHash(PrevHash, the record's content).
	Hash string `json:"hash"`
}

// ChainBreak is the Detail of the error VerifyChain returns.
type ChainBreak struct {
	// Seq is the sequence number of the first record that does not match.
	Seq int64
	// Kind is "edited", "missing", "reordered" or "unlinked".
	Kind string
}

// ChainHash returns the hex SM3 of prevHash (its ASCII hex, empty for the first
// record) immediately followed by Canonical(record).
func ChainHash(prevHash string, record any) (string, error) {
	b, err := Canonical(record)
	if err != nil {
		return "", err
	}
	return Hash(append([]byte(prevHash), b...)), nil
}

// chainTime is the layout of a record's time in its hashed content.
const chainTime = "2006-01-02T15:04:05.000000Z07:00"

// Content is what a record's Hash covers: every field but Hash, with the time written
// as "2006-01-02T15:04:05.000000+08:00" (Beijing time, microseconds) and a missing
// Detail as null.
func (r *ChainRecord) Content() map[string]any {
	var detail any
	if len(r.Detail) > 0 {
		detail = r.Detail
	}
	return map[string]any{
		"seq":       r.Seq,
		"time":      r.Time.In(biopilot.Beijing).Truncate(time.Microsecond).Format(chainTime),
		"actor":     r.Actor,
		"role":      r.Role,
		"address":   r.Address,
		"object":    r.Object,
		"action":    r.Action,
		"result":    r.Result,
		"detail":    detail,
		"prev_hash": r.PrevHash,
	}
}

// ComputeHash returns the hash the record should carry.
func (r *ChainRecord) ComputeHash() (string, error) {
	return ChainHash(r.PrevHash, r.Content())
}

// Append fills in r's Seq, PrevHash and Hash so that it follows prev (nil for the first
// record of a log) and returns it.
func Append(prev *ChainRecord, r ChainRecord) (ChainRecord, error) {
	r.Seq, r.PrevHash = 1, ""
	if prev != nil {
		r.Seq, r.PrevHash = prev.Seq+1, prev.Hash
	}
	h, err := r.ComputeHash()
	if err != nil {
		return r, err
	}
	r.Hash = h
	return r, nil
}

// VerifyChain checks a whole log, in stored order, from its first record. It returns
// nil, or an EINVALID *biopilot.Error whose message names the first record (by
// sequence number) that was edited, deleted or moved, with a ChainBreak as Detail.
func VerifyChain(records []ChainRecord) error {
	present := make(map[int64]int, len(records))
	for i, r := range records {
		if _, dup := present[r.Seq]; !dup {
			present[r.Seq] = i
		}
	}
	expected := int64(1)
	prevHash := ""
	for i := range records {
		r := &records[i]
		if r.Seq != expected {
			if r.Seq < expected {
				return chainError(r.Seq, "reordered", "第 %d 条审计记录重复或顺序错乱：它出现在第 %d 条之后", r.Seq, expected-1)
			}
			if j, ok := present[expected]; ok && j > i {
				return chainError(expected, "reordered", "第 %d 条审计记录顺序错乱：它出现在第 %d 条之后", expected, r.Seq)
			}
			return chainError(expected, "missing", "第 %d 条审计记录缺失（已被删除）", expected)
		}
		h, err := r.ComputeHash()
		if err != nil {
			return chainError(r.Seq, "edited", "第 %d 条审计记录无法计算摘要：%s", r.Seq, biopilot.ErrorMessage(err))
		}
		if h != r.Hash {
			return chainError(r.Seq, "edited", "第 %d 条审计记录已被修改（摘要不符）", r.Seq)
		}
		if r.PrevHash != prevHash {
			if i == 0 {
				return chainError(r.Seq, "unlinked", "第 %d 条审计记录的前序摘要应为空", r.Seq)
			}
			return chainError(r.Seq, "unlinked", "第 %d 条审计记录与第 %d 条的链接摘要不符：第 %d 条被修改后重算了摘要，或其间的记录被删除", r.Seq, r.Seq-1, r.Seq-1)
		}
		prevHash = r.Hash
		expected++
	}
	return nil
}

func chainError(seq int64, kind, format string, args ...any) error {
	return &biopilot.Error{Code: biopilot.EINVALID, Field: fmt.Sprintf("seq:%d", seq),
		Message: fmt.Sprintf(format, args...), Detail: ChainBreak{Seq: seq, Kind: kind}}
}
