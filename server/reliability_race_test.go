package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/store"
)

// The race tests of issue 9: run them under -race. Each runs through HTTP
// over both stores.

// TestRaceCreateSameUserName: 100 concurrent POSTs of one userName (in
// varying case) give exactly one 201 and 99 × 409 uniqueness, and one user.
func TestRaceCreateSameUserName(t *testing.T) {
	const n = 100
	forEachStore(t, func(t *testing.T, st store.Store) {
		c := relServer(t, st)
		var created, conflicts atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				name := "racer@example.com"
				if i%2 == 1 {
					name = "RACER@example.com"
				}
				r := c.do("POST", "/Users", js(obj{"schemas": []any{scim.UserURN}, "userName": name, "externalId": strconv.Itoa(i)}))
				switch {
				case r.Status == http.StatusCreated:
					created.Add(1)
				case r.Status == http.StatusConflict && str(r.Body, "scimType") == "uniqueness":
					conflicts.Add(1)
				default:
					t.Errorf("POST %d: status %d: %s", i, r.Status, r.Raw)
				}
			}()
		}
		close(start)
		wg.Wait()
		if created.Load() != 1 || conflicts.Load() != n-1 {
			t.Errorf("%d × 201 and %d × 409, want 1 and %d", created.Load(), conflicts.Load(), n-1)
		}
		if got := c.filterUserNames(`userName eq "racer@example.com"`); len(got) != 1 {
			t.Errorf("users named racer@example.com: %q, want one", got)
		}
		if tot := c.total("/Users"); tot != 1 {
			t.Errorf("%d users, want 1", tot)
		}
		checkAllValid(t, c, "after the create race")
	})
}

// TestRaceIfMatchCounter: workers increment a counter attribute
// (enterprise employeeNumber) by read-modify-write with If-Match, retrying
// on 412. No update may be lost: the final value is the number of PATCHes
// that succeeded, and every success saw a distinct previous value.
func TestRaceIfMatchCounter(t *testing.T) {
	const workers, each = 8, 8
	forEachStore(t, func(t *testing.T, st store.Store) {
		c := relServer(t, st)
		id := str(c.createUser("counter", obj{"schemas": []any{scim.UserURN, scim.EnterpriseUserURN},
			scim.EnterpriseUserURN: obj{"employeeNumber": "0"}}), "id")
		var successes, retries atomic.Int64
		var mu sync.Mutex
		seen := map[int]bool{}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for done := 0; done < each; {
					r := c.do("GET", "/Users/"+id, "")
					if r.Status != http.StatusOK {
						t.Errorf("worker %d: GET: status %d: %s", w, r.Status, r.Raw)
						return
					}
					n, err := strconv.Atoi(str(r.Body, scim.EnterpriseUserURN, "employeeNumber"))
					if err != nil {
						t.Errorf("worker %d: employeeNumber: %v: %s", w, err, r.Raw)
						return
					}
					p := c.do("PATCH", "/Users/"+id, patchBody(obj{"op": "replace",
						"path": scim.EnterpriseUserURN + ":employeeNumber", "value": strconv.Itoa(n + 1)}),
						"If-Match", r.Header.Get("ETag"))
					switch p.Status {
					case http.StatusOK, http.StatusNoContent:
						successes.Add(1)
						done++
						mu.Lock()
						if seen[n] {
							t.Errorf("two PATCHes both succeeded from counter value %d: an update was lost", n)
						}
						seen[n] = true
						mu.Unlock()
					case http.StatusPreconditionFailed:
						retries.Add(1)
					default:
						t.Errorf("worker %d: PATCH: status %d: %s", w, p.Status, p.Raw)
						return
					}
				}
			}()
		}
		wg.Wait()
		final, _ := strconv.Atoi(str(c.mustGet("/Users/"+id), scim.EnterpriseUserURN, "employeeNumber"))
		if int64(final) != successes.Load() || final != workers*each {
			t.Errorf("counter %d after %d successful PATCHes (want %d)", final, successes.Load(), workers*each)
		}
		t.Logf("%d successful If-Match PATCHes, %d retried after 412, counter %d", successes.Load(), retries.Load(), final)
		checkAllValid(t, c, "after the If-Match race")
	})
}

// TestRaceGroupMembership: concurrent PATCHes add and remove members of one
// group (each form IdPs send: Entra's add, its unflagged remove with a
// value, the filtered remove; Okta's remove+add in one PATCH) and the final
// membership is exactly what they add up to.
func TestRaceGroupMembership(t *testing.T) {
	const users = 60
	forEachStore(t, func(t *testing.T, st store.Store) {
		c := relServer(t, st)
		ids := make([]string, users)
		for i := range ids {
			ids[i] = str(c.createUser(fmt.Sprintf("m%02d", i), nil), "id")
		}
		// Members 0..29 at the start; 0..9 removed with a value, 10..19
		// removed with a filter, 20..29 kept; 30..59 added (each twice, at
		// once); 30..34 also swapped out for 0..4's re-add in one
		// remove+add PATCH (Okta), so 0..4 end as members and 30..34 not.
		gid := str(c.createGroup("racers", ids[:30]...), "id")
		want := map[string]bool{}
		for i := 20; i < 60; i++ {
			want[ids[i]] = true
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		send := func(ops ...obj) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := c.patch("/Groups/"+gid, ops...)
				if r.Status != http.StatusOK && r.Status != http.StatusNoContent {
					t.Errorf("PATCH %s: status %d: %s", patchBody(ops...), r.Status, r.Raw)
				}
			}()
		}
		for i := range 10 {
			send(obj{"op": "Remove", "path": "members", "value": []any{obj{"value": ids[i]}}})
		}
		for i := 10; i < 20; i++ {
			send(obj{"op": "remove", "path": `members[value eq "` + ids[i] + `"]`})
		}
		for i := 30; i < 60; i++ {
			send(obj{"op": "Add", "path": "members", "value": []any{obj{"$ref": nil, "value": ids[i]}}})
			send(obj{"op": "add", "path": "members", "value": []any{obj{"value": ids[i]}}})
		}
		close(start)
		wg.Wait()
		// The swaps run after the removals of 0..4 are done, so their
		// outcome is defined: 0..4 back in, 30..34 never in.
		start = make(chan struct{})
		for i := range 5 {
			send(obj{"op": "remove", "path": `members[value eq "` + ids[30+i] + `"]`},
				obj{"op": "add", "path": "members", "value": []any{obj{"value": ids[i]}}})
			delete(want, ids[30+i])
			want[ids[i]] = true
		}
		close(start)
		wg.Wait()
		var wantIDs []string
		for id := range want {
			wantIDs = append(wantIDs, id)
		}
		got := memberIDs(c.mustGet("/Groups/" + gid))
		if !slices.Equal(got, sorted(wantIDs)) {
			t.Errorf("members: got %d %v\nwant %d %v", len(got), got, len(wantIDs), sorted(wantIDs))
		}
		// User.groups is derived from the same membership.
		for i, id := range ids {
			in := len(asSlice(c.mustGet("/Users/" + id)["groups"])) == 1
			if in != want[id] {
				t.Errorf("user m%02d: in the group per User.groups = %v, want %v", i, in, want[id])
			}
		}
		checkAllValid(t, c, "after the membership race")
	})
}
