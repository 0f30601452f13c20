package entra

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RoleMode is the expression Entra's roles mapping uses (MAP). It decides
// the shape of roles in POST bodies and role PATCHes.
type RoleMode string

const (
	// RoleNone: no roles mapping; Entra's POST carries "roles": [] (TUT).
	// With a mapping that maps roles, the mapping's mode is used.
	RoleNone RoleMode = ""
	// RoleSingle: SingleAppRoleAssignment → roles[primary eq "True"].value;
	// exactly one role per user, primary true.
	RoleSingle RoleMode = "SingleAppRoleAssignment"
	// RoleComplex: AppRoleAssignmentsComplex → every role with primary
	// false; changes are PATCH Add on roles with JSON-string values.
	RoleComplex RoleMode = "AppRoleAssignmentsComplex"
	// RoleAssertive: AssertiveAppRoleAssignmentsComplex → replace on roles
	// with the full list.
	RoleAssertive RoleMode = "AssertiveAppRoleAssignmentsComplex"
)

// ParseRoleMode reads a role mode as a flag gives it: the expression name,
// or "single", "complex", "assertive", "none"/"" (case-insensitive).
func ParseRoleMode(s string) (RoleMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return RoleNone, nil
	case "single", strings.ToLower(string(RoleSingle)):
		return RoleSingle, nil
	case "complex", strings.ToLower(string(RoleComplex)):
		return RoleComplex, nil
	case "assertive", strings.ToLower(string(RoleAssertive)):
		return RoleAssertive, nil
	}
	return "", fmt.Errorf("entra: role mode %q: want none, single, complex or assertive", s)
}

// Cycle is what of Entra's provisioning job a run plays (Options.Cycle).
type Cycle string

const (
	// CycleFull is the whole judged lifecycle: Test Connection, schema
	// discovery, the initial and incremental cycles of every team,
	// duplicates, string booleans, legacy shapes. The default.
	CycleFull Cycle = "full"
	// CycleInitial is Entra's initial cycle alone (HOW, TUT): Test
	// Connection, then for each user the match query by the matching
	// attribute(s), 0 results → POST /Users with Entra's body; for each
	// group the displayName query → POST /Groups without members → PATCH
	// adding its members. Every answer is judged as in the full cycle;
	// the harness's read-backs, the manager pass (a later update, HOW)
	// and everything after are not sent. Run times it apart from cleanup
	// (Outcome.Timing): it is the load an initial cycle puts on a server.
	CycleInitial Cycle = "initial"
	// CycleOnDemand is provisioning on demand (doc, Microsoft Learn
	// "On-demand provisioning"): for each of up to five users, several
	// random-GUID probes by the matching attribute, then the match and the
	// create; then one group with at most 5 of its members. The
	// aadOptscim062020 flag is ignored ("doesn't work with on-demand
	// provisioning", KNOWN), so Options.Flag has no effect.
	CycleOnDemand Cycle = "on-demand"
)

// OnDemandURL is Microsoft Learn's page on provisioning on demand.
const OnDemandURL = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/provision-on-demand"

// ParseCycle reads a cycle as a flag gives it: "full" (or empty),
// "initial" or "on-demand", case-insensitively.
func ParseCycle(s string) (Cycle, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", string(CycleFull):
		return CycleFull, nil
	case string(CycleInitial):
		return CycleInitial, nil
	case string(CycleOnDemand), "ondemand":
		return CycleOnDemand, nil
	}
	return "", fmt.Errorf("entra: cycle %q: want full, initial or on-demand", s)
}

// Matching attributes (Options.Match).
const (
	MatchUserName   = "userName"
	MatchExternalID = "externalId"
	MatchEmail      = "email" // emails[type eq "work"].value
)

const workEmailTarget = `emails[type eq "work"].value`

// Defaults.
const (
	DefaultUsers = 4
	// TeamSize is the most users one provisioning scenario holds. A team
	// is a manager and their reports plus the team's groups: everything
	// that refers to everything else. Teams are independent, so they can
	// run concurrently while staying inside the runner's safety rules
	// (a scenario only changes what it created).
	TeamSize = 5
	// EntraQuarantineFailures is the number of failed operations from
	// which Entra evaluates whether to quarantine: "a job with 4,000
	// failures wouldn't go into quarantine. But, a job with 5,000
	// failures would trigger an evaluation" (QUAR); the harness's
	// read-backs and reference updates do not count. EntraQuarantineRatio
	// is the failed share the evaluation quarantines above ("more than
	// 40% of provisioning events fail", QUAR).
	EntraQuarantineFailures = 5000
	EntraQuarantineRatio    = 0.4
	// EntraQuarantineMax is the number of failures above which a job is
	// quarantined whatever their share ("more than 40,000 failures",
	// QUAR; reference failures not counted), and EntraQuarantineAbsolute
	// the number above which it is quarantined counting reference
	// failures too ("an absolute threshold of 60,000 failures that
	// accounts for both reference and non-reference failures", QUAR).
	// Neither is scaled to small runs.
	EntraQuarantineMax      = 40000
	EntraQuarantineAbsolute = 60000
)

// DefaultRoles are the app roles assigned when Options.Roles is empty.
var DefaultRoles = []string{"User", "Admin", "Reader"}

// Options configure the simulated Entra provisioning job.
type Options struct {
	// Users is the population size; 0 means DefaultUsers.
	Users int
	// Groups is the number of groups pushed (created empty, then given
	// members); 0 pushes none, and so does a mapping whose application
	// takes no groups (Mapping.Groups).
	Groups int
	// Flag simulates a tenant URL carrying the aadOptscim062020 feature
	// flag (KNOWN): lower-case ops, path-less multi-attribute replace with
	// dotted keys, boolean active, members removed by value filter.
	Flag bool
	// RoleMode overrides the roles expression of the mapping; RoleNone
	// keeps the mapping's (none in the default mapping, SingleAppRoleAssignment
	// in Humbol's).
	RoleMode RoleMode
	// RolesInOnePatch makes AppRoleAssignmentsComplex send every role a
	// user holds in one {"op":"Add","path":"roles","value":[…]}, one
	// element per role, as seen in a log (Captain-P-Goldfish/SCIM-SDK
	// issue 516), instead of only the new one (MAP). A server that keeps
	// only the first element of the value loses the new role. It needs the
	// AppRoleAssignmentsComplex mode (RoleMode or the mapping's).
	RolesInOnePatch bool
	// Roles are the app roles users are assigned, round robin; at least
	// two are needed to change a role. Default: the mapping's Roles, else
	// DefaultRoles.
	Roles []string
	// Mapping is the attribute mapping; nil means DefaultMapping().
	Mapping *Mapping
	// Match is the matching attribute: MatchUserName, MatchExternalID or
	// MatchEmail; it must be mapped. Empty: the mapping's matching
	// attributes, tried in precedence order (only userName in both
	// built-in mappings).
	Match string
	// Prefix is the run prefix Run uses when its scenario.Options have
	// none. Scenarios themselves use the runner's ${prefix}.
	Prefix string
	// Seed makes the population: the same seed gives the same names,
	// departments, addresses and managers.
	Seed int64
	// Nulls sends unset mapped attributes as JSON null in POST bodies, as
	// the tutorial's legacy example does. Off by default: "Microsoft Entra
	// ID currently can't provision null attributes" (KNOWN), and the
	// mappings page says null values are not provisioned.
	Nulls bool
	// Gallery simulates an app from Entra's gallery, which reads /Schemas
	// when its mapping is opened or saved. Off by default: schema discovery
	// "isn't currently supported on custom non-gallery SCIM application"
	// (TUT), so a non-gallery run does not ask for /Schemas.
	Gallery bool
	// ManagerRemoveByFilter also removes a manager with
	// {"op":"remove","path":"manager[value eq \"<id>\"]"}, as seen in a log
	// (thomaspoignant/scim-patch issue 453), after setting it again. Off by
	// default: RFC 7644 §3.5.2 filters only multi-valued attributes, and
	// the reference server refuses it with 400, so the step is a SHOULD.
	ManagerRemoveByFilter bool
	// Cycle is what Run plays: CycleFull (the default, also for "") or
	// CycleInitial.
	Cycle Cycle
	// Concurrency is how many team scenarios Run runs at once; default 1,
	// which keeps the order of requests deterministic. The catalog gives
	// no figure for Entra's own concurrency (only the ≥25 requests/s a
	// gallery app must take), so there is no other default.
	Concurrency int
	// Rate caps requests per second across all scenarios built by one
	// Scenarios call (Entra gallery apps must take ≥25/s per tenant); 0 is
	// unlimited. Cleanup requests are not limited.
	Rate float64
	// QuarantineThreshold is the failure ratio above which Run stops;
	// default EntraQuarantineRatio.
	QuarantineThreshold float64
	// QuarantineMin is the number of failed operations from which the
	// ratio counts; default min(EntraQuarantineFailures, the ratio of the
	// run's planned steps).
	QuarantineMin int
}

// resolved is Options with defaults applied and the mapping settled.
type resolved struct {
	Options
	mapping *Mapping
	// matches are the matching attributes in precedence order; match is
	// the first, which later lookups use.
	matches []*Attribute
	match   *Attribute
}

func (o Options) resolve() (*resolved, error) {
	r := &resolved{Options: o}
	switch {
	case o.Users < 0:
		return nil, fmt.Errorf("entra: Users %d is negative", o.Users)
	case o.Users == 0:
		r.Users = DefaultUsers
	}
	if o.Groups < 0 {
		return nil, fmt.Errorf("entra: Groups %d is negative", o.Groups)
	}
	if o.Concurrency <= 0 {
		r.Concurrency = 1
	}
	switch o.Cycle {
	case "":
		r.Cycle = CycleFull
	case CycleFull, CycleInitial:
	case CycleOnDemand:
		r.Flag = false // KNOWN: the flag does not work with on-demand provisioning
	default:
		return nil, fmt.Errorf("entra: Cycle %q: use CycleFull, CycleInitial or CycleOnDemand (ParseCycle reads flag values)", o.Cycle)
	}
	if o.Rate < 0 {
		return nil, fmt.Errorf("entra: Rate %v is negative", o.Rate)
	}
	if o.QuarantineThreshold < 0 || o.QuarantineThreshold > 1 {
		return nil, fmt.Errorf("entra: QuarantineThreshold %v is not a ratio between 0 and 1", o.QuarantineThreshold)
	}
	if o.QuarantineThreshold == 0 {
		r.QuarantineThreshold = EntraQuarantineRatio
	}
	if _, err := ParseRoleMode(string(o.RoleMode)); err != nil || (o.RoleMode != RoleNone && o.RoleMode != RoleSingle && o.RoleMode != RoleComplex && o.RoleMode != RoleAssertive) {
		return nil, fmt.Errorf("entra: RoleMode %q: use RoleNone, RoleSingle, RoleComplex or RoleAssertive (ParseRoleMode reads flag values)", o.RoleMode)
	}
	m := o.Mapping
	if m == nil {
		var err error
		if m, err = DefaultMapping(); err != nil {
			return nil, err
		}
	} else {
		// Validate a copy: the caller's mapping may be shared by
		// concurrent calls, and validation fills in parsed fields.
		c := *m
		c.Attributes = slices.Clone(m.Attributes)
		if err := c.validate(); err != nil {
			return nil, err
		}
		m = &c
	}
	r.mapping = m.withRoleMode(o.RoleMode)
	if len(o.Roles) == 0 {
		r.Roles = DefaultRoles
		if len(m.Roles) > 0 {
			r.Roles = m.Roles // the application's own roles
		}
	}
	for _, role := range r.Roles {
		if strings.TrimSpace(role) == "" {
			return nil, errors.New("entra: an empty app role name")
		}
	}
	if m.Groups != nil && !*m.Groups {
		r.Groups = 0 // the application takes no groups
	}
	if o.RolesInOnePatch && r.mapping.roleMode() != RoleComplex {
		return nil, fmt.Errorf("entra: RolesInOnePatch is AppRoleAssignmentsComplex's (SCIM-SDK issue 516); the role mode is %s", orNone(r.mapping.roleMode()))
	}
	if r.mapping.roleMode() != RoleNone && len(r.Roles) < 2 {
		return nil, errors.New("entra: app-role modes need at least two Roles, so that a role can change")
	}

	var target string
	switch o.Match {
	case "":
		r.matches = r.mapping.matching()
	case MatchUserName, MatchExternalID:
		target = o.Match
	case MatchEmail, workEmailTarget:
		target = workEmailTarget
	default:
		return nil, fmt.Errorf("entra: Match %q: want %q, %q or %q", o.Match, MatchUserName, MatchExternalID, MatchEmail)
	}
	if target != "" {
		a := r.mapping.find(target)
		if a == nil {
			return nil, fmt.Errorf("entra: Match %q: mapping %s does not map %s, and Entra can only match on a mapped attribute (How provisioning works)", o.Match, r.mapping.Name, target)
		}
		r.matches = []*Attribute{a}
	}
	r.match = r.matches[0]
	return r, nil
}

// op spells a PATCH op as Entra does: capitalised without the
// aadOptscim062020 flag ("Replace", TUT), lower case with it (KNOWN).
func (r *resolved) op(name string) string {
	if r.Flag {
		return strings.ToLower(name)
	}
	return strings.ToUpper(name[:1]) + strings.ToLower(name[1:])
}
