package load

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsContiguous(t *testing.T) {
	// Every bucket's highest value is one below the next bucket's lowest.
	prev := -1
	for _, v := range []int64{0, 1, 255, 256, 257, 511, 512, 1 << 20, 1<<20 + 12345, 1 << 40, 1<<62 + 1, 1<<63 - 1} {
		i := bucketOf(v)
		if i < 0 || i >= buckets {
			t.Fatalf("bucketOf(%d) = %d out of range", v, i)
		}
		if highest(i) < v {
			t.Errorf("highest(bucketOf(%d)) = %d < value", v, highest(i))
		}
		if i > 0 && highest(i-1) >= v {
			t.Errorf("bucket %d below %d's bucket already holds %d", i-1, v, highest(i-1))
		}
		if i < prev {
			t.Errorf("bucketOf not monotonic at %d", v)
		}
		prev = i
	}
}

func TestPercentilesOfKnownDistribution(t *testing.T) {
	// 1..100000 µs uniformly: the p-th percentile is p·1000 µs.
	var h Histogram
	for i := 1; i <= 100_000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, p := range []float64{50, 90, 99, 99.9} {
		want := time.Duration(p*1000) * time.Microsecond
		got := h.Percentile(p)
		if err := float64(got-want) / float64(want); err < 0 || err > 1.0/subCount {
			t.Errorf("p%v = %v, want %v within +%.2f%%", p, got, want, 100.0/subCount)
		}
	}
	if h.Max() != 100*time.Millisecond || h.Min() != time.Microsecond || h.Count() != 100_000 {
		t.Errorf("max %v min %v count %d", h.Max(), h.Min(), h.Count())
	}
	if h.Percentile(100) != h.Max() {
		t.Errorf("p100 %v != max %v", h.Percentile(100), h.Max())
	}
}

func TestPercentilesRandomAgainstSort(t *testing.T) {
	// Log-normal-ish latencies, merged from several workers, against the
	// exact percentile of the sorted sample.
	r := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	var total Histogram
	for range 8 {
		var h Histogram
		for range 10_000 {
			d := time.Duration(r.ExpFloat64() * r.ExpFloat64() * float64(200*time.Microsecond))
			h.Record(d)
			all = append(all, d)
		}
		total.Merge(&h)
	}
	slices.Sort(all)
	for _, p := range []float64{50, 90, 99} {
		exact := all[int(p/100*float64(len(all)))-1]
		got := total.Percentile(p)
		if rel := float64(got-exact) / float64(exact); rel < -0.001 || rel > 1.0/subCount+0.001 {
			t.Errorf("p%v = %v, exact %v (rel %.4f)", p, got, exact, rel)
		}
	}
	if total.Max() != all[len(all)-1] {
		t.Errorf("max %v, want %v", total.Max(), all[len(all)-1])
	}
}

func TestEmpty(t *testing.T) {
	var h Histogram
	if h.Percentile(50) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Error("empty histogram should report zeros")
	}
}
