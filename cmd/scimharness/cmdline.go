package main

import (
	"flag"
	"slices"
	"sort"
	"strings"
)

// commandLine is the command line that repeats a run of `scimharness
// command`, for reports: env first (secrets named as environment variables,
// never written), then every flag that was set, sorted, except those in
// skip; the URL is written without credentials (safeURL).
func commandLine(command string, fs *flag.FlagSet, env []string, url string, skip ...string) string {
	args := []string{"scimharness", command}
	var names []string
	fs.Visit(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, name := range names {
		if slices.Contains(skip, name) {
			continue
		}
		if name == "url" {
			args = append(args, "--url", shellQuote(safeURL(url)))
			continue
		}
		f := fs.Lookup(name)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			args = append(args, "--"+name+"="+f.Value.String())
			continue
		}
		args = append(args, "--"+name, shellQuote(f.Value.String()))
	}
	return strings.Join(append(env, args...), " ")
}
