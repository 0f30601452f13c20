// Command compare reads the reports of one CI run of scimharness against the
// peer server (conform's results.yaml, each simulator's report.json and the
// fuzz run's terminal output) and compares what failed with the pinned
// findings in findings.yaml. It fails when something failed that is not
// pinned — a new false failure of the harness or a new defect of the peer:
// either is justified in findings.yaml with its RFC clause or fixed in the
// harness — and when a run did not complete. Pinned findings that no longer
// fail are reported (the pin is stale and should go) and fail too, so the
// list stays the truth.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Finding is one pinned failure and why it is a real defect of the peer.
type Finding struct {
	// Run is "conform", "simulate/entra|okta|google" or "fuzz".
	Run string `yaml:"run"`
	// ID is the check id, the simulator scenario or the fuzz disagreement kind.
	ID string `yaml:"id"`
	// Clause is the RFC clause, with its keyword, the peer breaks; for an
	// IdP scenario the RFC clause that bears on it.
	Clause string `yaml:"clause"`
	// Source is the IdP's documented behaviour, for simulator findings the
	// RFC alone does not make a failure.
	Source string `yaml:"source,omitempty"`
	// Why says what the peer sent and why that breaks the clause.
	Why string `yaml:"why"`
}

// notFailing are the statuses that do not fail a check or a scenario.
var notFailing = map[string]bool{"pass": true, "warn": true, "info": true, "skip": true}

func main() {
	findings := flag.String("findings", "", "findings.yaml")
	dir := flag.String("dir", "", "directory holding conform/, simulate-IDP/ and fuzz.out")
	flag.Parse()
	pinned, err := readFindings(*findings)
	if err != nil {
		fatal(err)
	}
	got, incomplete, err := collect(*dir)
	if err != nil {
		fatal(err)
	}
	lines, ok := compare(pinned, got, incomplete)
	for _, l := range lines {
		fmt.Println(l)
	}
	if !ok {
		os.Exit(1)
	}
	fmt.Printf("peer: %d failures, every one pinned with its clause\n", len(got))
}

// compare returns the report lines and whether the run matches the pins:
// every run complete, every failure pinned, every pin still failing.
func compare(pinned []Finding, got map[string]bool, incomplete []string) ([]string, bool) {
	var lines []string
	ok := len(incomplete) == 0
	for _, s := range incomplete {
		lines = append(lines, "INCOMPLETE  "+s)
	}
	seen := map[string]bool{}
	for _, f := range pinned {
		k := f.Run + " " + f.ID
		if seen[k] {
			lines = append(lines, "DUPLICATE PIN  "+k)
			ok = false
		}
		seen[k] = true
		if got[k] {
			lines = append(lines, fmt.Sprintf("pinned      %s  (%s)", k, f.Clause))
		} else {
			lines = append(lines, fmt.Sprintf("STALE PIN   %s: pinned but no longer fails; remove it from findings.yaml", k))
			ok = false
		}
	}
	var unpinned []string
	for k := range got {
		if !seen[k] {
			unpinned = append(unpinned, k)
		}
	}
	sort.Strings(unpinned)
	for _, k := range unpinned {
		lines = append(lines, fmt.Sprintf("UNPINNED    %s: fails against the peer and is not in findings.yaml (a harness false failure to fix, or a peer defect to pin with its clause)", k))
		ok = false
	}
	return lines, ok
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(2)
}

func readFindings(path string) ([]Finding, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Findings []Finding `yaml:"findings"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, f := range doc.Findings {
		// An RFC finding names its clause and keyword; an IdP finding (the
		// RFC allows what the peer does, the IdP breaks on it) names the
		// IdP's documented behaviour in source and the clause concerned.
		keyword := regexp.MustCompile(`MUST|SHALL|REQUIRED|SHOULD|RECOMMENDED`).MatchString(f.Clause)
		if f.Run == "" || f.ID == "" || f.Why == "" || !regexp.MustCompile(`RFC 764[34] §`).MatchString(f.Clause) || (!keyword && f.Source == "") {
			return nil, fmt.Errorf("%s: finding %q %q needs run, id, why and a clause naming RFC 7643/7644 § with its keyword (or, for an IdP habit, a source)", path, f.Run, f.ID)
		}
	}
	return doc.Findings, nil
}

// collect returns the failures of the run, keyed "RUN ID", and the runs that
// did not complete.
func collect(dir string) (map[string]bool, []string, error) {
	got := map[string]bool{}
	var incomplete []string

	var conform struct {
		Verdict string `yaml:"verdict"`
		Run     string `yaml:"run"`
		Checks  []struct {
			ID     string `yaml:"id"`
			Status string `yaml:"status"`
		} `yaml:"checks"`
	}
	b, err := os.ReadFile(dir + "/conform/results.yaml")
	if err != nil {
		return nil, nil, err
	}
	if err := yaml.Unmarshal(b, &conform); err != nil {
		return nil, nil, fmt.Errorf("conform/results.yaml: %w", err)
	}
	if !strings.HasPrefix(conform.Run, "complete") {
		incomplete = append(incomplete, "conform: "+conform.Run)
	}
	for _, c := range conform.Checks {
		if !notFailing[c.Status] {
			got["conform "+c.ID] = true
		}
	}

	for _, idp := range []string{"entra", "okta", "google"} {
		var sim struct {
			Interrupted string `json:"interrupted"`
			Summary     struct {
				Verdict string `json:"verdict"`
			} `json:"summary"`
			Results []struct {
				Scenario string `json:"scenario"`
				Status   string `json:"status"`
			} `json:"results"`
		}
		b, err := os.ReadFile(dir + "/simulate-" + idp + "/report.json")
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(b, &sim); err != nil {
			return nil, nil, fmt.Errorf("simulate-%s/report.json: %w", idp, err)
		}
		if sim.Interrupted != "" || sim.Summary.Verdict == "incomplete" || len(sim.Results) == 0 {
			incomplete = append(incomplete, "simulate "+idp+": "+sim.Summary.Verdict+" "+sim.Interrupted)
		}
		for _, r := range sim.Results {
			if !notFailing[r.Status] {
				got["simulate/"+idp+" "+r.Scenario] = true
			}
		}
	}

	b, err = os.ReadFile(dir + "/fuzz.out")
	if err != nil {
		return nil, nil, err
	}
	// fuzz stops at the first disagreement and names its kind:
	// "disagreement (KIND, RFC 7644 §…): …".
	for _, m := range regexp.MustCompile(`(?m)^disagreement \(([^,)]+)`).FindAllStringSubmatch(string(b), -1) {
		got["fuzz "+m[1]] = true
	}
	if !regexp.MustCompile(`(?m)^(pass: .*no disagreement|fail: a disagreement)`).Match(b) {
		incomplete = append(incomplete, "fuzz: no verdict in its output")
	}
	return got, incomplete, nil
}
