package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
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
