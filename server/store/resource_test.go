package store

import (
	"errors"
	"reflect"
	"testing"
)

// Loaded reads Doc through Load only when Doc is nil, once, and passes on
// Load's error.
func TestResourceLoaded(t *testing.T) {
	doc := map[string]any{"userName": "bjensen"}
	calls := 0
	lazy := Resource{ID: "1", Version: 2, Load: func() (map[string]any, error) { calls++; return doc, nil }}
	got, err := lazy.Loaded()
	if err != nil || calls != 1 || got.Load != nil || !reflect.DeepEqual(got, Resource{ID: "1", Version: 2, Doc: doc}) {
		t.Errorf("lazy: %+v, %v, %d calls", got, err, calls)
	}
	eager := Resource{ID: "1", Version: 2, Doc: doc, Load: func() (map[string]any, error) { calls++; return nil, nil }}
	if got, err := eager.Loaded(); err != nil || calls != 1 || !reflect.DeepEqual(got.Doc, doc) {
		t.Errorf("with a Doc: %+v, %v, Load called", got, err)
	}
	plain := Resource{ID: "1"}
	if got, err := plain.Loaded(); err != nil || got.Doc != nil {
		t.Errorf("neither: %+v, %v", got, err)
	}
	boom := errors.New("boom")
	failing := Resource{ID: "1", Load: func() (map[string]any, error) { return nil, boom }}
	if _, err := failing.Loaded(); !errors.Is(err, boom) {
		t.Errorf("failing Load: %v", err)
	}
}
