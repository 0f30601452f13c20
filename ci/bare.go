//go:build ignore

// Command bare is the floor of ci/bench.sh's comparison with an external
// generator (wrk): a net/http handler that does nothing but write a fixed
// one-user ListResponse, the same bytes as the bare handler of scimharness
// load --serve-fixture (simulators/load/fixture.go) and server/bench_test.go,
// in a process of its own so that wrk can drive it as it drives
// `scimharness serve`. It listens on 127.0.0.1 only and prints
// "url=http://127.0.0.1:PORT/scim/v2" on stderr once it accepts connections.
//
//	go build -o bare ci/bare.go && ./bare
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

var listResponse = []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"2819c223-7f76-453a-919d-413861904646","userName":"user50000@example.com"}]}`)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "url=http://%s/scim/v2\n", ln.Addr())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Write(listResponse)
	})
	log.Fatal((&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln))
}
