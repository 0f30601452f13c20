package target

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/scimharness/scimharness/harness/client"
)

// DefaultRetries is how often the commands retry a 429 by default: a
// server that asks the run to slow down (RFC 6585 §4) gets its Retry-After
// honoured a few times before its answer is judged.
const DefaultRetries = 3

// FlagSpec says which target flags a command takes.
type FlagSpec struct {
	// What the URL is, for the help text: "the server under test".
	What string
	// OAuth2 adds the --oauth2-* flags (load sends a static token only).
	OAuth2 bool
	// Retries adds --retries (load counts a 429 as an error instead).
	Retries bool
	// Timeout is the default of --timeout (client.DefaultTimeout if zero).
	Timeout time.Duration
}

// Flags are the command-line flags of a target, the same in conform,
// simulate, load and replay: --url, --token, --yes, --prefix, --timeout,
// --retries and the --oauth2-* flags. Secrets come from the environment
// after parsing, never as flag defaults (-h prints defaults).
type Flags struct {
	URL, Token, Prefix string
	Yes                bool
	Timeout            time.Duration
	Retries            int
	OAuth2             client.OAuth2

	spec FlagSpec
	fs   *flag.FlagSet
}

// AddFlags registers the target flags of spec on fs.
func AddFlags(fs *flag.FlagSet, spec FlagSpec) *Flags {
	f := &Flags{spec: spec, fs: fs}
	if spec.Timeout == 0 {
		spec.Timeout = client.DefaultTimeout
	}
	fs.StringVar(&f.URL, "url", "", "SCIM base URL of "+spec.What+", e.g. http://127.0.0.1:8080/scim/v2")
	fs.StringVar(&f.Token, "token", "", "bearer token (default $"+EnvToken+")")
	fs.BoolVar(&f.Yes, "yes", false, "consent to write to a server that is not on this machine")
	fs.StringVar(&f.Prefix, "prefix", "", "prefix of everything the run creates (default random, scimh-xxxxxxxx)")
	fs.DurationVar(&f.Timeout, "timeout", spec.Timeout, "timeout of each request")
	if spec.Retries {
		fs.IntVar(&f.Retries, "retries", DefaultRetries, "retries of a 429 answer, after its Retry-After (at most 30s each); 0 judges the first answer")
	}
	if spec.OAuth2 {
		fs.StringVar(&f.OAuth2.TokenURL, "oauth2-token-url", "", "OAuth 2.0 token endpoint (client-credentials grant), instead of --token")
		fs.StringVar(&f.OAuth2.ClientID, "oauth2-client-id", "", "OAuth 2.0 client id")
		fs.StringVar(&f.OAuth2.ClientSecret, "oauth2-client-secret", "", "OAuth 2.0 client secret (default $"+EnvClientSecret+")")
		fs.StringVar(&f.OAuth2.Scope, "oauth2-scope", "", "OAuth 2.0 scope")
		fs.BoolVar(&f.OAuth2.CredentialsInBody, "oauth2-credentials-in-body", false, "send the client credentials as form fields instead of HTTP Basic")
	}
	return f
}

// Set reports whether the flag name was given on the command line.
func (f *Flags) Set(name string) bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// OAuth2Used reports whether any --oauth2-* flag was given.
func (f *Flags) OAuth2Used() bool {
	return f.spec.OAuth2 && (f.Set("oauth2-token-url") || f.Set("oauth2-client-id") || f.Set("oauth2-scope") || f.Set("oauth2-credentials-in-body"))
}

// Config is the Config the flags say, with the secrets the flags left out
// read from the environment. An error is a usage error, found before
// anything is sent. The URL and the credentials are not required here
// (conform without --url starts the reference server; a dry run needs no
// token): Check requires them.
func (f *Flags) Config(getenv func(string) string) (Config, error) {
	if f.Token == "" {
		f.Token = getenv(EnvToken)
	}
	if f.spec.OAuth2 && f.OAuth2.ClientSecret == "" {
		f.OAuth2.ClientSecret = getenv(EnvClientSecret)
	}
	c := Config{BaseURL: f.URL, Token: f.Token, Yes: f.Yes, Prefix: f.Prefix, Timeout: f.Timeout, Retries: f.Retries, from: fromFlags}
	switch {
	case f.Timeout <= 0:
		return c, fmt.Errorf("--timeout %v must be positive", f.Timeout)
	case f.Retries < 0:
		return c, fmt.Errorf("--retries %d is negative", f.Retries)
	}
	if f.OAuth2Used() {
		switch {
		case f.OAuth2.TokenURL == "" || f.OAuth2.ClientID == "" || f.OAuth2.ClientSecret == "":
			return c, fmt.Errorf("OAuth 2.0 needs --oauth2-token-url, --oauth2-client-id and --oauth2-client-secret (or $%s)", EnvClientSecret)
		case f.Set("token"):
			return c, errors.New("give --token or the --oauth2-* flags, not both")
		}
		o := f.OAuth2
		c.OAuth2, c.Token = &o, ""
	}
	if c.Prefix != "" {
		if err := CheckPrefix(c.Prefix); err != nil {
			return c, err
		}
	}
	return c, nil
}

// CheckPrefix refuses a run prefix that could match somebody else's data:
// it goes into userNames, emails and displayNames and marks the run's own.
func CheckPrefix(p string) error {
	if len(p) < 3 || strings.IndexFunc(p, func(r rune) bool {
		return !(r == '-' || r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'))
	}) >= 0 {
		return fmt.Errorf("--prefix %q: use at least 3 letters, digits, '-' or '_'", p)
	}
	return nil
}

// ParseURL checks that u is an absolute http(s) URL.
func ParseURL(u string) (*url.URL, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return nil, fmt.Errorf("--url %q is not an absolute http(s) URL", SafeURL(u))
	}
	return p, nil
}

// Check validates a Config that names a server (BaseURL set): the URL, the
// credentials and the consent to write to a server that is not on this
// machine. It sends nothing.
func (c Config) Check() error {
	if c.BaseURL == "" {
		return errors.New("--url is required: the SCIM base URL of the server")
	}
	u, err := ParseURL(c.BaseURL)
	if err != nil {
		return err
	}
	if c.Prefix != "" {
		if err := CheckPrefix(c.Prefix); err != nil {
			return err
		}
	}
	// The runs create, change and delete users and groups (only their
	// own, named with the prefix): somebody's staging server is not a
	// fixture unless they say so.
	if !c.Yes && !IsLoopback(u.Hostname()) {
		return consentError(fmt.Sprintf("%s is not on this machine, and the run creates, changes and deletes users and groups there (only its own, named %s…); %s", u.Host, c.Prefix, c.consentHint()))
	}
	if c.Token == "" && c.OAuth2 == nil {
		return fmt.Errorf("no credentials: pass --token, set %s, or use the --oauth2-* flags", EnvToken)
	}
	return nil
}

// consentHint says how to consent where the Config came from: the
// compiled suite has no --yes flag, the CLI's users think in flags.
func (c Config) consentHint() string {
	switch c.from {
	case fromEnv:
		return "set " + EnvYes + "=1 to consent"
	case fromFlags:
		return "pass --yes to consent"
	}
	return "pass --yes (or set " + EnvYes + "=1) to consent"
}

// ClientConfig is the client configuration of c: URL, credentials, timeout
// and the retry policy (429 only, Retries times).
func (c Config) ClientConfig() client.Config {
	cc := client.Config{BaseURL: c.BaseURL, Token: c.Token, OAuth2: c.OAuth2, Timeout: c.Timeout, Transport: c.Transport}
	if c.Retries > 0 {
		cc.Retry = client.Retry{Max: c.Retries, Statuses: []int{429}}
	}
	return cc
}

// RetryNote says what the retry policy was, for reports: a verdict on a
// server that answered 429 depends on it.
func (c Config) RetryNote() string {
	if c.Retries == 0 {
		return "none: the first answer is judged, a 429 included"
	}
	return fmt.Sprintf("a 429 answer is retried up to %d times, after its Retry-After (at most 30s each)", c.Retries)
}

// consentError is ErrConsent with its message: errors.Is finds ErrConsent,
// the user reads only the message.
type consentError string

func (e consentError) Error() string        { return string(e) }
func (e consentError) Is(target error) bool { return target == ErrConsent }
