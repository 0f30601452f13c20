package server_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server"
)

// TestOversizedBodyWrittenBeforeReading sends a body far over the limit the
// way Python's urllib and many IdP stacks do: the whole body first, the
// response only after. The server must answer 413 with a SCIM error body
// (RFC 7644 §3.12) that the client can read, not reset the connection
// under it; it reads and discards a bounded amount to let the client finish.
func TestOversizedBodyWrittenBeforeReading(t *testing.T) {
	const limit = 1 << 20 // the default of --max-body-bytes
	ts := newServer(t, func(c *server.Config) { c.MaxBodyBytes = limit })
	u, _ := url.Parse(ts.URL)
	for _, size := range []int{2 * limit, 12 * limit} {
		t.Run(fmt.Sprintf("%dx", size/limit), func(t *testing.T) {
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			body := `{"schemas":["` + scim.UserURN + `"],"userName":"` + strings.Repeat("a", size) + `"}`
			head := "POST /scim/v2/Users HTTP/1.1\r\nHost: " + u.Host + "\r\nAuthorization: Bearer " + defaultToken +
				"\r\nContent-Type: application/scim+json\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n"
			if _, err := io.WriteString(conn, head+body); err != nil {
				t.Fatalf("writing the request: %v (the server reset the connection before the client could read its answer)", err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("reading the response: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", resp.StatusCode)
			}
			var e struct {
				Schemas []string `json:"schemas"`
				Status  string   `json:"status"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("413 body: %v", err)
			}
			if len(e.Schemas) != 1 || e.Schemas[0] != scim.ErrorURN || e.Status != "413" {
				t.Fatalf("413 body is not a SCIM error: %+v", e)
			}
		})
	}
}

// TestOversizedBodyDiscardIsBounded: the discarding of an oversized body
// stops (the connection is closed) well before a client that keeps sending
// is done, so no request makes the server read without end.
func TestOversizedBodyDiscardIsBounded(t *testing.T) {
	ts := newServer(t, func(c *server.Config) { c.MaxBodyBytes = 1 << 10 })
	u, _ := url.Parse(ts.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	const claimed = 1 << 30
	head := "POST /scim/v2/Users HTTP/1.1\r\nHost: " + u.Host + "\r\nAuthorization: Bearer " + defaultToken +
		"\r\nContent-Type: application/scim+json\r\nContent-Length: " + fmt.Sprint(claimed) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	chunk := []byte(strings.Repeat("a", 64<<10))
	sent := 0
	for sent < 256<<20 {
		n, err := conn.Write(chunk)
		sent += n
		if err != nil {
			return // closed after a bounded discard
		}
	}
	t.Fatalf("the server read %d bytes of a body over a 1 KiB limit without closing", sent)
}
