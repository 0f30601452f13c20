// Package filter parses and evaluates SCIM filters (RFC 7644 §3.4.2.2) and
// PATCH paths (RFC 7644 §3.5.2).
//
// [Parse] turns a filter into an [Expr] tree, which the stores translate
// (the Postgres store into SQL) and [Compile] turns into a [Matcher] for the
// in-memory store. Every Expr prints back as canonical filter text with
// String, and Parse(e.String()) gives a tree equal to e.
//
// The package has its own recursive-descent parser instead of the
// maintained github.com/scim2/filter-parser/v2. Measured on 2026-11-22,
// v2.2.1 fails on the three-term value filter
// emails[type eq "work" and value co "@x" and primary eq true] ("parse
// conflict [00:001]: expected op.Or"); returns string values with their
// JSON escapes undecoded (\u0062, \", \t come back raw); and its errors do
// not point at a position in the filter. This parser takes any filter inside
// a value path, decodes every JSON escape, and reports every syntax error as
// a [schema.Error] (invalidFilter, or invalidPath for PATCH paths) naming
// the 1-based character position and what was expected there.
//
// Beyond RFC 7644 the parser accepts what real identity providers send:
// operators, and/or/not and true/false/null in any case (PingFederate's
// `username Eq "x"`), an unquoted word as a string value (Entra's legacy
// `externalId eq jyoung`), and Entra's `emails[type eq "work"].value eq "x"`,
// read as emails[type eq "work" and value eq "x"].
package filter
