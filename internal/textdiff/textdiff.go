// Package textdiff finds where two texts part, for the golden-file tests
// (transcripts, help texts) to say where a change starts instead of
// printing two whole files.
package textdiff

import "strings"

// FirstLine returns the first line (1-based) at which got differs from
// want, with both lines ("" past the end of either), or 0 when they are
// equal.
func FirstLine(want, got string) (line int, w, g string) {
	if want == got {
		return 0, "", ""
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		w, g = "", ""
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return i + 1, w, g
		}
	}
	// The same lines, but one ends in a newline the other lacks.
	return max(len(wl), len(gl)), "", ""
}
