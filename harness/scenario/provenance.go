package scenario

// Confidence is how well a step's request, or an expectation's judgement,
// is backed by its source. A simulator is worth what its fidelity is worth,
// so every shape it sends says whether the IdP documents it, was seen
// sending it, or neither.
type Confidence string

const (
	// Doc: the IdP's own documentation describes it.
	Doc Confidence = "doc"
	// Log: seen in captured traffic (a public issue thread, a log).
	Log Confidence = "log"
	// Unverified: no source shows the IdP doing it; the simulator sends it
	// as a plausible variant and the verdict must say so.
	Unverified Confidence = "unverified"
	// Harness: the harness's own request (a read-back of what the IdP
	// wrote), which no IdP sends; it is not one of the IdP's operations.
	Harness Confidence = "harness"
)

// Valid reports whether c is one of the confidences above or empty.
func (c Confidence) Valid() bool {
	switch c {
	case "", Doc, Log, Unverified, Harness:
		return true
	}
	return false
}

// From returns e with its source and confidence set.
func (e Expectation) From(source string, c Confidence) Expectation {
	e.Source, e.Confidence = source, c
	return e
}

// LendProvenance gives each expectation of st that names no source the
// step's source and confidence, so that every judgement says where it
// comes from (the simulators' steps set them once, for the step).
func (st *Step) LendProvenance() {
	for j, e := range st.Expect {
		if e.Source == "" {
			st.Expect[j] = e.From(st.Source, st.Confidence)
		}
	}
}
