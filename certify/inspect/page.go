package inspect

import (
	_ "embed"
	"net/http"
)

//go:embed page.html
var pageHTML []byte

// csp allows the page's own inline style and script and requests to this
// origin, nothing else.
const csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (in *Inspector) page(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	_, _ = w.Write(pageHTML)
}
