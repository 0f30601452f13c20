package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/harness/target"
)

const cleanupHelp = `Usage: scimharness cleanup --prefix P --url URL [--token TOKEN] [--yes]

Finds what a run left behind (simulate, load or replay with --keep, which
print this command, or a run that was killed): the Users whose userName and
the Groups whose displayName contain the run prefix P (filter "co", RFC 7644
§3.4.2.2), and lists them. Nothing is deleted unless --yes is given; then those
resources, and only those, are deleted (groups first). --yes also consents
to a server that is not on this machine.

The prefix must be at least 8 characters (a run's is scimh-xxxxxxxx): a
short one could match somebody else's users.

Exit status: 0 when everything found was listed (or deleted), 1 when a
deletion failed, 2 for bad usage or a target that cannot be reached.

Flags:
`

// cleanupCommand is the command that removes what a run with --keep left
// under prefix at url (secrets never in it: the token comes from
// SCIM_TOKEN or --token). simulate, load and replay print it, the same,
// so that it runs as written.
func cleanupCommand(prefix, url string) string {
	return "scimharness cleanup --prefix " + shellQuote(prefix) + " --url " + shellQuote(target.SafeURL(url)) + " --yes"
}

// minCleanupPrefix is the shortest prefix cleanup accepts.
const minCleanupPrefix = 8

func cleanupCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("cleanup", flag.ContinueOnError)
	setUsage(fs, cleanupHelp, nil)
	tf := target.AddFlags(fs, target.FlagSpec{What: "the server to clean up", OAuth2: true, Retries: true})
	// The shared flags, in cleanup's terms.
	fs.Lookup("prefix").Usage = "the run prefix whose Users and Groups to list (and with --yes delete), at least 8 characters"
	fs.Lookup("yes").Usage = "delete what carries the prefix (also on a server that is not on this machine); without it, only list"
	if code, ok := parseFlags(fs, "cleanup", args, stdout, stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "scimharness cleanup: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	tcfg, err := tf.Config(getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	if len(tcfg.Prefix) < minCleanupPrefix {
		return usageErr("--prefix is required, at least %d characters (the run prefix, e.g. scimh-1a2b3c4d)", minCleanupPrefix)
	}
	del := tcfg.Yes
	if !del {
		tcfg.Yes = true // listing writes nothing: no consent needed
	}
	cl, _, err := target.Connect(ctx, tcfg)
	if err != nil {
		return probeFailed(ctx, "cleanup", err, stderr)
	}
	var found []leftover
	for _, kind := range []struct{ path, attr string }{{"/Groups", "displayName"}, {"/Users", "userName"}} {
		rs, err := findByPrefix(ctx, cl, kind.path, kind.attr, tcfg.Prefix)
		if err != nil {
			fmt.Fprintf(stderr, "scimharness cleanup: %v\n", err)
			return exitFail
		}
		found = append(found, rs...)
	}
	for _, r := range found {
		fmt.Fprintf(stdout, "%s/%s  %s\n", r.path, r.id, r.name)
	}
	if !del {
		fmt.Fprintf(stdout, "%d resources carry the prefix %s; nothing deleted (dry run: pass --yes to delete them)\n", len(found), tcfg.Prefix)
		return exitOK
	}
	failed := 0
	for _, r := range found {
		ex, err := cl.Do(ctx, client.Request{Method: http.MethodDelete, Path: r.path + "/" + url.PathEscape(r.id)})
		if err != nil || (ex.Status() != http.StatusNoContent && ex.Status() != http.StatusOK && ex.Status() != http.StatusNotFound) {
			failed++
			fmt.Fprintf(stderr, "scimharness cleanup: DELETE %s/%s: %s\n", r.path, r.id, outcome(ex, err))
		}
	}
	fmt.Fprintf(stdout, "%d of %d resources with the prefix %s deleted\n", len(found)-failed, len(found), tcfg.Prefix)
	if failed > 0 {
		return exitFail
	}
	return exitOK
}

// leftover is one resource carrying the prefix.
type leftover struct{ path, id, name string }

// findByPrefix pages through path filtered by attr co prefix, and keeps
// only what really carries it: a server whose filter is looser than asked
// must not get somebody else's resources deleted.
func findByPrefix(ctx context.Context, cl *client.Client, path, attr, prefix string) ([]leftover, error) {
	var out []leftover
	filter := attr + ` co "` + strings.ReplaceAll(prefix, `"`, `\"`) + `"`
	for start, pages := 1, 0; pages < 1000; pages++ {
		q := url.Values{"filter": {filter}, "startIndex": {strconv.Itoa(start)}, "count": {"100"}}
		ex, err := cl.Do(ctx, client.Request{Method: http.MethodGet, Path: path, Query: q})
		if err != nil || ex.Status() != http.StatusOK {
			return nil, fmt.Errorf("GET %s?filter=%s: %s", path, filter, outcome(ex, err))
		}
		doc, err := ex.JSON()
		if err != nil {
			return nil, fmt.Errorf("GET %s: %v", path, err)
		}
		rs, _ := doc["Resources"].([]any)
		for _, r := range rs {
			m, _ := r.(map[string]any)
			id, _ := m["id"].(string)
			name, _ := m[attr].(string)
			if id != "" && strings.Contains(name, prefix) {
				out = append(out, leftover{path, id, name})
			}
		}
		total, _ := doc["totalResults"].(float64)
		start += len(rs)
		if len(rs) == 0 || float64(start-1) >= total {
			return out, nil
		}
	}
	return nil, errors.New("more than 1000 pages: stopped")
}

func outcome(ex interface{ Status() int }, err error) string {
	if err != nil {
		return err.Error()
	}
	return "status " + strconv.Itoa(ex.Status())
}
