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
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version from the build info is shown.
var version = ""

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
  scimharness version           print the version
  scimharness help              print this help
`

// exit codes: 0 success, 1 failure at run time, 2 bad usage.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
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
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "scimharness", versionString())
		return exitOK
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "scimharness: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
