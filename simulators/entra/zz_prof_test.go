package entra_test

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/scimharness/scimharness/simulators/client"
	"github.com/scimharness/scimharness/simulators/entra"
	"github.com/scimharness/scimharness/simulators/scenario"
)

func TestZZProfExternal(t *testing.T) {
	url := os.Getenv("PROF_URL")
	if url == "" {
		t.Skip()
	}
	conc, _ := strconv.Atoi(os.Getenv("PROF_CONC"))
	c, err := client.New(entra.ClientConfig(client.Config{BaseURL: url, Token: "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	var peak, peakLive uint64
	t0 := time.Now()
	stop := make(chan bool)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			if ms.NextGC > peakLive {
				peakLive = ms.NextGC
				t.Logf("NextGC %d MB at %v", ms.NextGC>>20, time.Since(t0))
			}
		}
	}()
	if os.Getenv("PROF_HEAP") != "" {
		go func() {
			time.Sleep(2 * time.Second)
			f, _ := os.Create("/tmp/prof/heapmid.out")
			pprof.WriteHeapProfile(f)
			f.Close()
		}()
	}
	out := entra.Provision(context.Background(), c, entra.Options{Users: 10000, Groups: 100, Cycle: entra.CycleInitial, Concurrency: conc}, scenario.Options{Evidence: scenario.EvidenceProblems})
	close(stop)
	t.Logf("peak heap inuse %d MB, peak NextGC %d MB", peak>>20, peakLive>>20)
	t.Log(out.Timing.String(), len(out.Results))
	runtime.GC()
	f, _ := os.Create("/tmp/prof/heap.out")
	pprof.WriteHeapProfile(f)
	f.Close()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("heap inuse %d MB, numGC %d, pause total %v", ms.HeapInuse>>20, ms.NumGC, ms.PauseTotalNs/1e6)
	runtime.KeepAlive(out)
}
