package ephemeral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// fakeEngine answers the Docker engine API calls of fromDocker, the
// container standing for a real PostgreSQL on port, and records what it
// was asked.
type fakeEngine struct {
	port string
	mu   sync.Mutex
	// create is the body of POST /containers/create; calls are "METHOD
	// path" without the API version.
	create map[string]any
	calls  []string
}

var apiVersion = regexp.MustCompile(`^/v[0-9.]+`)

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := apiVersion.ReplaceAllString(r.URL.Path, "")
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+path)
	f.mu.Unlock()
	w.Header().Set("Api-Version", "1.44")
	w.Header().Set("Content-Type", "application/json")
	const id = "0123456789abcdef0123456789abcdef"
	switch {
	case path == "/_ping":
		io.WriteString(w, "OK")
	case r.Method == http.MethodGet && path == "/containers/json":
		io.WriteString(w, "[]")
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/images/"):
		io.WriteString(w, `{"Id":"sha256:00"}`)
	case r.Method == http.MethodPost && path == "/containers/create":
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.create = body
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"Id":%q,"Warnings":[]}`, id)
	case r.Method == http.MethodPost && path == "/containers/"+id+"/start":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && path == "/containers/"+id+"/json":
		fmt.Fprintf(w, `{"Id":%q,"State":{"Running":true},"NetworkSettings":{"Ports":{"5432/tcp":[{"HostIp":"127.0.0.1","HostPort":%q}]}}}`, id, f.port)
	case r.Method == http.MethodDelete && path == "/containers/"+id:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"message":"fake engine: no %s %s"}`, r.Method, path)
	}
}

// TestDockerWay drives fromDocker against a fake Docker engine whose
// "container" is a real PostgreSQL (an initdb cluster with the role and
// database the image's entrypoint would make): the container is created
// with its port published on 127.0.0.1 only, labelled for the sweep,
// reached through the published port, and removed by the stop.
func TestDockerWay(t *testing.T) {
	ctx := context.Background()
	Logf = t.Logf
	t.Cleanup(func() { Logf = logPrintf })
	adminURL, _, stopPG, err := fromInitdb(ctx)
	var skip *skipWay
	if errors.As(err, &skip) {
		t.Skipf("no PostgreSQL to stand for the container: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer stopPG()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`CREATE ROLE scim LOGIN PASSWORD 'scim'`, `CREATE DATABASE scimtest OWNER scim`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	cfg, _ := pgx.ParseConfig(adminURL)

	eng := &fakeEngine{port: fmt.Sprint(cfg.Port)}
	sock := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(eng)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	defer ts.Close()
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	t.Setenv("DOCKER_API_VERSION", "")
	t.Setenv("DOCKER_TLS_VERIFY", "")
	t.Setenv("SCIM_TEST_POSTGRES_IMAGE", "example/postgres:local")

	dbURL, how, stop, err := fromDocker(ctx)
	if err != nil {
		t.Fatalf("fromDocker: %v (calls %v)", err, eng.calls)
	}
	t.Logf("up: %s", how)
	if want := "@127.0.0.1:" + eng.port + "/scimtest"; !strings.Contains(dbURL, want) {
		t.Errorf("URL %q does not reach the published port (%s)", dbURL, want)
	}
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connecting to %s: %v", dbURL, err)
	}
	var user string
	if err := c.QueryRow(ctx, `SELECT current_user`).Scan(&user); err != nil || user != "scim" {
		t.Errorf("current_user = %q, %v", user, err)
	}
	c.Close(ctx)
	stop()

	eng.mu.Lock()
	defer eng.mu.Unlock()
	body, _ := json.Marshal(eng.create)
	for _, want := range []string{
		`"Image":"example/postgres:local"`,
		`"POSTGRES_DB=scimtest"`, `"POSTGRES_USER=scim"`,
		`"5432/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]`,
		`"` + labelOwner + `":"1"`, `"` + labelPID + `":"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the create request lacks %s:\n%s", want, body)
		}
	}
	if last := eng.calls[len(eng.calls)-1]; !strings.HasPrefix(last, "DELETE /containers/") {
		t.Errorf("the stop did not remove the container; calls: %v", eng.calls)
	}
}
