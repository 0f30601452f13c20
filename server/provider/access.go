package provider

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/scimharness/scimharness/server/schema"
)

// Principal is who a request acts as, and what the service lets it do.
// A tenant's plain bearer tokens act as a principal with every permission
// unless [Access.Actors] lists the token with fewer.
type Principal struct {
	// Name is the actor's name or the OAuth2 client id; "" for a plain
	// tenant token.
	Name string
	// Client is set for a token issued by the tenant's token endpoint.
	Client bool
	// Grants are the permissions the service gives the actor or client,
	// named by the provider that checks them (Huddle's
	// huddle.Provisioning, Board's board.SCIMEnabled): the generic server
	// knows none of them.
	Grants []string
	// All is set for a plain tenant token: it holds every permission.
	All bool
}

// Has reports whether p holds the permission perm.
func (p Principal) Has(perm string) bool { return p.All || slices.Contains(p.Grants, perm) }

// Full is the principal of a plain tenant token: every permission.
var Full = Principal{All: true}

// Client is an OAuth2 client of a tenant's token endpoint (RFC 6749 §4.4,
// client credentials).
type Client struct {
	ID string
	// SecretSHA256 is the SHA-256 of the client secret; the secret itself
	// is never kept.
	SecretSHA256 [sha256.Size]byte
	// Lifetime of the access tokens issued to the client; zero is
	// [DefaultTokenLifetime].
	Lifetime time.Duration
	// Principal is what the client's tokens may do; Name and Client are
	// set from the client.
	Principal Principal
}

// DefaultTokenLifetime is the lifetime of an issued access token when the
// client has none configured: short-lived, as client-credentials tokens are.
const DefaultTokenLifetime = time.Hour

// ErrExpired is the 401 of an issued access token past its lifetime.
var ErrExpired = schema.StatusError(http.StatusUnauthorized, "the access token has expired; request a new one from the token endpoint")

// MaxTokenLifetime is Board's limit on a Client API token's lifetime:
// "259,200 minutes (180 days) and must be defined by minutes" (seed 003).
const MaxTokenLifetime = 259200 * time.Minute

// Access is the tenant's access configuration beyond plain bearer tokens:
// actors with permissions and OAuth2 clients.
type Access struct {
	// Actors are tenant tokens (by SHA-256) with their permissions.
	Actors map[[sha256.Size]byte]Principal
	// Clients by client id; a tenant with clients has a token endpoint at
	// /t/{tenant}/connect/token (/connect/token for the default tenant).
	Clients map[string]Client
	// Scope the token endpoint requires in the request ("" any).
	Scope string
}

// Principal returns the principal of a plain tenant token with hash h.
func (a *Access) Principal(h [sha256.Size]byte) Principal {
	if a != nil {
		if p, ok := a.Actors[h]; ok {
			return p
		}
	}
	return Full
}

// Settings is the per-tenant configuration of a provider (the tenant's
// entry of the serve --config file). Each provider reads the settings it
// documents; giving one to a provider that has no use for it is an error.
type Settings struct {
	// Actors: tenant tokens with permissions (Huddle).
	Actors []Actor
	// Clients: OAuth2 client-credentials clients (Huddle, Board).
	Clients []Client
	// EmailDomains the company may provision users in (Huddle); empty
	// allows every domain.
	EmailDomains []string
	// PermissionGroups of the subscription (Board).
	PermissionGroups []PermissionGroup
	// Metadata lists the SCIM attributes mapped to a metadata field
	// (Board): "name.givenName", "emails", "active", … userName is always
	// kept (it is the login).
	Metadata []string
	// RoleMapping says the IdP maps roles[primary eq "True"].value (Humbol):
	// then every user has precisely one role (seed 001: "If you include
	// roles[primary eq "True"].value every user must have precisely one role").
	RoleMapping bool
}

// Actor is a tenant token with permissions.
type Actor struct {
	Name        string
	TokenSHA256 [sha256.Size]byte
	Grants      []string // see Principal.Grants
}

// PermissionGroup is a Board Permission Group, served as a SCIM Group.
type PermissionGroup struct {
	Name     string
	Default  bool
	Disabled bool
}

// Empty reports whether s sets nothing: what every provider without
// settings requires.
func (s Settings) Empty() bool {
	return len(s.Actors) == 0 && len(s.Clients) == 0 && len(s.EmailDomains) == 0 &&
		len(s.PermissionGroups) == 0 && s.Metadata == nil && !s.RoleMapping
}

// Access builds the Access of s with scope; nil when s has neither actors
// nor clients. A client without an id, given twice, or with a token
// lifetime above [MaxTokenLifetime] is an error.
func (s Settings) Access(scope string) (*Access, error) {
	if len(s.Actors) == 0 && len(s.Clients) == 0 {
		return nil, nil
	}
	a := &Access{Actors: map[[sha256.Size]byte]Principal{}, Clients: map[string]Client{}, Scope: scope}
	for _, ac := range s.Actors {
		a.Actors[ac.TokenSHA256] = Principal{Name: ac.Name, Grants: ac.Grants}
	}
	for _, c := range s.Clients {
		if c.ID == "" {
			return nil, fmt.Errorf("a client has no id")
		}
		if _, dup := a.Clients[c.ID]; dup {
			return nil, fmt.Errorf("client %q is given twice", c.ID)
		}
		if c.Lifetime < 0 || c.Lifetime > MaxTokenLifetime {
			return nil, fmt.Errorf("client %q: token lifetime %v: the limit is 259200 minutes (180 days)", c.ID, c.Lifetime)
		}
		if c.Lifetime == 0 {
			c.Lifetime = DefaultTokenLifetime
		}
		c.Principal.Name, c.Principal.Client = c.ID, true
		a.Clients[c.ID] = c
	}
	return a, nil
}

// NoSettings is the error of settings given to a provider that takes none
// (name is what the config file's "profile:" said).
func NoSettings(name string) error {
	return fmt.Errorf("profile %q takes no actors, clients, email_domains, permission_groups, metadata or role_mapping (huddle, board and humbol do)", name)
}
