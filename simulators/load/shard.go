package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A team that needs more load than one machine gives runs `load` on several
// machines, each with --shard i/N, and merges their --json results: the
// shards' prefixes (and so their users and groups) are disjoint, and each
// result carries its latency histogram, so that the merged percentiles are
// exactly those of all the requests, not an average of percentiles.

// Shard is one of N cooperating generators, numbered from 1.
type Shard struct{ I, N int }

// ParseShard reads "i/N" (1 ≤ i ≤ N).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: want i/N with 1 ≤ i ≤ N, e.g. 2/3", s)
	}
	return Shard{I: i, N: n}, nil
}

// Prefix is the shard's own prefix under the run's: runs of the shards
// never touch each other's resources.
func (s Shard) Prefix(prefix string) string {
	if s.N <= 1 {
		return prefix
	}
	return fmt.Sprintf("%s-%dof%d", prefix, s.I, s.N)
}

// Merge merges the results of shards that ran at the same time on several
// machines: requests, errors, resources and histograms add up; the
// throughput is the sum of the shards' (each over its own measured time);
// the duration is the longest shard's. Every result must carry its
// histogram (the --json of `load` does).
func Merge(rs ...*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, errors.New("load: nothing to merge")
	}
	out, h := sumOf(rs)
	out.Concurrency, out.Rate = 0, 0
	var longest time.Duration
	var throughput float64
	for i, r := range rs {
		if r.hist == nil {
			return nil, fmt.Errorf("load: result %d has no latency histogram (written by an older scimharness?)", i+1)
		}
		h.Merge(r.hist)
		longest = max(longest, r.Duration)
		throughput += r.Throughput
		out.Concurrency += r.Concurrency
		out.Rate += r.Rate
	}
	out.summarise(longest)
	out.Throughput = throughput
	out.Prefix = ""
	return out, nil
}

// histogramJSON is a Histogram as JSON: its non-empty buckets only.
type histogramJSON struct {
	Buckets map[string]uint64 `json:"buckets"`
	N       uint64            `json:"n"`
	Min     int64             `json:"minNs"`
	Max     int64             `json:"maxNs"`
	Sum     float64           `json:"sumNs"`
}

// MarshalJSON writes the histogram's non-empty buckets, so that merged
// results are exact.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	j := histogramJSON{Buckets: map[string]uint64{}, N: h.n, Min: h.min, Max: h.max, Sum: h.sum}
	for i, c := range h.counts {
		if c > 0 {
			j.Buckets[strconv.Itoa(i)] = c
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote, refusing buckets out of range
// or counts that do not add up.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histogramJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*h = Histogram{n: j.N, min: j.Min, max: j.Max, sum: j.Sum}
	var total uint64
	for k, c := range j.Buckets {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= buckets {
			return fmt.Errorf("load: histogram bucket %q out of range", k)
		}
		h.counts[i] = c
		total += c
	}
	if total != j.N {
		return fmt.Errorf("load: histogram counts add up to %d, not %d", total, j.N)
	}
	return nil
}
