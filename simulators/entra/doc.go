// Package entra simulates the Microsoft Entra ID provisioning service as a
// SCIM client: it sends what Entra sends, in Entra's order and shapes, and
// judges each answer as Entra would live with it. The behaviours come from
// the Entra section of the project's IdP catalog (/work/shared/idp-behaviour.md),
// whose sources are cited in every step: Microsoft Learn's SCIM tutorial
// (TUT), "Known issues … SCIM 2.0 protocol compliance" (KNOWN), "How
// provisioning works" (HOW), "Application provisioning in quarantine status"
// (QUAR), "Customize attribute mappings" (MAP), the SCIMReferenceCode
// repository (REF) and public issue threads.
//
// Reproduced:
//
//   - Test Connection: GET /Users?filter=userName eq "<random GUID>" → 200,
//     empty ListResponse; 404 quarantines (TUT, QUAR, SCIMReferenceCode 63).
//   - Schema discovery: GET /Schemas, checked against the mapping (TUT).
//   - Initial cycle: match by userName, externalId or
//     emails[type eq "work"].value; 0 results → POST with TUT's body
//     (core+enterprise schemas, meta.resourceType, work email with primary
//     true, roles [] or per the role mapping, unset attributes as null);
//     the id is cached; a second match must find exactly that account
//     (HOW). Managers are set in a later pass with a raw string id and
//     "op":"Add" (REF, SCIM-SDK 686).
//   - Groups: created empty with the ADSCIM Group schema URN, queried and
//     read with excludedAttributes=members, members added with
//     [{"$ref":null,"value":id}] (TUT).
//   - Incremental cycle: attribute updates built from the mapping —
//     capitalised ops, one per attribute, without the aadOptscim062020 flag
//     (TUT); one path-less lower-case replace with dotted and URN keys with
//     it (KNOWN); app-role changes for SingleAppRoleAssignment,
//     AppRoleAssignmentsComplex (JSON-string values) and
//     AssertiveAppRoleAssignmentsComplex (MAP); manager replace and removal
//     with "value":""; group rename; member add and remove (value array
//     without the flag — a server that then wipes every member loses data,
//     entra-docs 949 — or members[value eq "id"] with it); disable with
//     "False" or false, the inactive user still found; re-enable
//     (unverified); DELETE → 204, then 404.
//   - Duplicates → 409 uniqueness with a SCIM error body (TUT), and
//     "active":"True" / "primary":"True" strings stored as booleans
//     (SCIMReferenceCode 21, the validator).
//   - Legacy and validator shapes (scenario LegacyScenario): the legacy
//     unquoted filter value `externalId eq jyoung-<prefix>` (a SHOULD: a
//     400 invalidFilter is RFC-correct, informational in strict mode and a
//     warning in compat mode; wrong matches fail); a PATCH with path
//     emails[type eq "other"].Value (capital V) and its read-back; paging
//     as account discovery and Microsoft's validator do it, startIndex=N
//     &count=5 over the scenario's own users (filtered by
//     userName sw "<prefix>."), judging the startIndex echoed, itemsPerPage
//     ≤ 5, integer paging fields and no user on two pages.
//   - Quarantine (Run): ≥40% failed operations, a 404 to Test Connection,
//     persistent 401s (QUAR); a rate limit and concurrency like a tenant's.
//
// The initial cycle alone (Options.Cycle CycleInitial; scimharness
// simulate --entra-cycle initial): Test Connection, then per user the match
// query(ies) and, on 0 results, Entra's POST; per group the displayName
// query, the empty POST and one PATCH adding all its members. Each answer
// is judged as in the full cycle; the harness's read-backs, the manager
// pass and the incremental cycle are not sent. Provision times the cycle
// apart from its cleanup, which waits until the whole cycle has run
// (Outcome.Timing): the load Entra's first sync of a tenant puts on a
// server. The catalog gives no figure for Entra's concurrency, so
// Options.Concurrency stays 1 unless set. BenchmarkInitialCycle measures
// it in process at 1,000 and 10,000 users.
//
// Every answer is judged for status, for reading back what was written
// (userName case, active as a JSON boolean, manager, emails, the mapped
// attributes) and for SCIM error bodies; a failure message names the bug in
// plain words and the source that shows why Entra cares.
//
// The population (names, emails, departments, work addresses, managers,
// roles) is generated from Options.Seed and pushed through an attribute
// Mapping loaded from YAML (fixtures/mappings: Entra's default mapping and
// the Humbol tutorial's). Everything created carries the run prefix and is
// removed by the scenario runner afterwards; nothing else is changed.
package entra
