package patch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/scimharness/scimharness/server/schema"
)

// TestConsecutiveAdds: the key set one add leaves for the next (issue 14
// #10, the 19-second PATCH) gives the answer a fresh one would: a value is
// never added twice, and one changed or removed in between by another
// operation is added again.
func TestConsecutiveAdds(t *testing.T) {
	groups := resourceType(t, "Group")
	cases := []struct {
		name string
		ops  string
		want []string
	}{
		{"the same member twice", `[
			{"op":"add","path":"members","value":[{"value":"u4"}]},
			{"op":"add","path":"members","value":[{"value":"u4"}]}]`, []string{"u1", "u2", "u3", "u4"}},
		{"an existing member again", `[
			{"op":"add","path":"members","value":[{"value":"u5"}]},
			{"op":"add","path":"members","value":[{"value":"u1"}]}]`, []string{"u1", "u2", "u3", "u5"}},
		{"removed in between", `[
			{"op":"add","path":"members","value":[{"value":"u4"}]},
			{"op":"remove","path":"members[value eq \"u4\"]"},
			{"op":"add","path":"members","value":[{"value":"u4"}]}]`, []string{"u1", "u2", "u3", "u4"}},
		{"removed last then re-added", `[
			{"op":"add","path":"members","value":[{"value":"u4"}]},
			{"op":"remove","path":"members[value eq \"u1\"]"},
			{"op":"add","path":"members","value":[{"value":"u1"}]}]`, []string{"u2", "u3", "u4", "u1"}},
		{"replaced in between", `[
			{"op":"add","path":"members","value":[{"value":"u4"}]},
			{"op":"replace","path":"members","value":[{"value":"u9"}]},
			{"op":"add","path":"members","value":[{"value":"u4"}]}]`, []string{"u9", "u4"}},
		{"path-less add in between", `[
			{"op":"add","path":"members","value":[{"value":"u4"}]},
			{"op":"add","value":{"members":[{"value":"u6"}]}},
			{"op":"add","path":"members","value":[{"value":"u6"},{"value":"u7"}]}]`, []string{"u1", "u2", "u3", "u4", "u6", "u7"}},
		{"value case differs", `[
			{"op":"add","path":"members","value":[{"value":"x1"}]},
			{"op":"add","path":"members","value":[{"value":"X1"}]}]`, []string{"u1", "u2", "u3", "x1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ops, err := parse(t, body(c.ops))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Apply(groups, canonical(t, groups, baseGroup), ops)
			if err != nil {
				t.Fatal(err)
			}
			var values []string
			for _, m := range got["members"].([]any) {
				values = append(values, fmt.Sprint(m.(map[string]any)["value"]))
			}
			if !slices.Equal(values, c.want) {
				t.Fatalf("members %v, want %v", values, c.want)
			}
		})
	}
}

// TestApplyStopsWhenCancelled: a PATCH whose client has left (its context
// ended) stops before its next operation, with an error that answers 503.
func TestApplyStopsWhenCancelled(t *testing.T) {
	groups := resourceType(t, "Group")
	ops, err := parse(t, body(`[{"op":"add","path":"members","value":[{"value":"u4"}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, _, err := ApplyContext(ctx, groups, canonical(t, groups, baseGroup), ops, schema.Options{})
	if got != nil || !errors.Is(err, context.Canceled) || !errors.Is(err, schema.ErrUnavailable) {
		t.Fatalf("got %v, %v; want no document and an error wrapping context.Canceled and ErrUnavailable", got, err)
	}
}
