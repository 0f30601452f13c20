package inspect_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimharness/scimharness/certify/inspect"
	"github.com/scimharness/scimharness/internal/browsertest"
)

type row struct {
	Method string   `json:"method"`
	Path   string   `json:"path"`
	Grade  string   `json:"grade"`
	Rules  []string `json:"rules"`
}

const rowsJS = `Array.from(document.querySelectorAll('#rows tr')).map(r => ({
	method: r.dataset.method, path: r.dataset.path, grade: r.dataset.grade,
	rules: Array.from(r.querySelectorAll('li')).map(l => l.dataset.rule)}))`

// TestInspectorInHeadlessChromium drives the page as a person does: open
// /_harness/, enter the token once, watch requests appear with their grades.
func TestInspectorInHeadlessChromium(t *testing.T) {
	bin := browsertest.Chromium(t)
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	s := newStack(t, inspect.Options{})

	bctx := browsertest.Context(t, bin, 1360, 760)

	err := chromedp.Do(bctx,
		chromedp.Navigate(s.ts.URL+"/_harness/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SetValue(chromedp.ID("tenant"), "default"),
		chromedp.SendKeys(chromedp.ID("token"), tokDefault),
		chromedp.Click(chromedp.ID("watch")),
		chromedp.WaitVisible(chromedp.ID("view")),
		void(chromedp.Poll[bool](`document.getElementById('status').textContent === 'live'`, chromedp.WithPollingTimeout(5*time.Second))),
	)
	if err != nil {
		t.Fatalf("opening the inspector in %s: %v", bin, err)
	}

	// What an IdP's "provision on demand" sends, more or less.
	s.scim(t, http.MethodGet, "/scim/v2/Users?filter="+"userName%20eq%20%22alice%40example.com%22", tokDefault, "")
	s.scim(t, http.MethodPost, "/scim/v2/Users", tokDefault, userBody)
	s.scim(t, http.MethodPatch, "/scim/v2/Users/2819c223-7f76-453a-919d-413861904646", tokDefault, replaceOp)
	s.scim(t, http.MethodGet, badFilter, tokDefault, "")
	s.scim(t, http.MethodGet, "/t/acme/scim/v2/Users", tokAcme, "") // another tenant: not shown

	var rows []row
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		if rows, err = chromedp.Run(bctx, chromedp.Evaluate[[]row](rowsJS)); err != nil {
			t.Fatal(err)
		}
		if len(rows) >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(rows) != 4 {
		t.Fatalf("the page shows %d rows within 5s, want 4: %+v", len(rows), rows)
	}
	// Newest first.
	want := []struct{ method, grade, rule string }{
		{"GET", "violation", "filter-syntax"},
		{"PATCH", "quirk", "patch-op-case"},
		{"POST", "ok", ""},
		{"GET", "ok", ""},
	}
	for i, w := range want {
		r := rows[i]
		if r.Method != w.method || r.Grade != w.grade || (w.rule != "" && !contains(r.Rules, w.rule)) || strings.HasPrefix(r.Path, "/t/acme") {
			t.Errorf("row %d: %+v, want %s graded %s (%s)", i, r, w.method, w.grade, w.rule)
		}
	}

	html, err := chromedp.Run(bctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := chromedp.Run(bctx, chromedp.Evaluate[string](`sessionStorage.getItem('scimharness.token') || ''`))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{tokDefault, tokAcme, "hunter2"} {
		if strings.Contains(html, secret) {
			t.Errorf("the page's DOM holds %q", secret)
		}
	}
	if stored != tokDefault {
		t.Errorf("sessionStorage token %q: the page should keep it for the tab", stored)
	}

	time.Sleep(1100 * time.Millisecond) // let the new rows' highlight fade
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(screenshotPath(), png, 0o644); err != nil {
		t.Logf("screenshot: %v", err)
	}

	// A reload asks for nothing and replays the tenant's recent requests.
	err = chromedp.Do(bctx,
		chromedp.Reload(),
		void(chromedp.Poll[bool](`document.querySelectorAll('#rows tr').length === 4`, chromedp.WithPollingTimeout(5*time.Second))),
	)
	if err == nil {
		rows, err = chromedp.Run(bctx, chromedp.Evaluate[[]row](rowsJS))
	}
	if err != nil {
		t.Fatalf("after a reload: %v (rows %+v)", err, rows)
	}
	if rows[0].Grade != "violation" || rows[1].Grade != "quirk" {
		t.Errorf("after a reload: %+v", rows)
	}
}

func screenshotPath() string {
	if p := os.Getenv("SCIM_INSPECTOR_SCREENSHOT"); p != "" {
		return p
	}
	return os.TempDir() + "/inspector.png"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// void drops an action's value, for chromedp.Do.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}
