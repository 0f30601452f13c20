package wire

import (
	"context"
	"sync"
)

// Authentication is what a server learnt, while serving one exchange, about
// who sent it: the tenant its credentials authenticated as. A capturing
// middleware (the server's recorder) puts one in the request's context with
// WithAuthentication; the server, which alone can check a token, notes the
// tenant on it; the middleware then keeps only exchanges so noted. Anyone
// can send a request naming a tenant in its path, so the path alone must
// never decide whose recording, rate limit or inspector view an exchange
// lands in. It is safe for concurrent use; a nil *Authentication ignores
// every call, so a server without a capturing middleware needs no checks.
type Authentication struct {
	mu     sync.Mutex
	tenant string
	ok     bool
}

type authKey struct{}

// WithAuthentication returns ctx carrying a fresh Authentication, and it.
func WithAuthentication(ctx context.Context) (context.Context, *Authentication) {
	a := &Authentication{}
	return context.WithValue(ctx, authKey{}, a), a
}

// AuthenticationFrom returns the Authentication of ctx, or nil.
func AuthenticationFrom(ctx context.Context) *Authentication {
	a, _ := ctx.Value(authKey{}).(*Authentication)
	return a
}

// Set notes that the exchange's credentials authenticated as tenant.
func (a *Authentication) Set(tenant string) {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.tenant, a.ok = tenant, true
	a.mu.Unlock()
}

// Clear notes that the credentials did not authenticate (after all).
func (a *Authentication) Clear() {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.tenant, a.ok = "", false
	a.mu.Unlock()
}

// Tenant returns the tenant noted, and whether one was.
func (a *Authentication) Tenant() (string, bool) {
	if a == nil {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tenant, a.ok
}
