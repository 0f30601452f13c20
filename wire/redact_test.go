package wire

import (
	"bytes"
	"net/http"
	"testing"
)

func TestRedactJSON(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"keeps order and layout", `{"userName":"a", "password" : "p1",
 "schemas":[]}`, `{"userName":"a", "password" : "[REDACTED]",
 "schemas":[]}`},
		{"any depth and case", `{"a":[{"b":{"Access_Token":"x","n":1}}]}`, `{"a":[{"b":{"Access_Token":"[REDACTED]","n":1}}]}`},
		{"non-string values", `{"token":{"nested":"x"},"secret":12345,"z":true}`, `{"token":"[REDACTED]","secret":"[REDACTED]","z":true}`},
		{"null is not a secret", `{"password":null}`, `{"password":null}`},
		{"urn and dotted keys", `{"urn:ietf:params:scim:schemas:core:2.0:User:password":"x","a.password":"y"}`, `{"urn:ietf:params:scim:schemas:core:2.0:User:password":"[REDACTED]","a.password":"[REDACTED]"}`},
		{"patch value of a password path", `{"Operations":[{"value":"x","op":"replace","path":"password"},{"op":"replace","path":"displayName","value":"ok"}]}`, `{"Operations":[{"value":"[REDACTED]","op":"replace","path":"password"},{"op":"replace","path":"displayName","value":"ok"}]}`},
		{"path-less patch", `{"Operations":[{"op":"replace","value":{"password":"x","active":false}}]}`, `{"Operations":[{"op":"replace","value":{"password":"[REDACTED]","active":false}}]}`},
		{"token response", `{"access_token":"eyJ.x.y","token_type":"bearer","expires_in":3600,"refresh_token":"r"}`, `{"access_token":"[REDACTED]","token_type":"bearer","expires_in":3600,"refresh_token":"[REDACTED]"}`},
		{"escapes inside strings", `{"detail":"a \"password\": b","password":"q\"uo"}`, `{"detail":"a \"password\": b","password":"[REDACTED]"}`},
		{"scalar document", `"password"`, `"password"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := redactJSON([]byte(tt.in))
			if !ok || string(got) != tt.want {
				t.Errorf("redactJSON(%s)\n got %s (%v)\nwant %s", tt.in, got, ok, tt.want)
			}
		})
	}
	for _, bad := range []string{`{"a":1,}`, `{"a":1} x`, `{`, `not json`} {
		if _, ok := redactJSON([]byte(bad)); ok {
			t.Errorf("redactJSON(%s) accepted invalid JSON", bad)
		}
	}
}

func TestRedactBodyFallbacks(t *testing.T) {
	r := NewRedactor()
	r.AddSecret("literal-secret-value")
	r.AddSecret("short") // too short to search for
	tests := []struct{ name, ct, in, want string }{
		{"malformed JSON", "application/scim+json", `{"userName":"a","password":"p1",}`, `{"userName":"a","password":"[REDACTED]",}`},
		{"malformed JSON, bare value", "application/scim+json", `{"Password": p1, "x":1`, `{"Password": "[REDACTED]", "x":1`},
		{"form", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_secret=abc&password=p&scope=s", "grant_type=client_credentials&client_secret=[REDACTED]&password=[REDACTED]&scope=s"},
		{"literal anywhere", "text/plain", "token literal-secret-value rejected; short stays", "token [REDACTED] rejected; short stays"},
		// The fast path (mayNameSecret) skips the JSON walk only when no
		// name could be a secret's.
		{"plain SCIM body, literal still caught", "application/scim+json", `{"userName":"a","title":"literal-secret-value"}`, `{"userName":"a","title":"[REDACTED]"}`},
		{"plain SCIM body unchanged", "application/scim+json", `{"userName":"a","name":{"givenName":"B"}}`, `{"userName":"a","name":{"givenName":"B"}}`},
		{"upper-case name", "application/scim+json", `{"PASSWORD":"p1"}`, `{"PASSWORD":"[REDACTED]"}`},
		{"name spelt with an escape", "application/scim+json", `{"pass\u0077ord":"p1"}`, `{"pass\u0077ord":"[REDACTED]"}`},
		{"escaped quotes of an ETag unchanged", "application/scim+json", `{"meta":{"version":"W/\"1\""},"userName":"a"}`, `{"meta":{"version":"W/\"1\""},"userName":"a"}`},
		{"name spelt with an escape beside an ETag", "application/scim+json", `{"meta":{"version":"W/\"1\""},"pa\u0073\u0073word":"p1"}`, `{"meta":{"version":"W/\"1\""},"pa\u0073\u0073word":"[REDACTED]"}`},
		{"PATCH path naming the secret", "application/scim+json", `{"Operations":[{"op":"replace","path":"password","value":"p1"}]}`, `{"Operations":[{"op":"replace","path":"password","value":"[REDACTED]"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(r.body([]byte(tt.in), tt.ct)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRedactHeadersAndURL(t *testing.T) {
	r := NewRedactor()
	h := r.header(http.Header{
		"Authorization":   {"Bearer abc"},
		"Cookie":          {"sid=1"},
		"Set-Cookie":      {"sid=2"},
		"X-Api-Key":       {"k"},
		"X-Auth-Token":    {"t"},
		"X-Client-Secret": {"s"},
		"Content-Type":    {"application/scim+json"},
	})
	want := http.Header{
		"Authorization":   {"Bearer [REDACTED]"},
		"Cookie":          {Redacted},
		"Set-Cookie":      {Redacted},
		"X-Api-Key":       {Redacted},
		"X-Auth-Token":    {Redacted},
		"X-Client-Secret": {Redacted},
		"Content-Type":    {"application/scim+json"},
	}
	for k, v := range want {
		if h.Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v[0])
		}
	}
	if got := r.header(http.Header{"Authorization": {"opaque"}}).Get("Authorization"); got != Redacted {
		t.Errorf("scheme-less Authorization → %q", got)
	}
	urls := map[string]string{
		"http://h/scim/v2/Users?filter=userName+eq+%22a%22&access_token=abc&Secret=x": "http://h/scim/v2/Users?filter=userName+eq+%22a%22&access_token=[REDACTED]&Secret=[REDACTED]",
		"http://u:pw@h/scim": "http://u:%5BREDACTED%5D@h/scim",
		"http://h/scim#f":    "http://h/scim#f",
	}
	for in, want := range urls {
		if got := r.URL(in); got != want {
			t.Errorf("url(%s) = %s, want %s", in, got, want)
		}
	}
}

// RFC 7643 §2.1: attribute names are ASCII and case-insensitive, so names
// compare with ASCII case folding — the reference server's rule. The two
// letters whose Unicode folding reaches ASCII, ſ (s) and K (k), are read as
// the letters they look like: a server that folds Unicode would take
// "paſsword" as the password (issue 14 #6: the reference server did, and
// stored and recorded one in clear), so the redactor must never be the side
// that folds less. No other non-ASCII letter is folded.
func TestFoldName(t *testing.T) {
	for in, want := range map[string]string{
		"password":       "password",
		"PassWord":       "password",
		"pa\u017Fsword":  "password",
		"PA\u017FSWORD":  "password",
		"api_\u212Aey":   "api_key",
		"p\u00E4ssword":  "p\u00E4ssword",  // ä is not a:
		"PASSWORD\u0130": "password\u0130", // İ stays
		"\u0130D":        "\u0130d",
	} {
		if got := foldName(in); got != want {
			t.Errorf("foldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactLookalikeNames(t *testing.T) {
	r := NewRedactor()
	for _, c := range []struct{ name, in, want string }{
		{"raw long s", `{"userName":"a","pa` + "\u017F" + `sword":"hunter2"}`, `{"userName":"a","pa` + "\u017F" + `sword":"[REDACTED]"}`},
		{"escaped long s", `{"userName":"a","pa\u017Fsword":"hunter2"}`, `{"userName":"a","pa\u017Fsword":"[REDACTED]"}`},
		{"kelvin in api_key", `{"api_` + "\u212A" + `ey":"k"}`, `{"api_` + "\u212A" + `ey":"[REDACTED]"}`},
		{"urn attribute", `{"urn:ietf:params:scim:schemas:core:2.0:User:PA` + "\u017F" + `SWORD":"x"}`, `{"urn:ietf:params:scim:schemas:core:2.0:User:PA` + "\u017F" + `SWORD":"[REDACTED]"}`},
		{"patch path", `{"Operations":[{"op":"replace","path":"pa` + "\u017F" + `sword","value":"x"}]}`, `{"Operations":[{"op":"replace","path":"pa` + "\u017F" + `sword","value":"[REDACTED]"}]}`},
		{"not JSON", `{"pa` + "\u017F" + `sword":"x",`, `{"pa` + "\u017F" + `sword":"[REDACTED]",`},
		{"other letters are not folded", `{"p` + "\u00E4" + `ssword":"kept"}`, `{"p` + "\u00E4" + `ssword":"kept"}`},
	} {
		if got := string(r.body([]byte(c.in), "application/scim+json")); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	req := r.Request("GET", "/Users?pa\u017Fsword=x&pa%C5%BFsword=y&n=1", http.Header{"X-Pa\u017Fsword": {"v"}}, nil)
	if req.URL != "/Users?pa\u017Fsword=[REDACTED]&pa%C5%BFsword=[REDACTED]&n=1" || req.Header.Get("X-Pa\u017Fsword") != Redacted {
		t.Errorf("query %q, header %q", req.URL, req.Header.Get("X-Pa\u017Fsword"))
	}
}

// Literal secrets are replaced in one pass, the longest first, and a
// removed one is no longer searched for.
func TestRedactLiterals(t *testing.T) {
	r := NewRedactor("abcdefgh", "abcdefgh12", "short")
	if got := r.literals("xabcdefgh12y abcdefghz short"); got != "x[REDACTED]y [REDACTED]z short" {
		t.Errorf("literals: %q", got)
	}
	r.RemoveSecret("abcdefgh12")
	if got := r.literals("xabcdefgh12y"); got != "x[REDACTED]12y" {
		t.Errorf("after RemoveSecret: %q", got)
	}
	r.AddSecret("zzzzzzzzzz")
	if got := string(r.literalBytes([]byte("zzzzzzzzzz abcdefgh"))); got != "[REDACTED] [REDACTED]" {
		t.Errorf("after AddSecret: %q", got)
	}
}

// FuzzMayNameSecret: the fast path skips the JSON walk only for bodies in
// which neither the walk nor the pattern for malformed JSON would redact
// anything.
func FuzzMayNameSecret(f *testing.F) {
	for _, s := range []string{`{"pass\u0077ord":"p1"}`, `{"meta":{"version":"W/\"1\""}}`, `{"Operations":[{"path":"PassWord","value":"x"}]}`, `{"toKen":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if mayNameSecret(b) {
			return
		}
		if red, ok := redactJSON(b); ok && !bytes.Equal(red, b) {
			t.Fatalf("%q: skipped, but the walk redacts it to %q", b, red)
		}
		if jsonish.Match(b) {
			t.Fatalf("%q: skipped, but the pattern for malformed JSON matches it", b)
		}
	})
}
