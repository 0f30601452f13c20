package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func runFuzz(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"fuzz"}, args...), &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

// TestFuzzSaveAndReplay: a disagreement found against a deliberate bug is
// saved with --save; --replay passes it on the reference server and fails
// it on the bug (exit 0 and 1), without the token in what it prints.
func TestFuzzSaveAndReplay(t *testing.T) {
	bug := newTarget(t, handler(t, "ignores-not"))
	dir := t.TempDir()
	code, out, errOut := runFuzz(t, "--url", bug.base(), "--token", testToken, "--seed", "7", "--save", dir)
	if code != exitFail || !strings.Contains(out, "saved: ") {
		t.Fatalf("fuzz: exit %d, want %d and a saved case:\n%s\n%s", code, exitFail, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("%d files saved, want 1", len(files))
	}
	if b, _ := os.ReadFile(files[0]); bytes.Contains(b, []byte(testToken)) {
		t.Error("the saved case holds the token")
	}
	for _, tc := range []struct {
		name, bug string
		code      int
		want      string
	}{
		{"reference", "", exitOK, "1 pass, 0 fail"},
		{"bug", "ignores-not", exitFail, "fail  filter-seed7.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTarget(t, handler(t, tc.bug))
			code, out, errOut := runFuzz(t, "--url", tg.base(), "--token", testToken, "--replay", dir)
			if code != tc.code || !strings.Contains(out, tc.want) || strings.Contains(out+errOut, testToken) {
				t.Errorf("replay: exit %d (want %d), %q in output?\n%s\n%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
}

func TestFuzzReplayUsage(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"replay and save", []string{"--replay", empty, "--save", empty}, "do not go together"},
		{"no case", []string{"--replay", empty}, "no *.json case"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runFuzz(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, exitUsage, tc.want)
			}
		})
	}
}

// TestFuzzGroupsWhenDeclared: the reference server declares Group in
// /ResourceTypes, so group traffic is generated and a bug of group member
// removal is found (exit 1, a group-patch case); a server whose
// /ResourceTypes declares no Group is sent no group request, and the same
// bug goes unseen (exit 0).
func TestFuzzGroupsWhenDeclared(t *testing.T) {
	for _, tc := range []struct {
		name     string
		declared bool
		code     int
		want     string
	}{
		{"declared", true, exitFail, "disagreement (group-patch"},
		{"not declared", false, exitOK, "pass: 500 requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var groupRequests atomic.Int32
			bug := handler(t, "remove-members-wipes-all")
			tg := newTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case strings.HasSuffix(r.URL.Path, "/ResourceTypes") && !tc.declared:
					http.NotFound(w, r)
					return
				case strings.Contains(r.URL.Path, "/Groups"):
					groupRequests.Add(1)
				}
				bug.ServeHTTP(w, r)
			}))
			code, out, errOut := runFuzz(t, "--url", tg.base(), "--token", testToken, "--seed", "7", "--requests", "500")
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d (want %d), %q in output?\n%s\n%s", code, tc.code, tc.want, out, errOut)
			}
			if n := groupRequests.Load(); (n > 0) != tc.declared {
				t.Errorf("%d group requests sent; Group declared: %v", n, tc.declared)
			}
		})
	}
}
