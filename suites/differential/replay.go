package differential

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/scimharness/scimharness/harness/client"
)

// Load reads a case written by Save.
func Load(path string) (*Disagreement, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Disagreement
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: not a saved case: %w", path, err)
	}
	if d.Prefix == "" || len(d.Users)+len(d.Groups)+len(d.Requests) == 0 {
		return nil, fmt.Errorf("%s: not a saved case: no prefix, users, groups or requests", path)
	}
	return &d, nil
}

// Replay sends a saved case to c — its users and then its groups created
// with prefix in place of the case's, then its requests — and judges each answer against what
// the reference answered when the case was found, by the comparison the
// fuzzer uses (status class; totalResults, set or sort keys and resources
// of a list; the resource read back). It deletes what it created, also
// when it fails. why is "" when c answers as the reference did.
func Replay(ctx context.Context, c *client.Client, d *Disagreement, prefix string) (why string, cleanupErrs []string, err error) {
	d, err = d.withPrefix(prefix)
	if err != nil {
		return "", nil, err
	}
	s := newSide("server", c)
	defer func() {
		ctx := context.WithoutCancel(ctx)
		for key := range s.gids {
			if err := s.removeGroup(ctx, key); err != nil || s.gids[key] != "" {
				cleanupErrs = append(cleanupErrs, fmt.Sprintf("group %s (%s): not deleted %v", key, s.gids[key], err))
			}
		}
		for name := range s.ids {
			if err := s.remove(ctx, name); err != nil || s.ids[name] != "" {
				cleanupErrs = append(cleanupErrs, fmt.Sprintf("%s (%s): not deleted %v", name, s.ids[name], err))
			}
		}
	}()
	first := ""
	for i, u := range d.Users {
		name, _ := u["userName"].(string)
		a, err := s.create(ctx, name, client.Request{Method: http.MethodPost, Path: "/Users", Body: u})
		if err != nil {
			return "", nil, err
		}
		if a.Status/100 != 2 {
			return fmt.Sprintf("creating %s: the server answered %d, the reference created it (RFC 7644 §3.3)", name, a.Status), nil, nil
		}
		if i == 0 {
			first = s.ids[name]
		}
	}
	for _, g := range d.Groups {
		name, _ := g["displayName"].(string)
		a, err := s.createGroup(ctx, name, client.Request{Method: http.MethodPost, Path: "/Groups", Body: g})
		if err != nil {
			return "", nil, err
		}
		if a.Status/100 != 2 {
			return fmt.Sprintf("creating group %s: the server answered %d, the reference created it (RFC 7644 §3.3)", name, a.Status), nil, nil
		}
	}
	for _, r := range d.Requests {
		q, err := url.ParseQuery(r.Query)
		if err != nil {
			return "", nil, fmt.Errorf("the case's query %q: %w", r.Query, err)
		}
		req := client.Request{Method: r.Method, Path: strings.ReplaceAll(r.Path, "{id}", first), Query: q, Body: r.Body}
		a, doc, err := s.send(ctx, req)
		if err != nil {
			return "", nil, err
		}
		e := r.Expect
		step := r.Method + " " + r.Path
		if r.Query != "" {
			step += "?" + unescape(r.Query)
		}
		key := "userName"
		if strings.HasPrefix(r.Path, "/Groups") {
			key = "displayName"
		}
		switch {
		case e == nil:
		case e.List != nil:
			if why := judgeList(q, a.Status, readList(doc, q, key, s.names()), e.Status, *e.List); why != "" {
				return step + ": " + why, nil, nil
			}
		case a.Status/100 != e.Status/100:
			return fmt.Sprintf("%s: the server answered %d, the reference %d", step, a.Status, e.Status), nil, nil
		case r.Method == http.MethodGet && e.Status/100 == 2:
			if why := judgeResource(normaliseResource(doc, s.names()), e.Resource); why != "" {
				return step + ": " + why, nil, nil
			}
		}
	}
	return "", nil, nil
}

// withPrefix is the case with prefix in place of the one it was found
// with, in every userName, literal and expected answer (in the cases the
// generator writes them: as is, upper-cased, lower-cased).
func (d *Disagreement) withPrefix(prefix string) (*Disagreement, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	old := d.Prefix
	pairs := []string{old, prefix}
	for _, f := range []func(string) string{strings.ToUpper, strings.ToLower, url.QueryEscape} {
		if f(old) != old {
			pairs = append(pairs, f(old), f(prefix))
		}
	}
	var out Disagreement
	if err := json.Unmarshal([]byte(strings.NewReplacer(pairs...).Replace(string(b))), &out); err != nil {
		return nil, err
	}
	return &out, nil
}
