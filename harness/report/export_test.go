package report

import "time"

// SetEvery sets the least time between two redraws of p, for tests.
func SetEvery(p *Progress, d time.Duration) { p.every = d }
