// Package browsertest opens a headless Chromium for the tests that look at
// a page as a person would (the live inspector, the HTML report), driven by
// chromedp. Without a Chromium binary such a test skips — unless
// SCIM_REQUIRE_BROWSER=1 (CI), then it fails.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium finds a Chromium binary: $SCIM_CHROMIUM, else chromium,
// chromium-browser, google-chrome or headless-shell on PATH.
func Chromium(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("SCIM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium binary (chromium, chromium-browser, google-chrome or headless-shell on PATH, or $SCIM_CHROMIUM); install it with ci/chromium.sh (Debian: apt-get install chromium)"
	if os.Getenv("SCIM_REQUIRE_BROWSER") == "1" {
		tb.Fatal(msg + "; SCIM_REQUIRE_BROWSER=1 requires the browser test")
	}
	tb.Skip(msg)
	return ""
}

// Context is a chromedp context on a headless Chromium (bin, from
// [Chromium]) with a window of width×height, bounded to a minute and closed
// when the test ends.
func Context(tb testing.TB, bin string, width, height int) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	tb.Cleanup(func() { bcancel(); acancel(); cancel() })
	return bctx
}
