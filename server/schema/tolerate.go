package schema

import (
	"fmt"
	"strings"
)

// Tolerate chooses which of the IdP tolerances of [Tolerances] the
// normaliser applies. The RFC types every attribute (RFC 7643 §2.3) and
// RFC 7644 §3.12 has invalidValue for "a required value was missing, or the
// value specified was not compatible with the operation or attribute type";
// real IdPs send some values in the wrong JSON type, and a server that
// refuses them breaks their provisioning. Which one a server does is a
// choice: the default ([TolerateIdP]) keeps the IdPs working, [TolerateNone]
// reads the RFC to the letter.
type Tolerate string

const (
	// TolerateIdP applies every tolerance of [Tolerances]; "" means it too.
	TolerateIdP Tolerate = "idp"
	// TolerateNone applies none: every type mismatch is 400 invalidValue.
	TolerateNone Tolerate = "none"
)

// ParseTolerate reads a --tolerate value: "idp" (or "") or "none".
func ParseTolerate(s string) (Tolerate, error) {
	switch t := Tolerate(FoldName(strings.TrimSpace(s))); t {
	case "", TolerateIdP:
		return TolerateIdP, nil
	case TolerateNone:
		return TolerateNone, nil
	}
	return "", fmt.Errorf("tolerate %q: want %q (the IdP tolerances) or %q (none: every type mismatch is 400 invalidValue)", s, TolerateIdP, TolerateNone)
}

// Options are the choices of a [Normalizer]. The zero value is the
// default: every tolerance, required attributes checked.
type Options struct {
	Tolerate Tolerate
	// DeferRequired leaves the required-attribute check out of
	// [Normalizer.Document]; the caller runs [ResourceType.CheckRequired]
	// itself, after checks whose errors must come first (a provider's
	// verbatim error body for a missing attribute).
	DeferRequired bool
}

// The tolerances, by name. Each is applied only where the value has the
// wrong JSON type for its attribute; a value of the right type is never
// changed by them.
const (
	// TolNumberAsString: a JSON number for a string (or reference)
	// attribute is read as its decimal text ({"userName": 12} is "12").
	// Source: the server's first contract (commit dac71d5, "employeeNumber
	// sent as a JSON number": the enterprise employeeNumber is a string
	// that directories hold as a number) and issue 14, which keeps it as a
	// default; no IdP capture found. The decimal text is the one reading of
	// the number, so nothing is guessed.
	TolNumberAsString = "numberAsString"
	// TolLoneValue: a lone value for a multi-valued attribute is read as
	// the array of that one value. Source: OneLogin's sample sends emails
	// as a single object (../shared/idp-behaviour.md, "OneLogin":
	// "a sample sends emails as a single object"). A lone string for a
	// multi-valued complex attribute gets this and [TolScalarAsValue]:
	// [{"value": …}].
	TolLoneValue = "loneValueAsArray"
	// TolScalarAsValue: a string, number or boolean for a complex attribute
	// with a "value" sub-attribute is read as {"value": …}. Source: Entra ID
	// sends the enterprise manager as a raw string id (idp-behaviour.md,
	// "Manager", and its corrections: "Entra sends the raw string id"; log,
	// SCIM-SDK issue 686).
	TolScalarAsValue = "scalarAsValue"
	// TolStringBoolean: "True"/"False" (any ASCII case) for a boolean is
	// read as the boolean. Source: Microsoft's validator POSTs
	// "primary":"True" (idp-behaviour.md, "App roles"); OneLogin's
	// "active may arrive as a string" (idp-behaviour.md, "OneLogin");
	// SCIMReferenceCode issue 21.
	TolStringBoolean = "stringBoolean"
	// TolExtensionAttributeAtTop: an attribute of an extension sent at the
	// top level of the body ("employeeNumber" rather than inside the
	// enterprise extension's object, RFC 7643 §3) is read as the extension
	// attribute. Source: none captured from an IdP; hand-written clients
	// and older servers' examples do it, and the name is unambiguous in
	// the served schemas (no core attribute has it).
	TolExtensionAttributeAtTop = "extensionAttributeAtTop"
)

// Tolerances lists every tolerance name, for a client-grading tool that
// reports them as quirks.
var Tolerances = []string{TolNumberAsString, TolLoneValue, TolScalarAsValue, TolStringBoolean, TolExtensionAttributeAtTop}

// Applied is one tolerance applied to a document: Name is one of
// [Tolerances], Path the canonical path of the attribute it was applied to
// ("userName", "emails", "urn:…:enterprise:2.0:User:manager").
type Applied struct {
	Name string
	Path string
}

func (a Applied) String() string { return a.Name + "(" + a.Path + ")" }

// tolerate applies tolerance name at path: under TolerateNone it is the
// 400 invalidValue error the RFC reads (format and args say what was
// wrong); otherwise it is recorded in n.Applied.
func (n *Normalizer) tolerate(name, path, format string, args ...any) error {
	if n.Tolerate == TolerateNone {
		se := Errorf(InvalidValue, format, args...)
		scimType := InvalidValue
		if name == TolExtensionAttributeAtTop {
			scimType = InvalidSyntax
		}
		return Errorf(scimType, "%s (RFC 7643 §2.3; this server tolerates no mismatch, so the %s tolerance is off)", se.Detail, name)
	}
	n.Applied = append(n.Applied, Applied{Name: name, Path: path})
	return nil
}
