// Command compare reads the reports of one CI run of scimharness against the
// peer server (conform's results.yaml, each simulator's report.json and the
// fuzz run's terminal output) and compares what failed with the pinned
// findings in findings.yaml. It fails when something failed that is not
// pinned — a new false failure of the harness or a new defect of the peer:
// either is justified in findings.yaml with its RFC clause or fixed in the
// harness — and when a run did not complete. Pinned findings that no longer
// fail are reported (the pin is stale and should go) and fail too, so the
// list stays the truth.
//
// One finding pins one cause. It names the checks it covers exactly (id) or
// by glob patterns (ids, path.Match syntax: * stops at /), so one clause can
// cover e.g. the filter on every multi-valued attribute of the generated
// schema/… checks; a pin by pattern says how many checks it covers (checks)
// and, for conform, what every failing step of them says (message, a
// regular expression): a check the pattern names that fails for another
// reason is not pinned by it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
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
	// IDs, instead of ID, are glob patterns (path.Match) of the check ids
	// one cause fails.
	IDs []string `yaml:"ids"`
	// Checks is how many failures the patterns cover; required with IDs, so
	// a cause that spreads to more checks, or fewer, is seen.
	Checks int `yaml:"checks"`
	// Message, for a conform pin, is a regular expression the first line of
	// every failing step of each check it covers must match: the cause, not
	// just the check, is pinned.
	Message string         `yaml:"message"`
	message *regexp.Regexp // Message, compiled by readFindings
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
// every run complete, every failure pinned by exactly one finding, every pin
// still failing (as many checks as it says). got maps each failure, "RUN ID",
// to the first lines of its failing steps (conform only).
func compare(pinned []Finding, got map[string][]string, incomplete []string) ([]string, bool) {
	var lines []string
	ok := len(incomplete) == 0
	for _, s := range incomplete {
		lines = append(lines, "INCOMPLETE  "+s)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	covered := make([]int, len(pinned))
	seen := map[string]bool{}
	for _, f := range pinned {
		for _, k := range f.keys() {
			if seen[k] {
				lines = append(lines, "DUPLICATE PIN  "+k)
				ok = false
			}
			seen[k] = true
		}
	}
	for _, k := range keys {
		var by []int
		for i, f := range pinned {
			if f.covers(k, got[k]) {
				by = append(by, i)
			}
		}
		switch len(by) {
		case 0:
			lines = append(lines, fmt.Sprintf("UNPINNED    %s: fails against the peer and is not in findings.yaml (a harness false failure to fix, or a peer defect to pin with its clause)%s", k, quoted(got[k])))
			ok = false
		case 1:
			covered[by[0]]++
		default:
			lines = append(lines, fmt.Sprintf("AMBIGUOUS   %s: pinned by %d findings; one cause, one pin", k, len(by)))
			ok = false
		}
	}
	for i, f := range pinned {
		name := f.Run + " " + f.name()
		switch {
		case covered[i] == 0:
			lines = append(lines, fmt.Sprintf("STALE PIN   %s: pinned but no longer fails; remove it from findings.yaml", name))
			ok = false
		case len(f.IDs) > 0 && covered[i] != f.Checks:
			lines = append(lines, fmt.Sprintf("COUNT       %s: pinned for %d checks, %d fail so; update checks (and why) in findings.yaml", name, f.Checks, covered[i]))
			ok = false
		case len(f.IDs) > 0:
			lines = append(lines, fmt.Sprintf("pinned      %s  %d checks  (%s)", name, covered[i], f.Clause))
		default:
			lines = append(lines, fmt.Sprintf("pinned      %s  (%s)", name, f.Clause))
		}
	}
	return lines, ok
}

// keys are the exact "RUN ID" keys a finding pins, for the duplicate test.
func (f Finding) keys() []string {
	if f.ID != "" {
		return []string{f.Run + " " + f.ID}
	}
	var ks []string
	for _, p := range f.IDs {
		ks = append(ks, f.Run+" "+p)
	}
	return ks
}

func (f Finding) name() string {
	if f.ID != "" {
		return f.ID
	}
	return strings.Join(f.IDs, " | ")
}

// covers reports whether the finding pins the failure key with the given
// failing-step messages.
func (f Finding) covers(key string, messages []string) bool {
	run, id, _ := strings.Cut(key, " ")
	if run != f.Run {
		return false
	}
	match := id == f.ID
	for _, p := range f.IDs {
		if m, _ := path.Match(p, id); m {
			match = true
		}
	}
	if !match || f.Message == "" {
		return match
	}
	re := f.message
	if re == nil {
		re = regexp.MustCompile(f.Message)
	}
	for _, m := range messages {
		if !re.MatchString(m) {
			return false
		}
	}
	return len(messages) > 0
}

func quoted(messages []string) string {
	if len(messages) == 0 {
		return ""
	}
	return ": " + strings.Join(messages, "; ")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(2)
}

func readFindings(file string) ([]Finding, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Findings []Finding `yaml:"findings"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for i, f := range doc.Findings {
		// An RFC finding names its clause and keyword; an IdP finding (the
		// RFC allows what the peer does, the IdP breaks on it) names the
		// IdP's documented behaviour in source and the clause concerned.
		keyword := regexp.MustCompile(`MUST|SHALL|REQUIRED|SHOULD|RECOMMENDED`).MatchString(f.Clause)
		if f.Run == "" || (f.ID == "") == (len(f.IDs) == 0) || f.Why == "" || !regexp.MustCompile(`RFC 764[34] §`).MatchString(f.Clause) || (!keyword && f.Source == "") {
			return nil, fmt.Errorf("%s: finding %q %q needs run, id (or ids), why and a clause naming RFC 7643/7644 § with its keyword (or, for an IdP habit, a source)", file, f.Run, f.name())
		}
		for _, p := range f.IDs {
			if _, err := path.Match(p, ""); err != nil {
				return nil, fmt.Errorf("%s: finding %q: pattern %q: %w", file, f.Run, p, err)
			}
		}
		if (len(f.IDs) > 0) != (f.Checks > 0) {
			return nil, fmt.Errorf("%s: finding %q %q: a pin by ids says how many checks it covers (checks), and only it", file, f.Run, f.name())
		}
		if f.Message != "" {
			if f.Run != "conform" {
				return nil, fmt.Errorf("%s: finding %q %q: message is only read from conform's results", file, f.Run, f.name())
			}
			re, err := regexp.Compile(f.Message)
			if err != nil {
				return nil, fmt.Errorf("%s: finding %q: message: %w", file, f.name(), err)
			}
			doc.Findings[i].message = re
		}
	}
	return doc.Findings, nil
}

// collect returns the failures of the run, keyed "RUN ID", each with the
// first lines of its failing steps (conform's; a blocked step names the step
// it waited for, not a cause, and is left out), and the runs that did not
// complete.
func collect(dir string) (map[string][]string, []string, error) {
	got := map[string][]string{}
	var incomplete []string

	var conform struct {
		Verdict string `yaml:"verdict"`
		Run     string `yaml:"run"`
		Checks  []struct {
			ID       string `yaml:"id"`
			Status   string `yaml:"status"`
			Problems []struct {
				Status  string `yaml:"status"`
				Message string `yaml:"message"`
			} `yaml:"problems"`
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
		if notFailing[c.Status] {
			continue
		}
		messages := []string{}
		for _, p := range c.Problems {
			if p.Status == "fail" || p.Status == "error" {
				first, _, _ := strings.Cut(p.Message, "\n")
				messages = append(messages, first)
			}
		}
		got["conform "+c.ID] = messages
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
				got["simulate/"+idp+" "+r.Scenario] = nil
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
		got["fuzz "+m[1]] = nil
	}
	if !regexp.MustCompile(`(?m)^(pass: .*no disagreement|fail: a disagreement)`).Match(b) {
		incomplete = append(incomplete, "fuzz: no verdict in its output")
	}
	return got, incomplete, nil
}
