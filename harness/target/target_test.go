package target_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/scimharness/scimharness/harness/target"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"SCIM_BASE_URL": "https://scim.example.com/v2", "SCIM_TOKEN": "t", "SCIM_YES": "1",
		"SCIM_FEATURES": "bulk, sort", "SCIM_SKIP_FEATURES": "etag", "SCIM_REQUIRE_POSTGRES": "1",
	}
	c := target.ConfigFromEnv(func(k string) string { return env[k] })
	if c.BaseURL != env["SCIM_BASE_URL"] || c.Token != "t" || !c.Yes || c.Store != "postgres" || !c.RequirePostgres ||
		!slices.Equal(c.Features, []string{"bulk", "sort"}) || !slices.Equal(c.SkipFeatures, []string{"etag"}) {
		t.Errorf("config %+v", c)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		cfg     target.Config
		consent bool
		errs    bool
	}{
		{name: "non-loopback without consent", cfg: target.Config{BaseURL: "https://scim.example.com/v2", Token: "t"}, consent: true},
		{name: "unknown feature", cfg: target.Config{Features: []string{"warp"}}, errs: true},
		{name: "no credentials", cfg: target.Config{BaseURL: "http://127.0.0.1:1/v2"}, errs: true},
		{name: "unknown store", cfg: target.Config{Store: "sqlite"}, errs: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := target.Open(ctx, tc.cfg)
			if tc.consent != errors.Is(err, target.ErrConsent) || (tc.errs && err == nil) {
				t.Errorf("err %v", err)
			}
		})
	}
}

// TestOverrides: features come from /ServiceProviderConfig, and the
// overrides win over it.
func TestOverrides(t *testing.T) {
	tg, err := target.Open(context.Background(), target.Config{SkipFeatures: []string{target.Bulk}})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if !tg.Declared[target.Bulk] || tg.Supports(target.Bulk) || !tg.Supports(target.Filter) || !tg.Supports(target.Groups) {
		t.Errorf("declared %v, features %v", tg.Declared, tg.Features)
	}
	if m := tg.Missing([]string{target.Filter, target.Bulk}); !slices.Equal(m, []string{target.Bulk}) {
		t.Errorf("missing %v", m)
	}
}

// TestDatabaseURL: with a database URL the in-process server uses that
// database, never a throwaway one, and an unreachable one is an error
// that does not show the password.
func TestDatabaseURL(t *testing.T) {
	_, err := target.Open(context.Background(), target.Config{Store: "postgres", DatabaseURL: "postgres://u:pw-s3cret@127.0.0.1:1/db?connect_timeout=2"})
	if err == nil || strings.Contains(err.Error(), "pw-s3cret") {
		t.Fatalf("err = %v", err)
	}
}
