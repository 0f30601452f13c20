package load

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/servertest"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/server/store/postgres"
)

// The fixture comparison (scimharness load --serve-fixture users=N): the
// reference server, in this process, holding N users, against a bare
// net/http handler returning a fixed one-user ListResponse, under the same
// lookup-only load, taking turns. Its targets: the server's throughput at
// least 0.65 of the bare handler's (RatioTarget, issue 20), at least DriveTarget
// requests per second driven at the server, and on the Postgres store at
// least PostgresTarget lookups per second.
const (
	RatioTarget    = 0.65
	DriveTarget    = 20_000
	PostgresTarget = 5000
)

// FixtureOptions configure Fixture.
type FixtureOptions struct {
	// Users is the number of users the reference server holds.
	Users int
	// DatabaseURL, if set, puts the reference server on the Postgres store
	// there (users in a tenant of the run's own, deleted at the end)
	// instead of the memory store.
	DatabaseURL string
	// Rounds is how many turns each target takes (default 4).
	Rounds int
	// MaxErrors is the error rate above which no target counts as met.
	MaxErrors float64
	// Load is the lookup load of each turn: concurrency, duration or
	// requests (split over the rounds), engine, timeout, progress. Its URL,
	// Token, Mix and LookupNames are set here.
	Load Options
	// CPUProfile, if set, receives a CPU profile of the measured turns.
	CPUProfile io.Writer
	// Log receives what the comparison is doing (loading, cleaning up).
	Log io.Writer
	// AfterTurn, if set, is called after each measured turn (the CLI ends
	// its progress line there).
	AfterTurn func()
}

// FixtureResult is the outcome of Fixture, as JSON.
type FixtureResult struct {
	Users       int       `json:"users"`
	Server      *Result   `json:"server"`
	Bare        *Result   `json:"bare"`
	Ratio       float64   `json:"ratio"`
	RatioMet    bool      `json:"ratioMet"`    // ≥ RatioTarget
	DriveMet    bool      `json:"driveMet"`    // ≥ DriveTarget/s against the server
	DriveTarget float64   `json:"driveTarget"` // DriveTarget
	Rounds      int       `json:"rounds"`
	RoundRatios []float64 `json:"roundRatios"`
	// Clean is false when either error rate is above MaxErrors: such a run
	// measured something else than lookups, and no target counts as met.
	Clean bool `json:"clean"`
	// Store is the reference server's store: "memory", or "postgres" with
	// a DatabaseURL, whose target is PostgresTarget lookups per second.
	Store          string  `json:"store"`
	PostgresTarget float64 `json:"postgresTarget,omitempty"`
	PostgresMet    bool    `json:"postgresMet,omitempty"`
}

// NewFixtureResult judges a comparison's combined results.
func NewFixtureResult(users int, server, bare *Result, roundRatios []float64, maxErrors float64) FixtureResult {
	fr := FixtureResult{Users: users, Server: server, Bare: bare, DriveTarget: DriveTarget,
		Rounds: len(roundRatios), RoundRatios: roundRatios}
	if bare.Throughput > 0 {
		fr.Ratio = server.Throughput / bare.Throughput
	}
	fr.Clean = server.ErrorRate() <= maxErrors && bare.ErrorRate() <= maxErrors
	fr.RatioMet = fr.Clean && fr.Ratio >= RatioTarget
	fr.DriveMet = fr.Clean && server.Throughput >= fr.DriveTarget
	fr.Store = "memory"
	return fr
}

// forPostgres marks fr as a run on the Postgres store, judged by its target.
func (fr *FixtureResult) forPostgres() {
	fr.Store = "postgres"
	fr.PostgresTarget = PostgresTarget
	fr.PostgresMet = fr.Clean && fr.Server.Throughput >= PostgresTarget
}

// bareListResponse is the floor: a handler that does nothing but write a
// fixed one-user ListResponse (server/bench_test.go has the same).
var bareListResponse = []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"2819c223-7f76-453a-919d-413861904646","userName":"user50000@example.com"}]}`)

// Fixture runs the comparison. An error means it could not be set up or a
// turn could not run (the CLI exits 2); the targets are in the result.
func Fixture(ctx context.Context, fo FixtureOptions) (*FixtureResult, error) {
	if fo.Users < 1 {
		return nil, errors.New("load: fixture: at least 1 user")
	}
	if fo.Rounds < 1 {
		fo.Rounds = 4
	}
	if fo.Log == nil {
		fo.Log = io.Discard
	}
	tok := make([]byte, 16)
	crand.Read(tok)
	token := hex.EncodeToString(tok)
	n := fo.Users

	fx, err := openFixtureStore(ctx, fo.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer fx.close(fo.Log)
	fmt.Fprintf(fo.Log, "loading %d users into the %s store…\n", n, fx.kind)
	t0 := time.Now()
	srv, err := fixtureServer(ctx, fx, n, token)
	if err != nil {
		return nil, fmt.Errorf("fixture: %v", err)
	}
	fmt.Fprintf(fo.Log, "loaded in %s\n", time.Since(t0).Round(time.Millisecond))
	srvURL, stopSrv, err := listen(srv)
	if err != nil {
		return nil, err
	}
	defer stopSrv()
	srvURL += fx.base
	bareURL, stopBare, err := listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Write(bareListResponse)
	}))
	if err != nil {
		return nil, err
	}
	defer stopBare()
	bareURL += "/scim/v2"

	// The same 1024 existing userNames, in the same order, for both.
	r := rand.New(rand.NewPCG(uint64(n), 8))
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprintf("user%d@example.com", r.IntN(n))
	}
	opts := fo.Load
	opts.Token, opts.LookupNames, opts.Mix, opts.Path, opts.Keep = token, names, Mix{Lookup: 100}, "", false

	warm := func(base string) error {
		// A short warm-up: connections, caches, the heap's size.
		w := opts
		w.URL, w.Progress, w.Duration, w.Requests = base, nil, 0, 2000
		_, err := Run(ctx, w)
		return err
	}
	if err := warm(bareURL); err != nil {
		return nil, fmt.Errorf("bare handler: %v", err)
	}
	if err := warm(srvURL); err != nil {
		return nil, fmt.Errorf("reference server: %v", err)
	}
	if fo.CPUProfile != nil {
		if err := pprof.StartCPUProfile(fo.CPUProfile); err != nil {
			return nil, fmt.Errorf("cpu profile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	// The targets take turns, bare-server, server-bare, …, each for
	// Duration/Rounds (or Requests/Rounds), so that a slow spell of a
	// shared machine falls on both; each target's turns are combined.
	rounds := fo.Rounds
	var bares, servers []*Result
	var roundRatios []float64
	for i := range rounds {
		o := opts
		if o.Requests > 0 {
			o.Requests = max(o.Requests/rounds, 1)
		} else {
			o.Duration = max(o.Duration/time.Duration(rounds), 100*time.Millisecond)
		}
		turn := func(base, what string) (*Result, error) {
			o := o
			o.URL = base
			res, err := Run(ctx, o)
			if fo.AfterTurn != nil {
				fo.AfterTurn()
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %v", what, err)
			}
			return res, nil
		}
		order := []string{bareURL, srvURL}
		if i%2 == 1 {
			order = []string{srvURL, bareURL}
		}
		var b, sv *Result
		for _, base := range order {
			var err error
			if base == bareURL {
				b, err = turn(base, "bare handler")
			} else {
				sv, err = turn(base, "reference server")
			}
			if err != nil {
				return nil, err
			}
		}
		bares, servers = append(bares, b), append(servers, sv)
		if b.Throughput > 0 {
			roundRatios = append(roundRatios, sv.Throughput/b.Throughput)
		}
		if ctx.Err() != nil {
			break
		}
	}
	fr := NewFixtureResult(n, Combine(servers...), Combine(bares...), roundRatios, fo.MaxErrors)
	if fx.kind == "postgres" {
		fr.forPostgres()
	}
	return &fr, nil
}

// fixtureStore is the store the fixture server runs on, the tenant the
// users go into and the base path that addresses it.
type fixtureStore struct {
	kind   string // "memory" or "postgres"
	st     store.Store
	pg     *postgres.Store // with a database URL
	tenant string
	base   string // /scim/v2, or /t/TENANT/scim/v2
}

// openFixtureStore opens the memory store, or the Postgres store at dbURL
// with a tenant of the run's own.
func openFixtureStore(ctx context.Context, dbURL string) (*fixtureStore, error) {
	if dbURL == "" {
		return &fixtureStore{kind: "memory", st: memory.New(), tenant: server.DefaultTenant, base: "/scim/v2"}, nil
	}
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	pg, err := postgres.Open(octx, dbURL)
	cancel()
	if err != nil {
		if errors.Is(err, postgres.ErrInvalidURL) {
			return nil, fmt.Errorf("--database-url: %v", err)
		}
		return nil, err
	}
	tenant := scenario.NewPrefix()
	tenant = "scimh-load-" + tenant[strings.LastIndexByte(tenant, '-')+1:]
	return &fixtureStore{kind: "postgres", st: pg, pg: pg, tenant: tenant, base: "/t/" + tenant + "/scim/v2"}, nil
}

// close deletes what the run wrote into the database (its tenant), also
// after Ctrl-C, and closes the store.
func (f *fixtureStore) close(log io.Writer) {
	if f.pg == nil {
		return
	}
	defer f.pg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	n, err := f.pg.DeleteTenant(ctx, f.tenant)
	if err != nil {
		fmt.Fprintf(log, "cleanup: deleting tenant %s from the database: %v (delete its rows of scim.resources by hand)\n", f.tenant, err)
		return
	}
	fmt.Fprintf(log, "cleanup: deleted the %d resources of tenant %s in %s\n", n, f.tenant, time.Since(t0).Round(time.Millisecond))
}

// fixtureUser is the i-th user of the fixture, as an IdP provisions one.
func fixtureUser(rt *schema.ResourceType, i int) (map[string]any, error) {
	return rt.Normalize(map[string]any{
		"userName":   fmt.Sprintf("user%d@example.com", i),
		"externalId": fmt.Sprintf("ext-%d", i),
		"name":       map[string]any{"givenName": "Given", "familyName": fmt.Sprintf("Family%d", i)},
		"emails":     []any{map[string]any{"value": fmt.Sprintf("user%d@example.com", i), "type": "work", "primary": true}},
		"active":     true,
	})
}

// fixtureServer is the reference server with n users loaded through the
// store (as server/bench_test.go's benchServer) into f's tenant: one Create
// each in memory, batches of CreateMany (COPY) from a few goroutines on
// Postgres. It is the one place the comparison assembles the reference
// server.
func fixtureServer(ctx context.Context, f *fixtureStore, n int, token string) (http.Handler, error) {
	rt, ok := schema.Default().ResourceType("User")
	if !ok {
		return nil, errors.New("no User resource type")
	}
	if f.pg != nil {
		if err := loadPostgres(ctx, f, rt, n); err != nil {
			return nil, err
		}
	} else {
		for i := range n {
			if i%1000 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			doc, err := fixtureUser(rt, i)
			if err != nil {
				return nil, err
			}
			if _, err := f.st.Create(ctx, f.tenant, rt, doc); err != nil {
				return nil, err
			}
		}
	}
	// The one in-process reference server, not started: the fixture serves
	// its handler on its own listener.
	srv, err := servertest.NewUnstartedServer(servertest.WithStore(f.st), servertest.WithTenant(f.tenant), servertest.WithToken(token))
	if err != nil {
		return nil, err
	}
	return srv.Handler, nil
}

// loadPostgres loads the n users with CreateMany, a batch at a time from
// as many goroutines as there are CPUs (the database's index updates are
// most of the cost).
func loadPostgres(ctx context.Context, f *fixtureStore, rt *schema.ResourceType, n int) error {
	const batch = 5000
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	go func() {
		defer close(next)
		for from := 0; from < n; from += batch {
			select {
			case next <- from:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range max(2, min(runtime.GOMAXPROCS(0), 8)) {
		wg.Go(func() {
			for from := range next {
				docs := make([]map[string]any, 0, batch)
				var err error
				for i := from; i < min(from+batch, n) && err == nil; i++ {
					var doc map[string]any
					doc, err = fixtureUser(rt, i)
					docs = append(docs, doc)
				}
				if err == nil {
					_, err = f.pg.CreateMany(ctx, f.tenant, rt, docs)
				}
				if err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// listen serves h on a fresh loopback port.
func listen(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close() }, nil
}
