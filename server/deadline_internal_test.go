package server

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type ctxKey struct{}

// TestDeadlineCtx holds deadlineCtx to what context.WithDeadline does: the
// same Err, Cause, Deadline, Value and Done, for a deadline ahead and past,
// a parent cancelled before and after something waits, and the end of the
// request; children and AfterFunc see its end.
func TestDeadlineCtx(t *testing.T) {
	type made struct {
		ctx    context.Context
		end    func()
		cancel context.CancelFunc // the parent's
	}
	makers := map[string]func(ahead time.Duration) made{
		"context.WithDeadline": func(ahead time.Duration) made {
			parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
			ctx, end := context.WithDeadline(parent, time.Now().Add(ahead))
			return made{ctx, end, cancel}
		},
		"deadlineCtx": func(ahead time.Duration) made {
			parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
			ctx, end := withDeadline(parent, time.Now().Add(ahead))
			return made{ctx, end, cancel}
		},
	}
	closed := func(ctx context.Context) bool {
		select {
		case <-ctx.Done():
			return true
		case <-time.After(10 * time.Second):
			return false
		}
	}
	tests := []struct {
		name  string
		ahead time.Duration
		act   func(m made) // what happens before the context is read
		err   error        // Err and context.Cause after act
		done  bool         // whether Done is closed after act
	}{
		{"ahead, untouched", time.Hour, func(made) {}, nil, false},
		{"past", -time.Second, func(made) {}, context.DeadlineExceeded, true},
		{"ahead, then waited on until it passes", 20 * time.Millisecond, func(m made) { <-m.ctx.Done() }, context.DeadlineExceeded, true},
		{"ahead, passes unwaited", 20 * time.Millisecond, func(made) { time.Sleep(40 * time.Millisecond) }, context.DeadlineExceeded, true},
		{"parent cancelled", time.Hour, func(m made) { m.cancel() }, context.Canceled, true},
		{"parent cancelled while waited on", time.Hour, func(m made) { _ = m.ctx.Done(); m.cancel() }, context.Canceled, true},
		{"request over", time.Hour, func(m made) { m.end() }, context.Canceled, true},
		{"request over while waited on", time.Hour, func(m made) { _ = m.ctx.Done(); m.end() }, context.Canceled, true},
	}
	for _, tt := range tests {
		for name, mk := range makers {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				m := mk(tt.ahead)
				defer m.cancel()
				defer m.end()
				tt.act(m)
				if err := m.ctx.Err(); !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
					t.Errorf("Err = %v, want %v", err, tt.err)
				}
				if err := context.Cause(m.ctx); !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
					t.Errorf("Cause = %v, want %v", err, tt.err)
				}
				if d, ok := m.ctx.Deadline(); !ok || d.IsZero() {
					t.Errorf("Deadline = %v, %v", d, ok)
				}
				if v := m.ctx.Value(ctxKey{}); v != "v" {
					t.Errorf("Value = %v", v)
				}
				if tt.done {
					if !closed(m.ctx) {
						t.Error("Done is not closed")
					}
				} else {
					select {
					case <-m.ctx.Done():
						t.Error("Done is closed")
					default:
					}
				}
			})
		}
	}
}

// TestDeadlineCtxChildren: a child context and an AfterFunc end with the
// request, and at the deadline, as they do under context.WithDeadline.
func TestDeadlineCtxChildren(t *testing.T) {
	ctx, end := withDeadline(context.Background(), time.Now().Add(time.Hour))
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	ran := make(chan struct{})
	context.AfterFunc(ctx, func() { close(ran) })
	end()
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the child outlived the request")
	}
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("AfterFunc did not run when the request ended")
	}

	ctx, end = withDeadline(context.Background(), time.Now().Add(20*time.Millisecond))
	defer end()
	child, cancelChild = context.WithCancel(ctx)
	defer cancelChild()
	select {
	case <-child.Done():
		if !errors.Is(child.Err(), context.DeadlineExceeded) {
			t.Errorf("child Err = %v", child.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child outlived the deadline")
	}
}

// TestDeadlineCtxConcurrent: Err, Done, Value and the end of the request
// from several goroutines at once (go test -race).
func TestDeadlineCtxConcurrent(t *testing.T) {
	for range 100 {
		ctx, end := withDeadline(context.Background(), time.Now().Add(time.Hour))
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				switch i {
				case 0:
					<-ctx.Done()
				case 1:
					for ctx.Err() == nil {
					}
				case 2:
					end()
				case 3:
					context.AfterFunc(ctx, func() {})
				}
			})
		}
		wg.Wait()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err = %v", ctx.Err())
		}
	}
}

// BenchmarkRequestDeadline: the deadline of a request nobody waits on, as
// context.WithTimeout made it and as deadlineCtx does (allocs/op).
func BenchmarkRequestDeadline(b *testing.B) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("context.WithTimeout", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctx, end := context.WithTimeout(parent, DefaultRequestTimeout)
			_ = ctx.Err()
			end()
		}
	})
	b.Run("deadlineCtx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctx, end := withDeadline(parent, time.Now().Add(DefaultRequestTimeout))
			_ = ctx.Err()
			end()
		}
	})
}
