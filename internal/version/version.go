// Package version says which build of scimharness is running: the module
// version and the VCS revision. `scimharness version` prints it, and every
// report, results.yaml included, records it, so a result can be traced to
// the code that judged it.
package version

import "runtime/debug"

// Override is set at build time with -ldflags "-X
// github.com/scimharness/scimharness/internal/version.Override=…"; otherwise
// the module version from the build info is used.
var Override = ""

// String describes the running build.
func String() string {
	bi, _ := debug.ReadBuildInfo()
	return Of(bi)
}

// Of is the module version and the VCS revision of bi. A binary built by go
// install from a clone carries the revision (and whether the tree had
// uncommitted changes); one built with -buildvcs=false (as CI does) or
// from the module proxy has none, and says so.
func Of(bi *debug.BuildInfo) string {
	v := Override
	if v == "" && bi != nil && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	rev, modified := "unknown", ""
	if bi != nil {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && s.Value != "":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = ", with uncommitted changes"
			}
		}
	}
	if rev == "unknown" {
		return v + " (revision unknown: built without VCS information)"
	}
	return v + " (revision " + rev + modified + ")"
}
