// Package idp is the Ginkgo suite that plays the Entra ID, Google Workspace
// and Okta simulators against the target harness/target chooses (the
// in-process reference server, or SCIM_BASE_URL): one spec per IdP
// scenario, labelled with the IdP, failing on any Fail or Error result.
package idp
