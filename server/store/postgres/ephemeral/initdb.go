package ephemeral

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// clusterPrefix names the temporary directories of initdb clusters, so a
// later run can find those a killed process left behind.
const clusterPrefix = "scimharness-pgtest-"

// serverDirs is where Debian and Ubuntu put the server binaries; a variable
// so that a test can show what happens on a machine without them.
var serverDirs = "/usr/lib/postgresql/*/bin"

// serverBin finds the directory holding initdb, pg_ctl and postgres: PATH
// first, then the newest /usr/lib/postgresql/*/bin (Debian and Ubuntu keep
// the server binaries off PATH).
func serverBin() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && has(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if has(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob(serverDirs)
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	return "", errors.New("initdb, pg_ctl and postgres are neither on PATH nor in /usr/lib/postgresql/*/bin")
}

func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// fromInitdb creates and starts a throwaway cluster.
func fromInitdb(ctx context.Context) (string, string, func(), error) {
	bin, err := serverBin()
	if err != nil {
		return "", "", nil, fallThrough("initdb: %v", err)
	}
	sweepClusters()
	owner, err := unprivileged()
	if err != nil {
		return "", "", nil, fallThrough("initdb: %v", err)
	}
	dir, err := os.MkdirTemp("", clusterPrefix+"*")
	if err != nil {
		return "", "", nil, fallThrough("initdb: %v", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	// The owner file tells a later run whether the process that made the
	// cluster still runs.
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		cleanup()
		return "", "", nil, fallThrough("initdb: %v", err)
	}
	if err := owner.own(dir); err != nil {
		cleanup()
		return "", "", nil, fallThrough("initdb: %v", err)
	}
	data := filepath.Join(dir, "data")
	run := func(ctx context.Context, name string, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C", "HOME="+dir)
		owner.apply(cmd)
		return cmd.CombinedOutput()
	}
	if out, err := run(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		cleanup()
		return "", "", nil, fallThrough("initdb failed (%v): %s", err, strings.TrimSpace(string(out)))
	}
	port, err := freePort()
	if err != nil {
		cleanup()
		return "", "", nil, fallThrough("initdb: %v", err)
	}
	logFile, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		cleanup()
		return "", "", nil, fallThrough("initdb: %v", err)
	}
	// postgres runs as a child, not through pg_ctl start, so that it gets
	// the parent-death signal (it dies with a killed test process) and its
	// own process group (a Ctrl-C at the terminal reaches the test, whose
	// cleanup stops the cluster, not the cluster behind its back).
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200")
	srv.Dir = dir
	srv.Env = append(os.Environ(), "LC_ALL=C")
	srv.Stdout, srv.Stderr = logFile, logFile
	owner.apply(srv)
	detach(srv)
	if err := srv.Start(); err != nil {
		logFile.Close()
		cleanup()
		return "", "", nil, fallThrough("starting postgres: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = srv.Wait()
		logFile.Close()
		close(exited)
	}()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := run(sctx, "pg_ctl", "stop", "-D", data, "-m", "immediate", "-w"); err != nil {
			select {
			case <-exited:
			default:
				Logf("postgres for tests: pg_ctl stop: %v: %s", err, strings.TrimSpace(string(out)))
			}
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = srv.Process.Kill()
			<-exited
		}
		if err := os.RemoveAll(dir); err != nil {
			Logf("postgres for tests: removing %s: %v", dir, err)
		}
	}
	dbURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := waitReady(ctx, dbURL, exited); err != nil {
		stop()
		log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		return "", "", nil, fallThrough("postgres did not start (%v): %s", err, strings.TrimSpace(string(log)))
	}
	ver, _ := exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	return dbURL, fmt.Sprintf("initdb cluster in %s (%s, port %d%s; removed at the end)",
		dir, strings.TrimSpace(string(ver)), port, owner.note()), stop, nil
}

// waitReady waits until the server accepts connections, or exits.
func waitReady(ctx context.Context, dbURL string, exited <-chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := pgx.Connect(cctx, dbURL)
		cancel()
		if err == nil {
			return c.Close(ctx)
		}
		select {
		case <-exited:
			return errors.New("the server exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// sweepClusters removes the cluster directories of processes that are gone,
// stopping a server still running in one.
func sweepClusters() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), clusterPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		if pm, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			if first, _, _ := strings.Cut(string(pm), "\n"); first != "" {
				if p, err := strconv.Atoi(first); err == nil && alive(p) {
					quit(p)
					time.Sleep(time.Second)
				}
			}
		}
		if os.RemoveAll(dir) == nil {
			Logf("postgres for tests: removed %s left behind by process %d", dir, pid)
		}
	}
}
