package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/store/memory"
	"github.com/scimharness/scimharness/simulators/load"
)

// referenceTarget is the reference server with the memory store.
func referenceTarget(t *testing.T) string {
	t.Helper()
	tenants := server.NewTenants()
	tenants.Add(server.DefaultTenant, server.HashToken(testToken))
	srv, err := server.New(server.Config{Store: memory.New(), Tenants: tenants, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL + "/scim/v2"
}

// totalOf returns totalResults of GET base/path.
func totalOf(t *testing.T, base, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ TotalResults int }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.TotalResults
}

func runLoad(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"load"}, args...), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

func TestLoadShortRun(t *testing.T) {
	for _, engine := range []string{load.EngineFast, load.EngineNetHTTP, load.EngineResty} {
		t.Run(strings.ReplaceAll(engine, "/", "-"), func(t *testing.T) { testLoadShortRun(t, engine) })
	}
}

func testLoadShortRun(t *testing.T, engine string) {
	base := referenceTarget(t)
	usersBefore, groupsBefore := totalOf(t, base, "/Users?count=0"), totalOf(t, base, "/Groups?count=0")
	jsonFile := filepath.Join(t.TempDir(), "result.json")
	code, out, errs := runLoad(t, "--url", base, "--token", testToken, "--requests", "200", "--concurrency", "4", "--json", jsonFile, "--client", engine)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	res := readLoadResult(t, jsonFile)
	if res.Engine != engine {
		t.Errorf("engine %q, want %q", res.Engine, engine)
	}
	if res.Requests != 200 || res.Errors != 0 {
		t.Errorf("requests %d errors %d (%v), want 200 and 0\n%s", res.Requests, res.Errors, res.ErrorsByStatus, out)
	}
	if !(0 < res.P50ms && res.P50ms <= res.P90ms && res.P90ms <= res.P99ms && res.P99ms <= res.MaxMs) {
		t.Errorf("percentiles out of order: p50 %v p90 %v p99 %v max %v", res.P50ms, res.P90ms, res.P99ms, res.MaxMs)
	}
	for _, op := range []string{"lookup", "create", "patch", "member"} {
		if res.ByOp[op] == 0 {
			t.Errorf("the default mix sent no %s: %v", op, res.ByOp)
		}
	}
	if res.Created == 0 || res.Deleted != res.Created {
		t.Errorf("created %d, deleted %d", res.Created, res.Deleted)
	}
	if u, g := totalOf(t, base, "/Users?count=0"), totalOf(t, base, "/Groups?count=0"); u != usersBefore || g != groupsBefore {
		t.Errorf("after the run %d users and %d groups, before %d and %d: cleanup left some", u, g, usersBefore, groupsBefore)
	}
	if !strings.Contains(out, "p99") || !strings.Contains(out, "requests    200") {
		t.Errorf("summary lacks the figures:\n%s", out)
	}
}

// TestLoadKeep: --keep leaves the run's resources and prints the cleanup
// command, which removes them as written.
func TestLoadKeep(t *testing.T) {
	base := referenceTarget(t)
	code, out, errs := runLoad(t, "--url", base, "--token", testToken, "--requests", "50", "--concurrency", "2", "--keep", "--prefix", "scimh-keeprun")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	const kept = `/Users?filter=userName%20sw%20%22scimh-keeprun-%22&count=0`
	if n := totalOf(t, base, kept); n < 16 {
		t.Errorf("--keep left %d users with the prefix, want the working set at least", n)
	}
	if !strings.Contains(out, "(prefix scimh-keeprun; remove them with: scimharness cleanup --prefix scimh-keeprun --url "+base+" --yes)") {
		t.Errorf("--keep does not print the prefix:\n%s", out)
	}
	if code, out, errs := runPrintedCleanup(t, out); code != exitOK {
		t.Fatalf("the printed cleanup: exit %d\n%s\n%s", code, out, errs)
	}
	if n := totalOf(t, base, kept); n != 0 {
		t.Errorf("the printed cleanup left %d users with the prefix", n)
	}
}

func TestLoadLookupOnlyPath(t *testing.T) {
	// --path with --lookup-only creates nothing: the bare-handler mode.
	var n int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("%s %s sent in lookup-only mode", r.Method, r.URL)
		}
		n++
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}`))
	}))
	defer ts.Close()
	code, out, errs := runLoad(t, "--url", ts.URL+"/scim/v2", "--token", testToken, "--requests", "100", "--concurrency", "1", "--lookup-only", "--path", "/Users?filter=userName%20eq%20%22x%22")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if n != 101 { // the probe and 100
		t.Errorf("%d requests, want 101", n)
	}
}

func TestLoadErrorsExit1(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ServiceProviderConfig") {
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer ts.Close()
	code, out, errs := runLoad(t, "--url", ts.URL, "--token", "x", "--requests", "20", "--lookup-only", "--path", "/Users")
	if code != exitFail || !strings.Contains(out, "500") {
		t.Errorf("exit %d, want 1 with the 500s counted\n%s\n%s", code, out, errs)
	}
}

func TestLoadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no url", []string{"--token", "x"}, "--url is required"},
		{"bad url", []string{"--url", "ftp://x", "--token", "x"}, "not an absolute http(s) URL"},
		{"bad mix", []string{"--url", "http://127.0.0.1:1", "--mix", "lookup=x"}, "--mix"},
		{"unknown op", []string{"--url", "http://127.0.0.1:1", "--mix", "delete=5"}, "unknown operation"},
		{"zero mix", []string{"--url", "http://127.0.0.1:1", "--mix", "lookup=0"}, "all weights are 0"},
		{"mix and lookup-only", []string{"--url", "http://127.0.0.1:1", "--mix", "lookup=1", "--lookup-only"}, "exclude each other"},
		{"bad concurrency", []string{"--url", "http://127.0.0.1:1", "--concurrency", "0"}, "--concurrency"},
		{"duration and requests", []string{"--url", "http://127.0.0.1:1", "--duration", "1s", "--requests", "5"}, "not both"},
		{"bad client", []string{"--url", "http://127.0.0.1:1", "--client", "curl"}, "--client"},
		{"bad prefix", []string{"--url", "http://127.0.0.1:1", "--prefix", "a b"}, "--prefix"},
		{"fixture syntax", []string{"--serve-fixture", "groups=5"}, "users=N"},
		{"fixture with url", []string{"--serve-fixture", "users=5", "--url", "http://127.0.0.1:1"}, "does not go with"},
		{"cpuprofile alone", []string{"--url", "http://127.0.0.1:1", "--cpuprofile", "x"}, "--serve-fixture"},
		{"rounds alone", []string{"--url", "http://127.0.0.1:1", "--rounds", "2"}, "--serve-fixture"},
		{"zero rounds", []string{"--serve-fixture", "users=5", "--rounds", "0"}, "--rounds"},
		{"extra argument", []string{"--url", "http://127.0.0.1:1", "extra"}, "unexpected argument"},
		{"database-url without fixture", []string{"--url", "http://127.0.0.1:1", "--database-url", "postgres://u@127.0.0.1:1/db"}, "go with --serve-fixture"},
		{"empty database-url", []string{"--serve-fixture", "users=5", "--database-url", ""}, "--database-url is empty"},
		{"malformed database-url", []string{"--serve-fixture", "users=5", "--database-url", "postgres://%zz"}, "--database-url"},
		{"unexpanded database-url", []string{"--serve-fixture", "users=5", "--database-url", "$DATABASE_URL"}, "--database-url"},
		{"unreachable database", []string{"--serve-fixture", "users=5", "--database-url", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2"}, "127.0.0.1:1"},
		{"non-loopback without --yes", []string{"--url", "https://scim.example.com/scim/v2", "--token", "x"}, "pass --yes"},
		{"unreachable", []string{"--url", "http://127.0.0.1:1/scim/v2", "--token", "x", "--requests", "1"}, "cannot reach"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runLoad(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errs)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errs)
			}
		})
	}
}

func TestLoadWrongToken(t *testing.T) {
	base := referenceTarget(t)
	code, _, errs := runLoad(t, "--url", base, "--token", "wrong", "--requests", "5")
	if code != exitUsage || !strings.Contains(errs, "refused the credentials") {
		t.Errorf("exit %d, want 2 refusing the credentials\n%s", code, errs)
	}
}

func TestLoadFixture(t *testing.T) {
	jsonFile := filepath.Join(t.TempDir(), "fixture.json")
	code, out, errs := runLoad(t, "--serve-fixture", "users=200", "--requests", "300", "--concurrency", "4", "--json", jsonFile)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	b, _ := os.ReadFile(jsonFile)
	var fr load.FixtureResult
	if err := json.Unmarshal(b, &fr); err != nil {
		t.Fatal(err)
	}
	if fr.Server.Requests != 300 || fr.Bare.Requests != 300 || fr.Server.Errors+fr.Bare.Errors != 0 || fr.Ratio <= 0 {
		t.Errorf("fixture result: %+v", fr)
	}
	if !strings.Contains(out, "server/bare =") {
		t.Errorf("no ratio in the output:\n%s", out)
	}
	if fr.Rounds != 4 || len(fr.RoundRatios) != 4 || !fr.Clean {
		t.Errorf("rounds %d %v clean %v, want the 4 default rounds of a clean run", fr.Rounds, fr.RoundRatios, fr.Clean)
	}
}

// The targets are judged on clean runs only: a server that answers errors
// fast must not pass for a fast server.
func TestFixtureVerdict(t *testing.T) {
	res := func(throughput float64, requests, errs int64) *load.Result {
		return &load.Result{Throughput: throughput, Requests: requests, Errors: errs}
	}
	tests := []struct {
		name              string
		server, bare      *load.Result
		ratioMet, driveMe bool
	}{
		{"both met", res(27_000, 1000, 0), res(40_000, 1000, 0), true, true},
		{"ratio below 0.65", res(25_000, 1000, 0), res(40_000, 1000, 0), false, true},
		{"too slow to drive", res(15_000, 1000, 0), res(20_000, 1000, 0), true, false},
		{"server errors", res(90_000, 1000, 500), res(40_000, 1000, 0), false, false},
		{"bare errors", res(25_000, 1000, 0), res(40_000, 1000, 20), false, false},
		{"errors within --max-errors", res(27_000, 1000, 5), res(40_000, 1000, 0), true, true},
	}
	for _, tc := range tests {
		fr := load.NewFixtureResult(100, tc.server, tc.bare, nil, 0.01)
		if fr.RatioMet != tc.ratioMet || fr.DriveMet != tc.driveMe {
			t.Errorf("%s: ratio met %v drive met %v, want %v %v", tc.name, fr.RatioMet, fr.DriveMet, tc.ratioMet, tc.driveMe)
		}
	}
}

// TestLoadShardsMerge: three `load --shard i/3 --json` runs at once against
// one server, then `load merge` of their files: the merged request count is
// the sum, and the server is left as it was (issue 20: several generators).
func TestLoadShardsMerge(t *testing.T) {
	base := referenceTarget(t)
	usersBefore := totalOf(t, base, "/Users?count=0")
	dir := t.TempDir()
	var wg sync.WaitGroup
	files := make([]string, 3)
	for i := range 3 {
		files[i] = filepath.Join(dir, fmt.Sprintf("shard%d.json", i+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, errs := runLoad(t, "--url", base, "--token", testToken, "--requests", "50", "--concurrency", "2",
				"--prefix", "scimh-shards", "--shard", fmt.Sprintf("%d/3", i+1), "--json", files[i], "--client", load.EngineNetHTTP)
			if code != exitOK {
				t.Errorf("shard %d: exit %d\n%s\n%s", i+1, code, out, errs)
			}
		}()
	}
	wg.Wait()
	merged := filepath.Join(dir, "merged.json")
	code, out, errs := runCLI(append([]string{"load", "merge", "--json", merged}, files...)...)
	if code != exitOK || !strings.Contains(out, "merged 3 shards") || !strings.Contains(out, "requests    150") {
		t.Fatalf("merge: exit %d\n%s\n%s", code, out, errs)
	}
	b, _ := os.ReadFile(merged)
	var m load.Result
	if err := json.Unmarshal(b, &m); err != nil || m.Requests != 150 || m.Created != m.Deleted {
		t.Errorf("merged result %+v (%v)", m, err)
	}
	if u := totalOf(t, base, "/Users?count=0"); u != usersBefore {
		t.Errorf("%d users after the shards, %d before", u, usersBefore)
	}
	if code, _, errs := runCLI("load", "--url", base, "--token", testToken, "--shard", "4/3"); code != exitUsage || !strings.Contains(errs, "1 ≤ i ≤ N") {
		t.Errorf("--shard 4/3: exit %d: %s", code, errs)
	}
}

// TestLoadTimedRunCleansUp (issue 19): a run bounded by --duration stops
// with creates in flight; what they made is deleted too, and the count
// printed says so — the target holds what it held before.
func TestLoadTimedRunCleansUp(t *testing.T) {
	base := referenceTarget(t)
	usersBefore, groupsBefore := totalOf(t, base, "/Users?count=0"), totalOf(t, base, "/Groups?count=0")
	jsonFile := filepath.Join(t.TempDir(), "result.json")
	code, out, errs := runLoad(t, "--url", base, "--token", testToken, "--duration", "1500ms", "--concurrency", "16", "--json", jsonFile)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	res := readLoadResult(t, jsonFile)
	if res.Created == 0 || res.Deleted != res.Created {
		t.Errorf("created %d, deleted %d", res.Created, res.Deleted)
	}
	if u, g := totalOf(t, base, "/Users?count=0"), totalOf(t, base, "/Groups?count=0"); u != usersBefore || g != groupsBefore {
		t.Errorf("after the timed run %d users and %d groups, before %d and %d: cleanup left some\n%s", u, g, usersBefore, groupsBefore, out)
	}
}

// readLoadResult reads the --json file of a load run.
func readLoadResult(t *testing.T, file string) load.Result {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var res load.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("result JSON: %v\n%s", err, b)
	}
	return res
}
