package report_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scimharness/scimharness/harness/report"
	"github.com/scimharness/scimharness/internal/browsertest"
)

type box struct {
	Top    float64 `json:"top"`
	Bottom float64 `json:"bottom"`
}

const boxJS = `(sel => { const e = document.querySelector(sel); if (!e) return {top: -1, bottom: -1}; const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; })`

// visibleJS lists the ids of the scenarios shown (not display: none).
const visibleJS = `Array.from(document.querySelectorAll('tbody.sc')).filter(e => getComputedStyle(e).display !== 'none').map(e => e.id)`

// TestReportInHeadlessChromium opens a failed run of 101 checks as a
// person does, at 1280×900: the verdict and the table of failures are on
// the first screen, "only problems" is on and shows the one failing check
// alone, every in-page link has its anchor, every RFC link is well formed,
// and the filters hide what they should. SCIM_REPORT_SCREENSHOT=FILE
// keeps a screenshot of the first screen.
func TestReportInHeadlessChromium(t *testing.T) {
	bin := browsertest.Chromium(t)
	if testing.Short() {
		t.Skip("browser test skipped with -short")
	}
	page := render(t, report.WriteHTML, longFailedReport())
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	defer ts.Close()

	bctx := browsertest.Context(t, bin, 1280, 900)

	if err := chromedp.Do(bctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(ts.URL+"/report.html"),
		chromedp.WaitReady(chromedp.CSS("#summary")),
	); err != nil {
		t.Fatalf("opening the report in %s: %v", bin, err)
	}
	viewport := eval[float64](t, bctx, `window.innerHeight`)
	verdict := eval[box](t, bctx, boxJS+`('#verdict')`)
	tallySteps := eval[box](t, bctx, boxJS+`('#tally-steps')`)
	failed := eval[box](t, bctx, boxJS+`('#failed')`)
	firstFailure := eval[box](t, bctx, boxJS+`('#failed tbody tr')`)
	visible := eval[[]string](t, bctx, visibleJS)
	broken := eval[[]string](t, bctx, `Array.from(document.querySelectorAll('a[href^="#"]')).map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))`)
	rfc := eval[[]string](t, bctx, `Array.from(document.querySelectorAll('a.rfc')).map(a => a.href)`)
	shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if f := os.Getenv("SCIM_REPORT_SCREENSHOT"); f != "" {
		if err := os.WriteFile(f, shot, 0o644); err != nil {
			t.Error(err)
		}
	}
	if viewport != 900 {
		t.Fatalf("viewport height %v, want 900", viewport)
	}
	for name, b := range map[string]box{"verdict": verdict, "steps count": tallySteps, "failed table": failed, "the failing check's row": firstFailure} {
		if b.Top < 0 || b.Bottom > 900 {
			t.Errorf("%s at %v–%v px, not within the first screen (900 px)", name, b.Top, b.Bottom)
		}
	}
	if len(visible) != 1 || visible[0] != "c-filter-eq-is-case-insensitive" {
		t.Errorf("with only problems on, the scenarios shown are %d (%v…), want the failing one alone", len(visible), visible[:min(3, len(visible))])
	}
	if len(broken) > 0 {
		t.Errorf("%d in-page links without an anchor: %v…", len(broken), broken[:min(5, len(broken))])
	}
	well := regexp.MustCompile(`^https://www\.rfc-editor\.org/rfc/rfc\d{4}(#(section-\d+(\.\d+)*|appendix-[A-Z](\.\d+)*))?$`)
	if len(rfc) == 0 {
		t.Error("no RFC link")
	}
	for _, u := range rfc {
		if !well.MatchString(u) {
			t.Errorf("malformed RFC link %q", u)
		}
	}

	// Following the table's link lands on the failing check.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#failed tbody a`)), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if hash := eval[string](t, bctx, `location.hash`); hash != "#c-filter-eq-is-case-insensitive" {
		t.Errorf("the table's link went to %q", hash)
	}
	if target := eval[box](t, bctx, boxJS+`('#c-filter-eq-is-case-insensitive')`); target.Top < 0 || target.Bottom > 900 {
		t.Errorf("after following the link the failing check is at %v–%v px, not on the screen", target.Top, target.Bottom)
	}

	// Filters: everything, then one area, then one profile.
	click := func(sel string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("clicking %s: %v", sel, err)
		}
	}
	click(`label[for="only-problems"]`)
	all := eval[[]string](t, bctx, visibleJS)
	click(`label[for="f-area-crud"]`)
	crud := eval[[]string](t, bctx, visibleJS)
	click(`label[for="f-profile-entra"]`)
	entra := eval[[]string](t, bctx, visibleJS)
	if len(all) != 101 {
		t.Errorf("only problems off: %d scenarios shown, want 101", len(all))
	}
	if len(crud) != 20 {
		t.Errorf("area crud: %d scenarios shown, want 20", len(crud))
	}
	if len(entra) != 7 { // crud/check-0, -15, -30, -45, -60, -75, -90
		t.Errorf("area crud and profile entra: %d scenarios shown (%v), want 7", len(entra), entra)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}
