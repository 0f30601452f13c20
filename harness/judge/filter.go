package judge

import (
	"fmt"
	"strings"

	"github.com/scimharness/scimharness/harness/scenario"
	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/wire"
)

// MatchesNone and MatchesOne are the one implementation of a lookup's
// judgement, for any filter and any kind of resource (a user matched by
// userName, externalId or work email, a group by displayName), as Entra
// matches on whatever attribute its mapping names; NobodyFound and
// FoundOnce are their userName forms, which Google and Okta use. Entra's
// simulator kept its own copies before, and they had drifted.

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
	return v.matchesNone(filter, kind, func(scenario.Vars) string { return "a new " + kind }, before)
}

// matchesNone is MatchesNone; created names what the IdP would have
// created, for the sentence about a wrong match.
func (v Voice) matchesNone(filter func(scenario.Vars) string, kind string, created func(scenario.Vars) string, before string) scenario.Expectation {
	return scenario.Func(func(ex *wire.Exchange, vars scenario.Vars) error {
		f := filter(vars)
		switch ex.Status() {
		case 200:
		case 404:
			expects := "200 with an empty ListResponse (totalResults 0)"
			if before != "" {
				expects += " " + Expand(before, vars)
			}
			return fmt.Errorf("the server answered 404 for a filter that matches nobody (%s); %s expects %s (RFC 7644 §3.4.2)", f, v.IdP, expects)
		default:
			return fmt.Errorf("expected 200 with an empty ListResponse for %s, got %d", f, ex.Status())
		}
		l, err := v.readList(ex)
		if err != nil {
			return err
		}
		if l.Total == 0 && len(l.Resources) == 0 {
			return nil
		}
		consequence := ""
		if v.WrongMatch != "" {
			consequence = fmt.Sprintf("; %s would %s instead of creating %s", v.IdP, v.WrongMatch, created(vars))
		}
		return fmt.Errorf("the filter %s matched %d resource(s) %s although no such %s exists: the server ignored the filter%s",
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
			return fmt.Errorf("expected 200 with the %s for %s, got %d (RFC 7644 §3.4.2)", kind, f, ex.Status())
		}
		l, err := v.readList(ex)
		if err != nil {
			return err
		}
		id := fmt.Sprint(vars[idVar])
		switch {
		case l.Total == 0 && len(l.Resources) == 0:
			return fmt.Errorf("the filter %s found nobody although the %s exists (id %s)%s", f, kind, id, missed)
		case l.Total > 1 || len(l.Resources) > 1:
			return fmt.Errorf("the filter %s matched %d resources %s (totalResults %d), not just that %s: the server ignored the filter%s", f, l.Found(), Names(l.Resources), l.Total, kind, wrong)
		case len(l.Resources) == 0:
			return fmt.Errorf("totalResults is 1 but Resources is empty: %s cannot read the id of the %s %s matches", v.IdP, kind, f)
		}
		if got := fmt.Sprint(l.Resources[0]["id"]); got != id {
			return fmt.Errorf("the filter %s found id %q, not the %s created (%s)%s", f, got, kind, id, wrong)
		}
		return nil
	})
}

// readList is ReadListResponse for a voice whose IdP reads the
// ListResponse URN ([Voice.ListURN]), else ReadList.
func (v Voice) readList(ex *wire.Exchange) (List, error) {
	if v.ListURN {
		return v.ReadListResponse(ex)
	}
	return v.ReadList(ex)
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
