// Command scimharness is the SCIM 2.0 conformance and IdP-simulation
// harness: `scimharness serve` runs the reference SCIM server.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/scimharness/scimharness/internal/version"
)

const usage = `scimharness — SCIM 2.0 reference server and conformance harness

Usage:
  scimharness serve [flags]     run the reference SCIM server (see: scimharness serve -h)
  scimharness simulate [flags]  play an IdP (entra, google, okta) against a SCIM server (see: scimharness simulate -h)
  scimharness load [flags]      drive a provisioning mix and measure throughput and latency (see: scimharness load -h)
  scimharness conform [flags]   run the SCIM conformance checks against a server (see: scimharness conform -h)
  scimharness fuzz [flags]      differential fuzzing: the server against the reference server (see: scimharness fuzz -h)
  scimharness certify DIR       grade a SCIM client from a recording of serve --record DIR (see: scimharness certify -h)
  scimharness replay DIR --url URL
                                replay a recording against a SCIM server (see: scimharness replay -h)
  scimharness token create|revoke|list --config FILE
                                manage tenant tokens: shown once, stored hashed (see: scimharness token -h)
  scimharness cleanup --prefix P --url URL
                                list (and with --yes delete) the Users and Groups a run with --keep left (see: scimharness cleanup -h)
  scimharness version           print the version and the VCS revision it was built from
  scimharness help [COMMAND]    print this help, or a command's

Install: go install github.com/scimharness/scimharness/cmd/scimharness@latest
(or, in a clone, go install ./cmd/scimharness).
`

// exit codes: 0 success, 1 failure at run time, 2 bad usage, 130 a run
// interrupted (SIGINT or SIGTERM) before it finished: 128 + SIGINT, as a
// shell reports a Ctrl-C, so that no script reads an unfinished run as done.
const (
	exitOK          = 0
	exitFail        = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr, getenv)
	case "simulate":
		return simulate(ctx, args[1:], stdout, stderr, getenv)
	case "conform":
		return conform(ctx, args[1:], stdout, stderr, getenv)
	case "certify":
		return certifyCmd(args[1:], stdout, stderr)
	case "replay":
		return replayCmd(ctx, args[1:], stdout, stderr, getenv)
	case "load":
		return loadCmd(ctx, args[1:], stdout, stderr, getenv)
	case "fuzz":
		return fuzzCmd(ctx, args[1:], stdout, stderr, getenv)
	case "token":
		return token(args[1:], os.Stdin, stdout, stderr)
	case "cleanup":
		return cleanupCmd(ctx, args[1:], stdout, stderr, getenv)
	case "version", "--version", "-version":
		bi, _ := debug.ReadBuildInfo()
		fmt.Fprintln(stdout, "scimharness", versionString(bi))
		return exitOK
	case "help", "-h", "--help", "-help":
		if len(args) > 1 && args[0] == "help" && commands[args[1]] {
			// help CMD is CMD -h: the same text, on stdout.
			return run(ctx, []string{args[1], "-h"}, stdout, stderr, getenv)
		}
		if len(args) > 1 && args[0] == "help" {
			fmt.Fprintf(stderr, "scimharness help: unknown command %q\nrun 'scimharness help' for the commands\n", args[1])
			return exitUsage
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "scimharness: unknown command %q\nrun 'scimharness help' for the commands\n", args[0])
	return exitUsage
}

// commands are the commands that have their own help (help CMD).
var commands = map[string]bool{
	"serve": true, "simulate": true, "load": true, "conform": true, "certify": true,
	"replay": true, "token": true, "cleanup": true, "fuzz": true,
}

// versionString is the module version and the VCS revision of the build
// (package version).
func versionString(bi *debug.BuildInfo) string { return version.Of(bi) }
