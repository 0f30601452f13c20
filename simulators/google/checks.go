package google

import (
	"fmt"

	"github.com/scimharness/scimharness/harness/judge"
	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/wire"
)

// voice words the shared judgements (package judge) the way Google's
// provisioning trips over a bug, so that a failing report says what to fix
// rather than which byte differed. Google's update and deprovisioning are
// unverified, so where the catalog does not say what Google itself does,
// the sentence speaks of IdPs in general.
var voice = judge.Voice{
	IdP:            "Google",
	WrongMatch:     "update that user",
	EmptyCreate:    "Google reads the new user's id from it",
	MediaRefused:   "Google sends Content-Type " + ContentType + ", which it cannot change, and a server must accept it (pond/scimitar issue 142, indigo-iam 1285)",
	CaseChanged:    "an IdP that reads back another value keeps sending updates (PostHog 42253)",
	StringBooleans: true,
	Retries:        "a client retries a 5xx forever",
}

// patched accepts the two successes RFC 7644 allows for a PATCH.
func patched() scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		switch s := ex.Status(); s {
		case 200, 204:
			return nil
		default:
			return fmt.Errorf("expected 200 with the resource or 204 (RFC 7644 §3.5.2), got %d", s)
		}
	})
}
