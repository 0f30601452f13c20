package judge

import (
	"fmt"
	"strings"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// The judgements below generalise NobodyFound and FoundOnce to any filter
// and any kind of resource (a user matched by externalId or work email, a
// group by displayName), as Entra matches on whatever attribute its
// mapping names. They were written once here so that Entra's simulator
// stopped keeping its own, drifted copies.

// ReadListResponse is [Voice.ReadList] that also requires the ListResponse
// URN in schemas (RFC 7644 §3.4.2).
func (v Voice) ReadListResponse(ex *wire.Exchange) (List, error) {
	l, err := v.ReadList(ex)
	if err != nil {
		return l, err
	}
	doc, _ := ex.JSON()
	schemas, _ := scenario.Lookup(doc, "schemas")
	list, _ := schemas.([]any)
	for _, s := range list {
		if str, ok := s.(string); ok && strings.EqualFold(str, scim.ListResponseURN) {
			return l, nil
		}
	}
	return l, fmt.Errorf("the answer's schemas %s lack %q (RFC 7644 §3.4.2)", Render(schemas), scim.ListResponseURN)
}

// Names lists resources for a sentence by userName, else displayName,
// else id: the first five, then "…".
func Names(rs []map[string]any) string {
	var names []string
	for _, r := range rs {
		n, ok := r["userName"]
		if !ok {
			if n, ok = r["displayName"]; !ok {
				n = r["id"]
			}
		}
		names = append(names, fmt.Sprint(n))
	}
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// MatchesNone judges a query whose filter (see [Text]) matches no
// resource of kind ("user", "group") yet: 200 with an empty ListResponse.
// before says what the IdP does next ("before Entra creates it"); a 404 is
// a failure that says so. A non-empty answer is a filter the server
// ignored, and the sentence says what the IdP would do with the match
// ([Voice.WrongMatch]).
func (v Voice) MatchesNone(filter func(scenario.Vars) string, kind, before string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		f := filter(vars)
		switch ex.Status() {
		case 200:
		case 404:
			expects := "200 with an empty ListResponse (totalResults 0)"
			if before != "" {
				expects += " " + Expand(before, vars)
			}
			return fmt.Errorf("the server answered 404 for %s, which matches no %s; %s expects %s (RFC 7644 §3.4.2)", f, kind, v.IdP, expects)
		default:
			return fmt.Errorf("expected 200 with an empty ListResponse for %s, got %d (RFC 7644 §3.4.2)", f, ex.Status())
		}
		l, err := v.ReadListResponse(ex)
		if err != nil {
			return err
		}
		if l.Total == 0 && len(l.Resources) == 0 {
			return nil
		}
		consequence := ""
		if v.WrongMatch != "" {
			consequence = fmt.Sprintf("; %s would %s instead of creating a new %s", v.IdP, v.WrongMatch, kind)
		}
		return fmt.Errorf("the filter %s matched %d resource(s) %s although no such %s exists: the server ignored the filter (or applied it wrongly)%s (authorizer 705)",
			f, l.Found(), Names(l.Resources), kind, consequence)
	})
}

// MatchesOne judges a query whose filter must find exactly the resource
// of kind whose id was captured as idVar. missed ends the sentence for a
// query that found nothing and starts with its own punctuation; wrong
// ends the one for a query that found others.
func (v Voice) MatchesOne(filter func(scenario.Vars) string, kind, idVar, missed, wrong string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		f := filter(vars)
		if ex.Status() != 200 {
			return fmt.Errorf("expected 200 with the %s %s matches, got %d (RFC 7644 §3.4.2)", kind, f, ex.Status())
		}
		l, err := v.ReadListResponse(ex)
		if err != nil {
			return err
		}
		id := fmt.Sprint(vars[idVar])
		switch {
		case l.Total == 0 && len(l.Resources) == 0:
			return fmt.Errorf("%s found nothing, but the %s exists (id %s)%s", f, kind, id, missed)
		case l.Total == 1 && len(l.Resources) == 1 && fmt.Sprint(l.Resources[0]["id"]) == id:
			return nil
		}
		var got []string
		for _, r := range l.Resources {
			got = append(got, fmt.Sprint(r["id"]))
		}
		return fmt.Errorf("%s must find exactly the %s with id %s; got totalResults %d, ids %v%s", f, kind, id, l.Total, got, wrong)
	})
}

// ErrorBody judges every error answer (status ≥ 400): a JSON body whose
// schemas hold [scim.ErrorURN] (RFC 7644 §3.12). unparsed says what the IdP
// does with a body it cannot parse: "Entra logs ServiceIncompatible (TUT)".
func (v Voice) ErrorBody(unparsed string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, _ scenario.Vars) error {
		if ex.Status() < 400 {
			return nil
		}
		doc, err := ex.JSON()
		if err == nil {
			schemas, _ := scenario.Lookup(doc, "schemas")
			list, _ := schemas.([]any)
			for _, s := range list {
				if str, ok := s.(string); ok && strings.EqualFold(str, scim.ErrorURN) {
					return nil
				}
			}
		}
		return fmt.Errorf("the server answered %d without a SCIM error body (Content-Type %q; RFC 7644 §3.12 wants JSON with schemas [%q], status and detail)%s",
			ex.Status(), ex.Response.Header.Get("Content-Type"), scim.ErrorURN, because(unparsed))
	})
}
