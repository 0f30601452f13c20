package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineCtx is context.WithDeadline(parent, at) for one request
// (Config.RequestTimeout), armed only when something waits on it.
//
// Why: context.WithTimeout made a timer, a timerCtx and an entry in the
// parent's children on every request, and stopped the timer at its end
// (BenchmarkRequestDeadline: 4 allocations against 1); at 100,000 users
// every byte a request allocates costs a share of garbage collections
// that each mark the whole store. Most requests never wait on their
// context: the memory store only asks Err between steps of its work. So
// the deadline is kept as a time, and Err compares the clock with it; the
// first Done, AfterFunc (what context.WithCancel and context.AfterFunc of
// a child use) or expired Err makes the real context.WithDeadline, and
// from then on every method is that context's. Until then nothing holds Done, so no one can
// see Err answer before Done closes. TestDeadlineCtx holds it to the
// behaviour of context.WithDeadline.
type deadlineCtx struct {
	parent context.Context
	at     time.Time

	mu    sync.Mutex // orders arm and release
	armed atomic.Pointer[armedCtx]
	ended atomic.Bool // release ran: the request is over
}

type armedCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// withDeadline returns the request's context and the func that ends it,
// which the caller must call when the request is over (as with the cancel
// func of context.WithDeadline).
func withDeadline(parent context.Context, at time.Time) (*deadlineCtx, func()) {
	c := &deadlineCtx{parent: parent, at: at}
	return c, c.release
}

// arm makes the real context: cancelled at once when the request is over.
func (c *deadlineCtx) arm() context.Context {
	if a := c.armed.Load(); a != nil {
		return a.ctx
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.armed.Load(); a != nil {
		return a.ctx
	}
	ctx, cancel := context.WithDeadline(c.parent, c.at)
	if c.ended.Load() {
		cancel()
	}
	c.armed.Store(&armedCtx{ctx, cancel})
	return ctx
}

func (c *deadlineCtx) release() {
	c.mu.Lock()
	c.ended.Store(true)
	a := c.armed.Load()
	c.mu.Unlock()
	if a != nil {
		a.cancel()
	}
}

func (c *deadlineCtx) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && d.Before(c.at) {
		return d, true
	}
	return c.at, true
}

func (c *deadlineCtx) Done() <-chan struct{} { return c.arm().Done() }

func (c *deadlineCtx) Err() error {
	if a := c.armed.Load(); a != nil {
		return a.ctx.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if c.ended.Load() || !time.Now().Before(c.at) {
		return c.arm().Err() // context.Cause must name the cause too
	}
	return nil
}

// Value answers as the armed context does once there is one: the context
// package finds a parent's cancellation through it, and so registers a
// child of an armed deadline directly with it.
func (c *deadlineCtx) Value(key any) any {
	if a := c.armed.Load(); a != nil {
		return a.ctx.Value(key)
	}
	return c.parent.Value(key)
}

// AfterFunc is what context.AfterFunc and the children of this context
// use when it is not the context package's own type (without it, each
// child would start a goroutine to wait on Done).
func (c *deadlineCtx) AfterFunc(f func()) func() bool { return context.AfterFunc(c.arm(), f) }
