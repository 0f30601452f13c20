// Package scenario runs sequences of SCIM requests — what an IdP sends —
// against a target, judges the answers, and returns Results: the one results
// model that simulators, the Ginkgo suites and certification all report.
//
// A Scenario is data (loadable from YAML or JSON fixtures) with optional Go
// functions where data is not enough (Step.Build, Step.Check,
// Expectation.Check). Run executes it through a client.Client and is built
// to be safe against a staging server: everything it creates carries the run
// prefix and is deleted afterwards, and it refuses to modify any resource it
// did not create itself.
package scenario

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scimharness/scimharness/harness/client"
	"github.com/scimharness/scimharness/wire"
)

// Scenario is an ordered list of steps reproducing one IdP flow.
type Scenario struct {
	Name        string `yaml:"name"`
	IdP         string `yaml:"idp,omitempty"`
	Description string `yaml:"description,omitempty"`
	Steps       []Step `yaml:"steps"`
}

// Vars are the run's variables: Options.Vars, "prefix", and every value a
// step captured. Templates refer to them as ${name}.
type Vars map[string]any

// Step is one request and its judgement.
type Step struct {
	Name string `yaml:"name"`
	// Behaviour is the IdP behaviour this step reproduces.
	Behaviour string `yaml:"behaviour,omitempty"`
	// Source is where the behaviour is documented ("Entra TUT",
	// "SCIMReferenceCode issue 21").
	Source string `yaml:"source,omitempty"`
	// Clause is the requirement judged ("RFC 7644 §3.5.2").
	Clause string `yaml:"clause,omitempty"`
	// Level grades failing expectations; empty means MUST.
	Level Level `yaml:"level,omitempty"`
	// Unverified marks behaviour nobody has confirmed in real traffic.
	Unverified bool `yaml:"unverified,omitempty"`
	// Confidence is how well Source backs the request's shape (see
	// Confidence); SourceURL, if set, is where to read it.
	Confidence Confidence `yaml:"confidence,omitempty"`
	SourceURL  string     `yaml:"sourceURL,omitempty"`

	// Request is the request, with ${var} placeholders.
	Request RequestTemplate `yaml:"request"`
	// Build, if set, computes the request in code instead of Request.
	// Returning an error wrapping ErrSkip skips the step.
	Build func(vars Vars) (client.Request, error) `yaml:"-"`

	// Capture stores response values in vars: name → body path (see
	// Lookup: "id", "Resources.0.id", "/Resources/0/id") or "header:Name".
	// A missing value fails the step at its Level.
	Capture map[string]string `yaml:"capture,omitempty"`
	// Expect judges the answer.
	Expect []Expectation `yaml:"expect,omitempty"`
	// Check, if set, judges the answer in code after Expect; an error is a
	// failure at the step's Level (ErrSkip: a skip). It may add vars.
	Check func(ex *wire.Exchange, vars Vars) error `yaml:"-"`

	// Cleanup undoes what this step changed, beyond the resources it
	// created (those are deleted automatically). It is expanded when the
	// step succeeds, so it binds the ids captured by then.
	Cleanup *RequestTemplate `yaml:"cleanup,omitempty"`
	// When names a var that must be set for the step to run; otherwise the
	// step is skipped.
	When string `yaml:"when,omitempty"`
	// Setup marks a precondition ("create u"): when it does not pass,
	// every later step is Blocked, naming it, rather than judged — a
	// subject cannot be blamed for its set-up.
	Setup bool `yaml:"setup,omitempty"`
	// Needs names earlier steps this one waits for (the write before a
	// read-back): when one of them did not pass, this step is Blocked.
	Needs []string `yaml:"needs,omitempty"`
	// First, if set, is a cheaper request sent before this step's own: when
	// it passes, the step passes on it (its result named for First) and its
	// own request is not sent; any other outcome decides nothing, and the
	// step's own request is sent and judged (the result holds both
	// exchanges). The filter checks scope
	// their filter to their own users this way, so that neither the
	// server's work nor the page grows with its population.
	First *Step `yaml:"-"`
}

// RequestTemplate is a request with ${var} placeholders. In Body, a string
// that is exactly "${var}" takes the var's value with its JSON type; other
// placeholders are replaced by the value's text. Body keys are sent sorted
// (encoding/json); use RawBody for exact bytes.
type RequestTemplate struct {
	Method string `yaml:"method"`
	// Path is relative to the client's base URL; it may carry a query,
	// sent as written. Values substituted into it are escaped.
	Path    string            `yaml:"path"`
	Query   map[string]string `yaml:"query,omitempty"`
	Body    any               `yaml:"body,omitempty"`
	RawBody string            `yaml:"rawBody,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty"`
}

// Expectation is one judgement of an answer. Exactly one of Status, Header,
// Path or Check selects what it looks at:
//
//   - Status: the status is one of these.
//   - Header: the header exists (default), or Equals / Contains
//     (case-insensitive) a string, or is Absent.
//   - Path: the body value at Path (see Lookup) exists (default), Equals a
//     JSON value, Contains a substring / an element / a subset object, has
//     Length elements, or is Absent. Expected values may hold ${var}s.
//   - Check: a Go function; its error is the failure sentence.
type Expectation struct {
	Status   []int  `yaml:"status,omitempty"`
	Header   string `yaml:"header,omitempty"`
	Path     string `yaml:"path,omitempty"`
	Equals   any    `yaml:"equals,omitempty"`
	Contains any    `yaml:"contains,omitempty"`
	Exists   bool   `yaml:"exists,omitempty"`
	Absent   bool   `yaml:"absent,omitempty"`
	Length   *int   `yaml:"length,omitempty"`

	// Level overrides the step's level for this expectation.
	Level Level `yaml:"level,omitempty"`
	// Clause overrides the step's clause for this expectation: a rule
	// shared by many steps (an error's status is a string, RFC 7644 §3.12)
	// cites its own clause and is graded by that clause's keyword,
	// wherever it is used.
	Clause string `yaml:"clause,omitempty"`
	// StrictOnly: in Compat mode a failure gives Warn, not Fail.
	StrictOnly bool `yaml:"strictOnly,omitempty"`
	// Note explains the deviation Compat tolerates; it is shown with the
	// failure.
	Note string `yaml:"note,omitempty"`

	Check func(ex *wire.Exchange, vars Vars) error `yaml:"-"`
	// Source and Confidence say where the judgement comes from: the RFC
	// clause or the IdP document that makes this answer a failure, and how
	// well it is backed (see Confidence).
	Source     string     `yaml:"source,omitempty"`
	Confidence Confidence `yaml:"confidence,omitempty"`
}

// ErrSkip, wrapped in an error from Build or a check, skips the step; the
// error text is the skip message. Skipf makes one.
var ErrSkip = errors.New("skipped")

// Skipf returns an error that skips the step: "skipped: <reason>".
func Skipf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSkip, fmt.Sprintf(format, args...))
}

// StatusIn expects one of the given statuses.
func StatusIn(codes ...int) Expectation { return Expectation{Status: codes} }

// HeaderContains expects header name to contain s, case-insensitively.
func HeaderContains(name, s string) Expectation { return Expectation{Header: name, Contains: s} }

// HeaderEquals expects header name to be exactly v.
func HeaderEquals(name, v string) Expectation { return Expectation{Header: name, Equals: v} }

// BodyEquals expects the body value at path to equal v (JSON equality).
func BodyEquals(path string, v any) Expectation { return Expectation{Path: path, Equals: v} }

// BodyExists expects a body value at path.
func BodyExists(path string) Expectation { return Expectation{Path: path, Exists: true} }

// BodyAbsent expects no body value at path.
func BodyAbsent(path string) Expectation { return Expectation{Path: path, Absent: true} }

// BodyLength expects the array (string, object) at path to have n elements.
func BodyLength(path string, n int) Expectation { return Expectation{Path: path, Length: &n} }

// Func expects check to return nil.
func Func(check func(ex *wire.Exchange, vars Vars) error) Expectation {
	return Expectation{Check: check}
}

// StrictOnlyBecause returns e marked strict-only, with the reason Compat tolerates
// a failure.
func (e Expectation) StrictOnlyBecause(note string) Expectation {
	e.StrictOnly, e.Note = true, note
	return e
}

// At returns e graded at level l.
func (e Expectation) At(l Level) Expectation {
	e.Level = l
	return e
}

// Per returns e citing clause and graded at its keyword l.
func (e Expectation) Per(clause string, l Level) Expectation {
	e.Clause, e.Level = clause, l
	return e
}

// Load reads a scenario from YAML or JSON (a YAML subset) and validates it.
// Unknown fields are errors, so a typo cannot silently drop a check.
func Load(r io.Reader) (Scenario, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	return sc, sc.Validate()
}

// Validate reports the first problem that would make the scenario
// meaningless to run.
func (sc Scenario) Validate() error {
	if sc.Name == "" {
		return errors.New("scenario: no name")
	}
	if len(sc.Steps) == 0 {
		return fmt.Errorf("scenario %q: no steps", sc.Name)
	}
	seen := map[string]bool{}
	for i, st := range sc.Steps {
		where := fmt.Sprintf("scenario %q step %d (%q)", sc.Name, i+1, st.Name)
		switch {
		case st.Name == "":
			return fmt.Errorf("%s: no name", where)
		case seen[st.Name]:
			return fmt.Errorf("%s: duplicate step name", where)
		case !st.Level.valid():
			return fmt.Errorf("%s: level %q is not MUST, SHOULD or MAY", where, st.Level)
		case st.Build == nil && st.Request.Method == "":
			return fmt.Errorf("%s: request has no method", where)
		case st.Cleanup != nil && st.Cleanup.Method == "":
			return fmt.Errorf("%s: cleanup has no method", where)
		}
		for _, n := range st.Needs {
			if !seen[n] {
				return fmt.Errorf("%s: needs %q, which is not an earlier step", where, n)
			}
		}
		seen[st.Name] = true
		for name, path := range st.Capture {
			if name == "" || path == "" || strings.TrimPrefix(path, "header:") == "" {
				return fmt.Errorf("%s: capture %q → %q is incomplete", where, name, path)
			}
		}
		for j, e := range st.Expect {
			if err := e.validate(); err != nil {
				return fmt.Errorf("%s: expectation %d: %w", where, j+1, err)
			}
		}
	}
	return nil
}

func (e Expectation) validate() error {
	kinds := 0
	for _, set := range []bool{len(e.Status) > 0, e.Header != "", e.Path != "", e.Check != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return errors.New("set exactly one of status, header, path or a check function")
	}
	if !e.Level.valid() {
		return fmt.Errorf("level %q is not MUST, SHOULD or MAY", e.Level)
	}
	if e.Absent && (e.Exists || e.Equals != nil || e.Contains != nil || e.Length != nil) {
		return errors.New("absent excludes exists, equals, contains and length")
	}
	if e.Header != "" {
		if e.Length != nil {
			return errors.New("length applies to body paths, not headers")
		}
		for _, v := range []any{e.Equals, e.Contains} {
			if _, ok := v.(string); v != nil && !ok {
				return errors.New("header equals/contains must be strings")
			}
		}
	}
	if (len(e.Status) > 0 || e.Check != nil) && (e.Exists || e.Absent || e.Equals != nil || e.Contains != nil || e.Length != nil) {
		return errors.New("exists, absent, equals, contains and length need a header or a path")
	}
	return nil
}
