package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/server"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
	"github.com/scimharness/scimharness/server/store/postgres"
	"github.com/scimharness/scimharness/server/store/postgres/pgtest"
	"github.com/scimharness/scimharness/simulators/load"
)

func TestDatabaseURLErrors(t *testing.T) {
	tests := []struct {
		name string
		url  string
		code int
		want string
	}{
		{"malformed", "postgres://%zz", exitUsage, "--database-url"},
		{"unreachable", "postgres://u:p@127.0.0.1:1/db?connect_timeout=2", exitFail, "127.0.0.1:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--token", "x", "--database-url", tc.url}, io.Discard, &errb, noEnv)
			if code != tc.code || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errb.String(), tc.want)
			}
			if strings.Contains(errb.String(), "u:p@") {
				t.Errorf("the database password reached the output: %s", errb.String())
			}
		})
	}
}

// TestServePostgresSurvivesRestart: with --database-url, what one server
// process acknowledged is there for the next one.
func TestServePostgresSurvivesRestart(t *testing.T) {
	dbURL := pgtest.ForTest(t)
	start := func() (base string, stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		var stderr syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--token", "pg", "--database-url", dbURL}, io.Discard, &stderr, noEnv)
		}()
		re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/scim/v2)`)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if m := re.FindStringSubmatch(stderr.String()); m != nil {
				return m[1], func() {
					cancel()
					if code := <-done; code != exitOK {
						t.Errorf("serve exited %d", code)
					}
				}
			}
		}
		cancel()
		t.Fatalf("server did not start:\n%s", stderr.String())
		return "", nil
	}
	call := func(method, url, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer pg")
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}

	base, stop := start()
	code, u := call("POST", base+"/Users", `{"userName":"persist@example.com","active":"True"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, u)
	}
	stop()

	base, stop = start()
	defer stop()
	code, got := call("GET", base+"/Users/"+u["id"].(string), "")
	if code != http.StatusOK || got["userName"] != "persist@example.com" || got["active"] != true {
		t.Errorf("after restart: %d %v", code, got)
	}
}

// TestLoadFixturePostgres: --serve-fixture with --database-url loads the
// users into a tenant of its own on the Postgres store, measures the
// lookups and deletes the tenant's rows afterwards, touching nothing else.
func TestLoadFixturePostgres(t *testing.T) {
	dbURL := pgtest.ForTest(t)
	ctx := context.Background()
	// Someone else's data in the same database.
	other, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	users, _ := schema.Default().ResourceType("User")
	doc, _ := users.Normalize(map[string]any{"userName": "user1@example.com"})
	if _, err := other.Create(ctx, server.DefaultTenant, users, doc); err != nil {
		t.Fatal(err)
	}

	jsonFile := filepath.Join(t.TempDir(), "fixture.json")
	code, out, errs := runLoad(t, "--serve-fixture", "users=12000", "--database-url", dbURL, "--requests", "400", "--concurrency", "4", "--rounds", "2", "--json", jsonFile)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	b, _ := os.ReadFile(jsonFile)
	var fr load.FixtureResult
	if err := json.Unmarshal(b, &fr); err != nil {
		t.Fatal(err)
	}
	if fr.Store != "postgres" || fr.PostgresTarget != load.PostgresTarget || fr.Server.Requests != 400 || fr.Server.Errors != 0 || !fr.Clean {
		t.Errorf("fixture result: %+v", fr)
	}
	if fr.PostgresMet != (fr.Server.Throughput >= load.PostgresTarget) {
		t.Errorf("postgresMet %v with %.0f lookups/s", fr.PostgresMet, fr.Server.Throughput)
	}
	if !regexp.MustCompile(`(?m)^postgres    \d+ lookups/s \(target ≥ 5000: (met|NOT met)\)$`).MatchString(out) ||
		!strings.Contains(out, "postgres store, 12000 users") {
		t.Errorf("no postgres target line in the output:\n%s", out)
	}
	if strings.Contains(out, "drive ") || strings.Contains(out, "target ≥ 0.65") {
		t.Errorf("the memory store's targets in a postgres run:\n%s", out)
	}
	m := regexp.MustCompile(`deleted the (\d+) resources of tenant (scimh-load-[0-9a-f]+)`).FindStringSubmatch(errs)
	if m == nil || m[1] != "12000" {
		t.Fatalf("no clean-up of the 12000 users reported:\n%s", errs)
	}
	for tenant, want := range map[string]int{m[2]: 0, server.DefaultTenant: 1} {
		p, err := other.Query(ctx, tenant, users, store.Query{Count: 0})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != want {
			t.Errorf("tenant %s holds %d users after the run, want %d", tenant, p.Total, want)
		}
	}
}
