package entra

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scimharness/scimharness/fixtures"
	"github.com/scimharness/scimharness/scim"
)

// Mapping is an Entra attribute mapping: which Entra user attribute (or
// expression) flows into which SCIM attribute, and which attributes match
// existing accounts. Entra builds every POST body and PATCH path from it
// (MAP), so a simulated user is pushed through a Mapping rather than
// through a fixed body: the Humbol mapping yields
// addresses[type eq "work"].locality, the default one name.formatted.
//
// Files are YAML:
//
//	name: humbol
//	attributes:
//	  - target: userName            # SCIM path, as Entra writes it
//	    source: userPrincipalName   # Entra attribute or expression
//	    type: String                # String, Boolean, Reference, Integer, DateTime, Binary
//	    matching: true              # a matching attribute (HOW)
//	    precedence: 1               # matching precedence, lowest first
type Mapping struct {
	Name        string      `yaml:"name"`
	Description string      `yaml:"description,omitempty"`
	Attributes  []Attribute `yaml:"attributes"`
	// Roles are the app roles of the application the mapping is for (a
	// gallery app defines its own: Humbol's five organization roles),
	// assigned when Options.Roles is empty. None: DefaultRoles.
	Roles []string `yaml:"roles,omitempty"`
	// Groups false says that the application takes no groups (its
	// tutorial says to turn group provisioning off, as Humbol's does): no
	// group is pushed, whatever Options.Groups. Empty or true: groups are
	// pushed.
	Groups *bool `yaml:"groups,omitempty"`
}

// Attribute is one row of a mapping.
type Attribute struct {
	// Target is the SCIM attribute path: "userName", "name.givenName",
	// `emails[type eq "work"].value`, `roles[primary eq "True"].value`,
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".
	Target string `yaml:"target"`
	// Source is the Entra attribute ("userPrincipalName") or one of the
	// expressions Entra's default mappings use: Switch([IsSoftDeleted], …)
	// or Not([IsSoftDeleted]) for active, Join("sep", [a], [b], …),
	// SingleAppRoleAssignment([appRoleAssignments]),
	// AppRoleAssignmentsComplex([appRoleAssignments]) and
	// AssertiveAppRoleAssignmentsComplex([appRoleAssignments]).
	Source string `yaml:"source"`
	// Type is the target's type in Entra's mapping editor; empty is
	// inferred (Boolean for active, Reference for manager, else String).
	Type string `yaml:"type,omitempty"`
	// Matching marks an attribute Entra queries to find an existing account.
	Matching bool `yaml:"matching,omitempty"`
	// Precedence orders matching attributes (lowest first; 0 = last).
	Precedence int `yaml:"precedence,omitempty"`

	path path
	src  source
}

// path is a parsed mapping target.
type path struct {
	URN        string // extension schema, "" for the core schema
	Attr       string // "emails"
	FilterAttr string // "type" in emails[type eq "work"]
	FilterVal  string // "work"
	Sub        string // "value"
}

func (p path) filtered() bool { return p.FilterAttr != "" }

// is reports whether p is attr (no filter, no sub-attribute) in the core
// schema, or the extension attribute attr when urn is given.
func (p path) is(urn, attr string) bool {
	return strings.EqualFold(p.URN, urn) && strings.EqualFold(p.Attr, attr) && p.FilterAttr == "" && p.Sub == ""
}

var (
	filterPart = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_$-]*) eq (?:"((?:[^"\\]|\\.)*)"|(true|false|True|False))$`)
	namePart   = regexp.MustCompile(`^[A-Za-z$][A-Za-z0-9_$-]*$`)
)

// parsePath reads a mapping target.
func parsePath(s string) (path, error) {
	var p path
	rest := strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(rest), "urn:") {
		i := strings.LastIndexByte(rest, ':')
		p.URN, rest = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '['); i >= 0 {
		j := strings.IndexByte(rest, ']')
		if j < i {
			return p, errors.New(`unclosed "[" in the value filter`)
		}
		m := filterPart.FindStringSubmatch(strings.TrimSpace(rest[i+1 : j]))
		if m == nil {
			return p, fmt.Errorf(`value filter %q: expected attr eq "value" (Entra maps only eq filters)`, rest[i+1:j])
		}
		p.Attr, p.FilterAttr = rest[:i], m[1]
		p.FilterVal = m[2]
		if m[3] != "" {
			p.FilterVal = m[3]
		}
		rest = rest[j+1:]
		if rest != "" {
			if !strings.HasPrefix(rest, ".") {
				return p, fmt.Errorf("unexpected %q after the value filter", rest)
			}
			p.Sub = rest[1:]
		}
	} else {
		p.Attr, p.Sub, _ = strings.Cut(rest, ".")
	}
	if !namePart.MatchString(p.Attr) {
		return p, fmt.Errorf("%q is not an attribute name", p.Attr)
	}
	if p.Sub != "" && !namePart.MatchString(p.Sub) {
		return p, fmt.Errorf("%q is not a sub-attribute name", p.Sub)
	}
	return p, nil
}

// sourceKind is what a mapping source computes.
type sourceKind int

const (
	srcAttr   sourceKind = iota // one Entra attribute
	srcActive                   // Switch([IsSoftDeleted], …) / Not([IsSoftDeleted])
	srcJoin                     // Join("sep", [a], [b], …)
	srcRole                     // one of the app-role functions
)

type source struct {
	kind  sourceKind
	attrs []string // canonical Entra attribute names
	sep   string
	role  RoleMode
}

// entraAttrs are the Entra user attributes the generated population has,
// keyed by their lower-case name without hyphens (TUT writes
// "user-PrincipalName").
var entraAttrs = map[string]string{}

func init() {
	for _, a := range []string{
		"userPrincipalName", "mail", "mailNickname", "objectId", "displayName",
		"givenName", "surname", "jobTitle", "department", "employeeId",
		"preferredLanguage", "streetAddress", "city", "state", "postalCode",
		"country", "telephoneNumber", "mobile", "facsimileTelephoneNumber",
		"physicalDeliveryOfficeName", "companyName", "usageLocation", "manager",
	} {
		entraAttrs[canonKey(a)] = a
	}
}

func canonKey(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }

func knownAttrs() string {
	var names []string
	for _, v := range entraAttrs {
		names = append(names, v)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

var (
	funcCall = regexp.MustCompile(`^([A-Za-z]+)\((.*)\)$`)
	bracket  = regexp.MustCompile(`^\[([A-Za-z-]+)\]$`)
)

// parseSource reads a mapping source: an attribute or a known expression.
func parseSource(s string) (source, error) {
	s = strings.TrimSpace(s)
	m := funcCall.FindStringSubmatch(s)
	if m == nil {
		name := strings.Trim(s, "[]")
		a, ok := entraAttrs[canonKey(name)]
		if !ok {
			return source{}, fmt.Errorf("unknown Entra attribute %q (the simulator generates: %s)", s, knownAttrs())
		}
		return source{kind: srcAttr, attrs: []string{a}}, nil
	}
	fn, args := m[1], splitArgs(m[2])
	switch strings.ToLower(fn) {
	case "switch", "not":
		if len(args) == 0 || !strings.EqualFold(args[0], "[IsSoftDeleted]") {
			return source{}, fmt.Errorf("%s(…) is supported only over [IsSoftDeleted] (Entra's active mapping)", fn)
		}
		return source{kind: srcActive}, nil
	case "join":
		if len(args) < 2 {
			return source{}, errors.New(`Join needs a separator and at least one [attribute]: Join(" ", [givenName], [surname])`)
		}
		sep, err := strconv.Unquote(args[0])
		if err != nil {
			return source{}, fmt.Errorf("Join: the separator %s is not a quoted string", args[0])
		}
		src := source{kind: srcJoin, sep: sep}
		for _, a := range args[1:] {
			b := bracket.FindStringSubmatch(a)
			if b == nil {
				return source{}, fmt.Errorf("Join: %q is not an [attribute]", a)
			}
			name, ok := entraAttrs[canonKey(b[1])]
			if !ok {
				return source{}, fmt.Errorf("Join: unknown Entra attribute %q (the simulator generates: %s)", b[1], knownAttrs())
			}
			src.attrs = append(src.attrs, name)
		}
		return src, nil
	}
	for _, r := range []RoleMode{RoleSingle, RoleComplex, RoleAssertive} {
		if strings.EqualFold(fn, string(r)) {
			if len(args) != 1 || !strings.EqualFold(args[0], "[appRoleAssignments]") {
				return source{}, fmt.Errorf("%s takes [appRoleAssignments]", fn)
			}
			return source{kind: srcRole, role: r}, nil
		}
	}
	return source{}, fmt.Errorf("unsupported expression %s(…): the simulator knows Switch/Not([IsSoftDeleted]), Join, SingleAppRoleAssignment, AppRoleAssignmentsComplex and AssertiveAppRoleAssignmentsComplex", fn)
}

// splitArgs splits function arguments at top-level commas, outside quotes.
func splitArgs(s string) []string {
	var (
		out   []string
		cur   strings.Builder
		quote bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quote = !quote
		case c == '\\' && quote && i+1 < len(s):
			cur.WriteByte(c)
			i++
			c = s[i]
		case c == ',' && !quote:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(out, strings.TrimSpace(cur.String()))
}

var mappingTypes = []string{"String", "Boolean", "Reference", "Integer", "DateTime", "Binary"}

// LoadMapping reads a YAML attribute mapping and validates it. Unknown
// fields are errors, so a typo cannot silently drop an attribute; every
// error names the attribute it is about.
func LoadMapping(r io.Reader) (*Mapping, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var m Mapping
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("mapping: the file is empty")
		}
		return nil, fmt.Errorf("mapping: %w", err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// validate parses every row and checks the rules Entra's mapping editor
// enforces, plus what the simulator needs to generate values.
func (m *Mapping) validate() error {
	name := m.Name
	if name == "" {
		name = "(unnamed)"
	}
	if len(m.Attributes) == 0 {
		return fmt.Errorf("mapping %s: no attributes", name)
	}
	seen := map[string]int{}
	hasUserName, hasMatching := false, false
	for i := range m.Attributes {
		a := &m.Attributes[i]
		where := fmt.Sprintf("mapping %s: attribute %d (target %q)", name, i+1, a.Target)
		if a.Target == "" {
			return fmt.Errorf("mapping %s: attribute %d: no target", name, i+1)
		}
		if a.Source == "" {
			return fmt.Errorf("%s: no source", where)
		}
		p, err := parsePath(a.Target)
		if err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		src, err := parseSource(a.Source)
		if err != nil {
			return fmt.Errorf("%s: source: %v", where, err)
		}
		a.path, a.src = p, src
		key := strings.ToLower(a.Target)
		if j, dup := seen[key]; dup {
			return fmt.Errorf("%s: the same target as attribute %d", where, j)
		}
		seen[key] = i + 1
		if a.Type == "" {
			a.Type = "String"
			switch {
			case src.kind == srcActive:
				a.Type = "Boolean"
			case a.isManager():
				a.Type = "Reference"
			}
		}
		t := slices.IndexFunc(mappingTypes, func(t string) bool { return strings.EqualFold(t, a.Type) })
		if t < 0 {
			return fmt.Errorf("%s: type %q is not one of %s", where, a.Type, strings.Join(mappingTypes, ", "))
		}
		a.Type = mappingTypes[t]
		isActive := p.is("", "active")
		switch {
		case isActive != (src.kind == srcActive):
			return fmt.Errorf("%s: active must be mapped from Switch([IsSoftDeleted], …) or Not([IsSoftDeleted]), and only active can be", where)
		case isActive && a.Type != "Boolean":
			return fmt.Errorf("%s: active is a Boolean, not %s", where, a.Type)
		case src.kind == srcRole && !a.rolesTarget(src.role):
			want := "roles"
			if src.role == RoleSingle {
				want = `roles[primary eq "True"].value`
			}
			return fmt.Errorf("%s: %s must target %s", where, src.role, want)
		case src.kind != srcRole && strings.EqualFold(p.Attr, "roles") && p.URN == "":
			return fmt.Errorf("%s: roles must come from SingleAppRoleAssignment, AppRoleAssignmentsComplex or AssertiveAppRoleAssignmentsComplex([appRoleAssignments])", where)
		case a.isManager() != (src.kind == srcAttr && src.attrs[0] == "manager"):
			return fmt.Errorf("%s: manager must be mapped from the Entra manager attribute to urn:…:enterprise:2.0:User:manager, and only there", where)
		case a.Matching && (isActive || src.kind == srcRole || a.isManager()):
			return fmt.Errorf("%s: a matching attribute must be a plain string attribute", where)
		}
		hasUserName = hasUserName || p.is("", "userName")
		hasMatching = hasMatching || a.Matching
	}
	if !hasUserName {
		return fmt.Errorf("mapping %s: no userName target: SCIM requires userName (RFC 7643 §4.1)", name)
	}
	if !hasMatching {
		return fmt.Errorf("mapping %s: no matching attribute: Entra needs one to find existing accounts (How provisioning works); mark userName matching: true", name)
	}
	return nil
}

func (a *Attribute) isManager() bool { return a.path.is(scim.EnterpriseUserURN, "manager") }

func (a *Attribute) rolesTarget(r RoleMode) bool {
	p := a.path
	if p.URN != "" || !strings.EqualFold(p.Attr, "roles") {
		return false
	}
	if r == RoleSingle {
		return strings.EqualFold(p.FilterAttr, "primary") && strings.EqualFold(p.FilterVal, "true") && strings.EqualFold(p.Sub, "value")
	}
	return !p.filtered() && p.Sub == ""
}

// find returns the attribute with this target, or nil.
func (m *Mapping) find(target string) *Attribute {
	for i := range m.Attributes {
		if strings.EqualFold(m.Attributes[i].Target, target) {
			return &m.Attributes[i]
		}
	}
	return nil
}

// roleMode is the app-role mode the mapping's roles attribute uses.
func (m *Mapping) roleMode() RoleMode {
	for _, a := range m.Attributes {
		if a.src.kind == srcRole {
			return a.src.role
		}
	}
	return RoleNone
}

// matching returns the matching attributes in precedence order.
func (m *Mapping) matching() []*Attribute {
	var out []*Attribute
	for i := range m.Attributes {
		if m.Attributes[i].Matching {
			out = append(out, &m.Attributes[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, pj := out[i].Precedence, out[j].Precedence
		if pi == 0 {
			pi = 1 << 30
		}
		if pj == 0 {
			pj = 1 << 30
		}
		return pi < pj
	})
	return out
}

// withRoleMode returns a copy of m whose roles attribute uses mode: the
// mapping's own is replaced (an admin choosing another expression), RoleNone
// keeps m as it is.
func (m *Mapping) withRoleMode(mode RoleMode) *Mapping {
	if mode == RoleNone || m.roleMode() == mode {
		return m
	}
	c := &Mapping{Name: m.Name, Description: m.Description}
	for _, a := range m.Attributes {
		if a.src.kind != srcRole {
			c.Attributes = append(c.Attributes, a)
		}
	}
	target := "roles"
	if mode == RoleSingle {
		target = `roles[primary eq "True"].value`
	}
	a := Attribute{Target: target, Source: string(mode) + "([appRoleAssignments])", Type: "String"}
	a.path, _ = parsePath(target)
	a.src = source{kind: srcRole, role: mode}
	c.Attributes = append(c.Attributes, a)
	return c
}

// BuiltinMappings lists the mapping files shipped in fixtures/mappings, by
// name without ".yaml".
func BuiltinMappings() []string {
	entries, _ := fs.ReadDir(fixtures.FS, "mappings")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	return names
}

// BuiltinMapping loads fixtures/mappings/<name>.yaml ("humbol",
// "entra-default").
func BuiltinMapping(name string) (*Mapping, error) {
	b, err := fs.ReadFile(fixtures.FS, "mappings/"+name+".yaml")
	if err != nil {
		return nil, fmt.Errorf("mapping: no built-in mapping %q (built in: %s)", name, strings.Join(BuiltinMappings(), ", "))
	}
	return LoadMapping(bytes.NewReader(b))
}

// DefaultMapping is Entra's default SCIM mapping (entra-default.yaml).
func DefaultMapping() (*Mapping, error) { return BuiltinMapping("entra-default") }

// OpenMapping loads a built-in mapping by name, or else a YAML file: what a
// --mapping flag takes.
func OpenMapping(nameOrPath string) (*Mapping, error) {
	if slices.Contains(BuiltinMappings(), nameOrPath) {
		return BuiltinMapping(nameOrPath)
	}
	f, err := os.Open(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("mapping: %q is neither a built-in mapping (%s) nor a readable file: %w", nameOrPath, strings.Join(BuiltinMappings(), ", "), err)
	}
	defer f.Close()
	m, err := LoadMapping(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nameOrPath, err)
	}
	return m, nil
}
