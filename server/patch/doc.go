// Package patch applies SCIM PATCH requests (RFC 7644 §3.5.2): it reads a
// PatchOp body into [Operation]s ([ParseRequest]) and applies them to a
// resource document atomically ([Apply]), then validates the result with the
// schema package.
//
// The RFC is the rule; these tolerances make the requests real identity
// providers send work (see /work/shared/idp-behaviour.md):
//
//   - op names in any case: Entra ID sends "Add", "Replace", "Remove"
//     (elimity-com/scim PR 79, zitadel 9282).
//   - "schemas" may be missing; "Operations", "op", "path" and "value" are
//     matched case-insensitively.
//   - path-less add/replace whose value keys are dotted ("name.givenName"),
//     URN-qualified, or extension URNs (Entra ID with aadOptscim062020,
//     Microsoft Learn "Known issues ... SCIM 2.0 protocol compliance");
//     readOnly and unknown keys in it are ignored (Okta renames a group with
//     its "id" in the value; Okta deactivates with {"active": false}).
//   - booleans as the strings "True"/"False" (Entra ID without the flag;
//     SCIMReferenceCode issue 21), also inside value filters such as
//     roles[primary eq "True"].
//   - add or replace on attr[filter].sub with no matching element creates
//     the element from the filter's eq terms, where the RFC says noTarget
//     for replace: Entra ID sets emails[type eq "work"].value and
//     roles[primary eq "True"].value on users that have none (SCIM-SDK
//     issue 680, Microsoft Q&A 120490).
//   - remove of a multi-valued attribute with a value list removes only the
//     listed values, never all: Entra ID without the flag removes members so
//     (entra-docs issue 949).
//   - remove with a filter that matches nothing succeeds (idempotent), as
//     Okta and Entra ID repeat membership removals.
//   - adding a member that is already there is a no-op.
//   - the manager as a raw id string, and "" (or null) to remove it, under
//     add or replace (Entra ID; SCIM-SDK issue 686). More generally an
//     unassigned value (null, "", []) on add or replace unassigns a
//     single-valued target (RFC 7643 §2.5).
//   - primary true on an added or replaced value clears primary on the
//     others instead of failing (RFC 7644 §3.5.2).
//   - a "schemas" path is ignored: the server computes "schemas".
package patch
