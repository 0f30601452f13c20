package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/wire"
)

// serverProc is a `scimharness serve` process.
type serverProc struct {
	cmd  *exec.Cmd
	base string // SCIM base URL
	done chan struct{}
}

// startServeProc runs bin serve on dbURL and waits for it to listen.
func startServeProc(t *testing.T, bin, dbURL, token string) *serverProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--token", token, "--database-url", dbURL)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/scim/v2)`)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() { // drain to the end, so the server never blocks on its log
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	select {
	case p.base = <-urls:
		return p
	case <-p.done:
		t.Fatal("serve exited before listening")
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen within 30s")
	}
	return nil
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *serverProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// listNames lists the tenant's userNames (lower-cased) and group
// displayNames, through the server at base.
func listNames(t *testing.T, base, token string) (users, groups []string) {
	t.Helper()
	for _, ep := range []string{"/Users", "/Groups"} {
		req, _ := http.NewRequest("GET", base+ep+"?count=1000", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var lr struct{ Resources []map[string]any }
		err = json.NewDecoder(resp.Body).Decode(&lr)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("listing %s: %d %v", ep, resp.StatusCode, err)
		}
		for _, r := range lr.Resources {
			if ep == "/Users" {
				users = append(users, strings.ToLower(r["userName"].(string)))
			} else {
				groups = append(groups, r["displayName"].(string))
			}
		}
	}
	return users, groups
}

func dupsOf(names []string) []string {
	seen := map[string]int{}
	var d []string
	for _, n := range names {
		if seen[n]++; seen[n] == 2 {
			d = append(d, n)
		}
	}
	return d
}

// TestFaultSIGKILLMidCycle: the server process is killed (SIGKILL, no
// shutdown) in the middle of an Entra cycle and started again on the same
// database. Everything it acknowledged before dying is there, and the
// cycle run again with the same prefix and seed converges with no
// duplicate userNames.
func TestFaultSIGKILLMidCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dbURL := pgtest.ForTest(t)
	bin := filepath.Join(t.TempDir(), "scimharness")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const token = "kill-token"
	srv := startServeProc(t, bin, dbURL, token)

	// What the server acknowledged, as the client saw it: id → exists.
	const killAt = 60
	var mu sync.Mutex
	acked := map[string]bool{}
	seen, killed := 0, false
	capture := func(ex wire.Exchange) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		path := ex.Request.URL[strings.Index(ex.Request.URL, "/scim/v2")+len("/scim/v2"):]
		path, _, _ = strings.Cut(path, "?")
		switch {
		case ex.Request.Method == http.MethodPost && ex.Status() == http.StatusCreated && (path == "/Users" || path == "/Groups"):
			var b map[string]any
			if json.Unmarshal(ex.Response.Body, &b) == nil {
				id, _ := b["id"].(string)
				acked[path+"/"+id] = true
			}
		case ex.Request.Method == http.MethodDelete && ex.Status() == http.StatusNoContent:
			acked[path] = false
		}
		if seen == killAt && !killed {
			killed = true
			_ = srv.cmd.Process.Kill() // SIGKILL: no drain, no pool close
		}
	}
	newClient := func(base string, capture func(wire.Exchange)) *client.Client {
		c, err := client.New(entra.ClientConfig(client.Config{BaseURL: base, Token: token, Capture: capture,
			Retry: client.Retry{Max: 2, Base: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	o := entra.Options{Users: 10, Groups: 2, Seed: 11, Prefix: scenario.NewPrefix()}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results, quarantined := entra.Run(ctx, newClient(srv.base, capture), o, scenario.Options{Keep: true})
	<-srv.done
	mu.Lock()
	if !killed {
		mu.Unlock()
		t.Fatalf("the cycle made %d requests, fewer than the %d before the kill", seen, killAt)
	}
	ackedBefore := len(acked)
	mu.Unlock()
	failed := 0
	for _, r := range results {
		if r.Status >= scenario.Fail {
			failed++
		}
	}

	srv = startServeProc(t, bin, dbURL, token)
	plain := newClient(srv.base, nil)
	check := func() {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for path, live := range acked {
			ex, err := plain.Do(ctx, client.Request{Method: "GET", Path: path})
			want := http.StatusOK
			if !live {
				want = http.StatusNotFound
			}
			if err != nil || ex.Status() != want {
				t.Errorf("%s after the restart: %d %v, want %d (acknowledged before the kill)", path, ex.Status(), err, want)
			}
		}
	}
	check()
	// Re-run the cycle until the tenant stops changing: every run must
	// leave no duplicate, and it must settle (a run after the kill may
	// still create what the killed run never reached).
	var rerun []scenario.Result
	var users, groups []string
	runs := 0
	for prevU, prevG := -1, -1; runs < 5; runs++ {
		rerun, _ = entra.Run(ctx, plain, o, scenario.Options{Keep: true})
		check()
		users, groups = listNames(t, srv.base, token)
		if d := append(dupsOf(users), dupsOf(groups)...); len(d) > 0 {
			t.Fatalf("duplicates after re-run %d: %q", runs+1, d)
		}
		if len(users) == prevU && len(groups) == prevG {
			break
		}
		prevU, prevG = len(users), len(groups)
	}
	if runs == 5 {
		t.Errorf("the tenant still changed after 5 re-runs: %d users, %d groups", len(users), len(groups))
	}
	t.Logf("SIGKILL at request %d: the killed run had %d failed results (quarantined %v); %d acknowledged resources verified after the restart and after each re-run; converged after %d re-runs (last: %s); %d userNames, %d groups, 0 duplicates",
		killAt, failed, quarantined, ackedBefore, runs+1, scenario.Summarize(rerun), len(users), len(groups))
}

// --rate-limit caps each tenant's requests: over the burst, 429 with
// Retry-After; a bad value is a usage error.
func TestServeRateLimitFlag(t *testing.T) {
	var errb syncBuffer
	if code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--token", "x", "--rate-limit", "-1"}, io.Discard, &errb, noEnv); code != exitUsage {
		t.Errorf("--rate-limit -1: exit %d, want %d (%s)", code, exitUsage, errb.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--token", "rl", "--rate-limit", "0.5", "--rate-limit-burst", "2"}, io.Discard, &stderr, noEnv)
	}()
	defer func() {
		cancel()
		<-done
	}()
	re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/scim/v2)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	var codes []int
	var retryAfter string
	for range 3 {
		req, _ := http.NewRequest("GET", base+"/Users", nil)
		req.Header.Set("Authorization", "Bearer rl")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		retryAfter = resp.Header.Get("Retry-After")
	}
	if !slices.Equal(codes, []int{200, 200, 429}) || retryAfter != "2" {
		t.Errorf("statuses %v, last Retry-After %q; want [200 200 429] and 2 (a token every 2s)", codes, retryAfter)
	}
}
