// Package layers holds no code: its test enforces the direction of
// imports of the module's architecture (README, Layout), with go list, so
// that the arrows keep pointing one way:
//
//   - scim and wire import no package of the module;
//   - server/... imports only server/..., scim, wire and fixtures (never
//     harness, simulators, suites or certify);
//   - harness/... imports nothing from simulators, suites or certify;
//   - simulators/... imports nothing from suites or certify;
//   - cmd/scimharness, server/servertest and server/store/postgres/ephemeral
//     do not link testing, Ginkgo or Gomega (the binary is not a test).
//
// Only non-test imports count: a package's tests may reach up (a server
// test may drive it with the harness's client).
package layers
