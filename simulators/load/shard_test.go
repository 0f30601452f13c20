package load_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/scimharness/scimharness/server/servertest"
	"github.com/scimharness/scimharness/simulators/load"
)

// TestThreeShardsMerge: three generators on loopback, --shard 1/3 … 3/3 of
// one run, against one reference server: their prefixes are disjoint (none
// collides, everything is deleted), their --json results round-trip with
// the histogram, and the merge is exact — its request count and latency
// histogram are the sum of the shards', its throughput their sum.
func TestThreeShardsMerge(t *testing.T) {
	srv, err := servertest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	results := make([]*load.Result, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh := load.Shard{I: i + 1, N: 3}
			res, err := load.Run(context.Background(), load.Options{
				URL: srv.URL, Token: srv.Token, Concurrency: 2, Requests: 60,
				Mix: load.DefaultMix, Prefix: sh.Prefix("scimh-shardtest"), Engine: load.EngineNetHTTP, Timeout: 10 * time.Second,
			})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = res
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var read []*load.Result
	var requests, created, deleted int64
	var throughput float64
	for i, r := range results {
		if r.Errors > 0 || len(r.CleanupErrors) > 0 || r.Created != r.Deleted {
			t.Errorf("shard %d: %d errors, cleanup %v, %d created, %d deleted", i+1, r.Errors, r.CleanupErrors, r.Created, r.Deleted)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back load.Result
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Requests != r.Requests || back.P99 != r.P99 || back.Max != r.Max {
			t.Errorf("shard %d: the JSON round trip changed the figures: %d/%v/%v, was %d/%v/%v", i+1, back.Requests, back.P99, back.Max, r.Requests, r.P99, r.Max)
		}
		read = append(read, &back)
		requests += r.Requests
		created += r.Created
		deleted += r.Deleted
		throughput += r.Throughput
	}
	m, err := load.Merge(read...)
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != requests || m.Created != created || m.Deleted != deleted {
		t.Errorf("merged %d requests, %d created, %d deleted; the shards %d, %d, %d", m.Requests, m.Created, m.Deleted, requests, created, deleted)
	}
	if d := m.Throughput - throughput; d > 1e-9 || d < -1e-9 {
		t.Errorf("merged throughput %f, the shards' sum %f", m.Throughput, throughput)
	}
	// Exact: the merge of the read-back histograms equals the merge of the
	// shards' own (Combine merges the in-memory ones).
	inMemory := load.Combine(results...)
	if m.P50 != inMemory.P50 || m.P99 != inMemory.P99 || m.Max != inMemory.Max {
		t.Errorf("merged p50/p99/max %v/%v/%v, from the shards' own histograms %v/%v/%v", m.P50, m.P99, m.Max, inMemory.P50, inMemory.P99, inMemory.Max)
	}
	// Nothing of any shard is left on the server.
	for _, ep := range []string{"/Users?filter=userName+sw+%22scimh-shardtest%22", "/Groups?filter=displayName+sw+%22scimh-shardtest%22"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+ep, nil)
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ TotalResults int }
		json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if list.TotalResults != 0 {
			t.Errorf("%s: %d resources left", ep, list.TotalResults)
		}
	}
}

func TestParseShard(t *testing.T) {
	for in, ok := range map[string]bool{"1/3": true, "3/3": true, "0/3": false, "4/3": false, "a/b": false, "2": false, "1/0": false} {
		if _, err := load.ParseShard(in); (err == nil) != ok {
			t.Errorf("ParseShard(%q): %v", in, err)
		}
	}
	if p := (load.Shard{I: 2, N: 3}).Prefix("scimh-x"); p != "scimh-x-2of3" {
		t.Errorf("prefix %q", p)
	}
}
