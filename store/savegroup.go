package store

// PERF: group commit of concurrent autosaves on SQLite (issue 7).
//
// SQLite has one writer: the saves of many applicants queue for the one write
// connection, and each then pays a whole transaction (the lock, the commit's write of
// the WAL, waking the next). While one save's transaction runs, the saves that
// arrive wait in saveGroup; when it ends, the first of them leads the next
// transaction and runs every waiting save in it, each in its own savepoint: each save
// still has its own compare-and-set, its own result and its own error (a save that
// fails is rolled back to its savepoint, the others are kept), and a commit that
// fails fails them all. Nothing is acknowledged before its commit. PostgreSQL, with
// many writers, keeps one transaction per save.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"biopilot"
)

// maxSaveGroup bounds the saves of one transaction.
const maxSaveGroup = 32

// saveGroup queues saves while a group's transaction runs.
type saveGroup struct {
	mu      sync.Mutex
	busy    bool // a leader is running a group
	pending []*saveReq
}

// saveReq is one save waiting for, or in, a group.
type saveReq struct {
	ctx  context.Context
	u    DocumentUpdate
	doc  string
	at   time.Time
	app  *biopilot.Application
	err  error
	done chan struct{} // closed when app and err are set
	lead chan struct{} // closed when this request is to lead the next group
}

// save runs r in a group and returns its outcome.
func (g *saveGroup) save(ctx context.Context, db *DB, r *saveReq) (*biopilot.Application, error) {
	r.ctx, r.done, r.lead = ctx, make(chan struct{}), make(chan struct{})
	g.mu.Lock()
	if g.busy {
		g.pending = append(g.pending, r)
		g.mu.Unlock()
		select {
		case <-r.done:
			return r.app, r.err
		case <-r.lead:
		}
	} else {
		g.busy = true
		g.mu.Unlock()
	}
	// Lead: this request and those waiting, up to maxSaveGroup.
	g.mu.Lock()
	n := min(len(g.pending), maxSaveGroup-1)
	group := append([]*saveReq{r}, g.pending[:n]...)
	g.pending = append(g.pending[:0:0], g.pending[n:]...)
	g.mu.Unlock()

	// However the group ends, even by a panic, its saves are answered and the next
	// group is led: nobody waits forever.
	defer func() {
		for _, m := range group {
			if m.app == nil && m.err == nil {
				m.err = errors.New("store: save group failed")
			}
			close(m.done)
		}
		g.handOver()
	}()
	db.runSaveGroup(group)
	return r.app, r.err
}

// handOver makes the first waiting save lead the next group, or marks the group
// idle when none waits.
func (g *saveGroup) handOver() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pending) > 0 {
		next := g.pending[0]
		g.pending = g.pending[1:]
		close(next.lead)
		return
	}
	g.busy = false
}

// runSaveGroup runs the saves of a group in one transaction, each in a savepoint,
// and sets each one's outcome. The transaction is not cancelled with any one
// request; a request whose context has ended is not run.
func (db *DB) runSaveGroup(group []*saveReq) {
	ctx := context.WithoutCancel(group[0].ctx)
	err := db.inTx(ctx, func(q q) error {
		for _, r := range group {
			if err := r.ctx.Err(); err != nil {
				r.err = err
				continue
			}
			if len(group) == 1 {
				r.app, r.err = saveOne(ctx, q, r.u, r.doc, r.at)
				return r.err
			}
			if _, err := q.exec(ctx, `SAVEPOINT save`); err != nil {
				return err
			}
			r.app, r.err = saveOne(ctx, q, r.u, r.doc, r.at)
			if r.err != nil {
				if _, err := q.exec(ctx, `ROLLBACK TO save`); err != nil {
					return err
				}
			}
			if _, err := q.exec(ctx, `RELEASE save`); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	// The transaction failed: no save of it is stored. A save refused on its own
	// keeps its error; the others get the transaction's.
	for _, r := range group {
		if r.err == nil {
			r.app, r.err = nil, fmt.Errorf("store: save group: %w", err)
		}
	}
}
