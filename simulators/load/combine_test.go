package load

import (
	"testing"
	"time"
)

func result(elapsed time.Duration, errs int64, lat ...time.Duration) *Result {
	var h Histogram
	for _, d := range lat {
		h.Record(d)
	}
	r := &Result{hist: &h, Errors: errs, ErrorsByStatus: map[string]int64{}, ByOp: map[string]int64{"lookup": int64(len(lat))}}
	if errs > 0 {
		r.ErrorsByStatus["500"] = errs
	}
	r.summarise(elapsed)
	return r
}

func TestCombine(t *testing.T) {
	a := result(time.Second, 1, time.Millisecond, time.Millisecond, 3*time.Millisecond)
	b := result(3*time.Second, 0, 10*time.Millisecond)
	c := Combine(a, b)
	tests := []struct {
		name      string
		got, want any
	}{
		{"requests", c.Requests, int64(4)},
		{"errors", c.Errors, int64(1)},
		{"errors by status", c.ErrorsByStatus["500"], int64(1)},
		{"by op", c.ByOp["lookup"], int64(4)},
		{"seconds", c.Seconds, 4.0},
		{"throughput: all requests over all time, not a mean of rates", c.Throughput, 1.0},
		{"max from either", c.Max > 9*time.Millisecond, true},
		{"p50 from the merged histogram", c.P50 < 2*time.Millisecond, true},
		{"inputs untouched", a.Requests, int64(3)},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if z := Combine(); z.Requests != 0 {
		t.Errorf("Combine() = %+v", z)
	}
}
