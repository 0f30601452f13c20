// Package broken holds deliberately broken SCIM servers: the reference
// server wrapped by a middleware that reproduces one bug seen in real
// endpoints. They are test fixtures for the harness itself: a check that
// passes against a server with the bug it looks for is worthless, so every
// simulator and suite is run against these and must fail, naming the bug.
//
// [All] lists the bugs — the one catalog: the bugs IdPs trip over
// (bugs.go) and those only the conformance checks see (conformance.go) —
// [Handler] serves one in process, and `scimharness serve --bug NAME`
// serves one over the network.
package broken

import "net/http"

// Bug is one deliberate defect.
type Bug struct {
	// Name is a short stable id, e.g. "lowercases-username".
	Name string
	// Description says what the server does wrong, as a report would.
	Description string
	// Wrap returns next with the bug applied.
	Wrap func(next http.Handler) http.Handler
	// Fails are the conformance checks (IDs of suites/checks) that must
	// fail against the bug, and Warns the SHOULD checks that must warn:
	// the checks that see it. suites/checks tests each bug against them,
	// ci/conform-process.sh again over HTTP (serve --bug list prints
	// them). Every bug names at least one.
	Fails, Warns []string
}
