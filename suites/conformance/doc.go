// Package conformance is the Ginkgo suite of the SCIM RFC conformance
// checks (suites/checks): one spec per check, labelled with its area,
// features, level and profile, run against the target harness/target
// chooses (the in-process reference server, or SCIM_BASE_URL).
//
//	go test ./suites/conformance/ -ginkgo.label-filter='filter && MUST'
//	SCIM_BASE_URL=https://… SCIM_TOKEN=… SCIM_YES=1 SCIM_REPORT_DIR=$PWD/out go test ./suites/conformance/
//
// Ginkgo's --junit-report and --json-report work as usual; with
// SCIM_REPORT_DIR the suite also writes the certification report
// (results.yaml, report.html) there. With SCIM_FUZZ_CASES=DIR it also
// replays each case `scimharness fuzz --save DIR` wrote (one spec per
// file, label fuzz-case; a case needing a feature the target does not
// declare is skipped) and fails a case the target does not answer as the
// reference did, naming the file, the request and the disagreement.
package conformance
