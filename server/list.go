package server

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/filter"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// searchParams are the query parameters of RFC 7644 §3.4.2, from a query
// string or a SearchRequest body (§3.4.3).
type searchParams struct {
	filter     string
	sortBy     string
	sortOrder  string
	startIndex int
	count      int // -1: not given
	attributes []string
	excluded   []string
}

func paramsFromQuery(r *http.Request) (searchParams, error) {
	q, err := readQuery(r.URL.RawQuery)
	if err != nil {
		return searchParams{}, schema.Errorf(schema.InvalidFilter,
			"the query string is not valid URL encoding (%v); encode %% as %%25", err)
	}
	p := searchParams{
		filter:     q.filter,
		sortBy:     q.sortBy,
		sortOrder:  q.sortOrder,
		attributes: splitList(q.attributes),
		excluded:   splitList(q.excluded),
		count:      -1,
	}
	if v := q.startIndex; v != "" {
		if p.startIndex, err = pagingInt("startIndex", v); err != nil {
			return p, err
		}
	}
	if v := q.count; v != "" {
		if p.count, err = pagingInt("count", v); err != nil {
			return p, err
		}
		p.count = max(p.count, 0) // RFC 7644 §3.4.2.4: negative count is read as 0
	}
	return p, nil
}

// listQuery is the first value of each list parameter in a query string.
type listQuery struct {
	filter, sortBy, sortOrder, attributes, excluded, startIndex, count string
}

// readQuery reads the list parameters of a raw query string exactly as
// url.ParseQuery and Values.Get would, without building the map: a lookup
// is one short query per request. Not r.URL.Query(), which silently drops a
// pair it cannot decode, and a dropped filter lists every user — the answer
// that makes an IdP update a stranger or create duplicates. Anything
// url.ParseQuery might refuse (a semicolon, bad escapes, more pairs than a
// query of these parameters has) is left to it, for its error.
func readQuery(raw string) (listQuery, error) {
	var q listQuery
	var seen [7]bool
	rest := raw
	for pairs := 0; rest != ""; pairs++ {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if strings.Contains(pair, ";") || pairs >= 64 {
			return slowQuery(raw)
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return slowQuery(raw)
		}
		if v, err = url.QueryUnescape(v); err != nil {
			return slowQuery(raw)
		}
		i, dst := -1, (*string)(nil)
		switch k {
		case "filter":
			i, dst = 0, &q.filter
		case "sortBy":
			i, dst = 1, &q.sortBy
		case "sortOrder":
			i, dst = 2, &q.sortOrder
		case "attributes":
			i, dst = 3, &q.attributes
		case "excludedAttributes":
			i, dst = 4, &q.excluded
		case "startIndex":
			i, dst = 5, &q.startIndex
		case "count":
			i, dst = 6, &q.count
		}
		if i >= 0 && !seen[i] { // the first value, as Values.Get
			seen[i], *dst = true, v
		}
	}
	return q, nil
}

// slowQuery is readQuery through url.ParseQuery.
func slowQuery(raw string) (listQuery, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return listQuery{}, err
	}
	return listQuery{v.Get("filter"), v.Get("sortBy"), v.Get("sortOrder"), v.Get("attributes"),
		v.Get("excludedAttributes"), v.Get("startIndex"), v.Get("count")}, nil
}

// pagingInt reads a paging integer; values past the int32 range are clamped,
// so a huge startIndex simply pages past the end.
func pagingInt(name, v string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			if strings.HasPrefix(strings.TrimSpace(v), "-") {
				return math.MinInt32, nil
			}
			return math.MaxInt32, nil
		}
		return 0, schema.Errorf(schema.InvalidValue, "%s must be an integer, got %q", name, v)
	}
	return int(max(min(n, math.MaxInt32), math.MinInt32)), nil
}

func paramsFromBody(body map[string]any) (searchParams, error) {
	p := searchParams{count: -1}
	for k, v := range body {
		var err error
		switch schema.FoldName(k) {
		case "schemas":
		case "filter":
			p.filter, err = str(k, v)
		case "sortby":
			p.sortBy, err = str(k, v)
		case "sortorder":
			p.sortOrder, err = str(k, v)
		case "attributes":
			p.attributes, err = strList(k, v)
		case "excludedattributes":
			p.excluded, err = strList(k, v)
		case "startindex":
			p.startIndex, err = num(k, v)
		case "count":
			p.count, err = num(k, v)
			p.count = max(p.count, 0)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

func str(k string, v any) (string, error) {
	s, ok := v.(string)
	if !ok && v != nil {
		return "", schema.Errorf(schema.InvalidValue, "%s must be a string", k)
	}
	return s, nil
}

func strList(k string, v any) ([]string, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string: // tolerated: a comma-separated string as in the query form
		return splitList(t), nil
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, schema.Errorf(schema.InvalidValue, "%s must be an array of strings", k)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, schema.Errorf(schema.InvalidValue, "%s must be an array of strings", k)
}

func num(k string, v any) (int, error) {
	switch t := v.(type) {
	case json.Number:
		return pagingInt(k, t.String())
	case string: // tolerated: "1" as a string
		return pagingInt(k, t)
	}
	return 0, schema.Errorf(schema.InvalidValue, "%s must be an integer", k)
}

// query turns parameters into a store query for rt: the filter parsed, the
// page clamped to MaxResults, startIndex below 1 read as 1.
func (s *Server) query(p searchParams) (store.Query, error) {
	q := store.Query{SortBy: p.sortBy, StartIndex: max(p.startIndex, 1), Count: p.count}
	if q.Count < 0 || q.Count > s.cfg.MaxResults {
		q.Count = s.cfg.MaxResults
	}
	switch strings.ToLower(p.sortOrder) {
	case "", "ascending":
	case "descending":
		q.Descending = true
	default:
		return q, schema.Errorf(schema.InvalidValue, `sortOrder must be "ascending" or "descending", got %q`, p.sortOrder)
	}
	if strings.TrimSpace(p.filter) != "" {
		f, err := filter.Parse(p.filter)
		if err != nil {
			return q, err
		}
		// Before the "groups" rewrite, whose work grows with the terms too.
		if err := store.CheckFilter(f); err != nil {
			return q, err
		}
		q.Filter = f
	}
	return q, nil
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType) {
	p, err := paramsFromQuery(r)
	if err != nil {
		writeError(w, err)
		return
	}
	s.answerList(w, r, []*schema.ResourceType{rt}, p)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, rt *schema.ResourceType) {
	s.searchTypes(w, r, []*schema.ResourceType{rt})
}

// searchAll is POST /.search at the root (RFC 7644 §3.4.3): every resource
// type, Users first.
func (s *Server) searchAll(w http.ResponseWriter, r *http.Request) {
	s.searchTypes(w, r, s.registry(tenantOf(r)).ResourceTypes())
}

func (s *Server) searchTypes(w http.ResponseWriter, r *http.Request, types []*schema.ResourceType) {
	body, err := decodeBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		writeError(w, err)
		return
	}
	p, err := paramsFromBody(body)
	if err != nil {
		writeError(w, err)
		return
	}
	s.answerList(w, r, types, p)
}

// answerList runs the query over each type in turn and pages over their
// concatenation, then writes the ListResponse (RFC 7644 §3.4.2).
func (s *Server) answerList(w http.ResponseWriter, r *http.Request, types []*schema.ResourceType, p searchParams) {
	q, err := s.query(p)
	if err != nil {
		writeError(w, err)
		return
	}
	if pr := s.provider(r); pr != nil && pr.Filter != nil && q.Filter != nil {
		// The service's own filter support comes first: a filter it does
		// not support fails there even if the strict server could run it.
		for _, rt := range types {
			if err := pr.Filter(rt, q.Filter); err != nil {
				writeError(w, err)
				return
			}
		}
	}
	if len(types) > 1 && q.Filter != nil {
		if err := acceptedBySome(types, q.Filter); err != nil {
			writeError(w, err)
			return
		}
	}
	types, unsorted, err := sortPlan(types, q)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx := r.Context()
	total, skip, room := 0, q.StartIndex-1, q.Count
	// The resources are encoded as they come, into items (a JSON array).
	ip := itemsPool.Get().(*[]byte)
	defer func() {
		if cap(*ip) <= 1<<20 {
			itemsPool.Put(ip)
		}
	}()
	items, n := append((*ip)[:0], '['), 0
	for _, rt := range types {
		tq := q
		if unsorted[rt] {
			tq.SortBy = ""
		}
		// For a single type the store pages; across types each store
		// reports its total, and the window is cut from the concatenation.
		tq.StartIndex, tq.Count = skip+1, room
		if tq.Filter != nil {
			if tq.Filter, err = s.resolveGroups(ctx, r, rt, tq.Filter); err != nil {
				if len(types) > 1 && isInvalidFilter(err) {
					continue
				}
				writeError(w, err)
				return
			}
		}
		v := newView(rt, p.attributes, p.excluded)
		var groups map[string][]store.Resource // the page's users' groups, in one query
		var page store.Page
		gr, gt, together := s.groupsReader(r, rt, v.p)
		if together {
			// The page and its users' groups in one round trip; with the
			// render cache on, each document is decoded only if s.answer
			// misses the cache (store.Query.LazyDoc).
			tq.LazyDoc = s.cache != nil
			page, groups, err = gr.QueryWithGroups(ctx, tenantOf(r), rt, tq, gt)
		} else {
			page, err = s.cfg.Store.Query(ctx, tenantOf(r), rt, tq)
		}
		if err != nil {
			if len(types) > 1 && isInvalidFilter(err) {
				continue // the filter names attributes this type lacks
			}
			writeError(w, err)
			return
		}
		total += page.Total
		skip = max(skip-page.Total, 0)
		room -= len(page.Resources)
		if !together && showsGroups(rt, v.p) && len(page.Resources) > 0 {
			ids := make([]string, len(page.Resources))
			for i, res := range page.Resources {
				ids[i] = res.ID
			}
			if groups, err = s.groupsFor(ctx, r, ids); err != nil {
				writeError(w, err)
				return
			}
		}
		shows := showsGroups(rt, v.p)
		for _, res := range page.Resources {
			if n > 0 {
				items = append(items, ',')
			}
			var gs []store.Resource
			if shows {
				gs = groups[res.ID]
			}
			if items, err = s.answer(items, r, rt, res, v, gs); err != nil {
				writeError(w, err)
				return
			}
			n++
		}
	}
	items = append(items, ']')
	*ip = items
	writeAppended(w, http.StatusOK, func(dst []byte) ([]byte, error) {
		return appendListResponse(dst, total, q.StartIndex, n, items), nil
	})
}

var itemsPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// listResponse is the RFC 7644 §3.4.2 ListResponse, a struct so that its
// fields come out in the RFC's order.
type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// AppendJSON implements schema.Appender: the fields in the RFC's order,
// each resource through schema.AppendJSON.
func (l listResponse) AppendJSON(dst []byte) ([]byte, error) {
	items, err := schema.AppendJSON(nil, l.Resources)
	if err != nil {
		return nil, err
	}
	return appendListResponse(dst, l.TotalResults, l.StartIndex, l.ItemsPerPage, items), nil
}

// appendListResponse appends a ListResponse of n resources whose JSON
// array is items.
func appendListResponse(dst []byte, total, startIndex, n int, items []byte) []byte {
	dst = append(dst, `{"schemas":["`+scim.ListResponseURN+`"],"totalResults":`...)
	dst = strconv.AppendInt(dst, int64(total), 10)
	dst = append(dst, `,"startIndex":`...)
	dst = strconv.AppendInt(dst, int64(startIndex), 10)
	dst = append(dst, `,"itemsPerPage":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst = append(dst, `,"Resources":`...)
	dst = append(dst, items...)
	return append(dst, '}')
}

func newListResponse(total, startIndex int, resources []any) listResponse {
	if resources == nil {
		resources = []any{}
	}
	return listResponse{[]string{scim.ListResponseURN}, total, startIndex, len(resources), resources}
}

// sortPlan checks sortBy against each type and orders the types of a
// search across types. Sorting by an attribute that is never returned
// (password) would reveal the order of its values, one probe at a time, as
// a filter on it would; sorting by User.groups, derived on output, cannot be
// done by the store. Across types, a type without the attribute is searched
// unsorted and its resources count as having no value: last when ascending,
// first when descending (RFC 7644 §3.4.2.3). Types that have it are each
// sorted, in turn; their results are not merged into one order.
func sortPlan(types []*schema.ResourceType, q store.Query) ([]*schema.ResourceType, map[*schema.ResourceType]bool, error) {
	if q.SortBy == "" {
		return types, nil, nil
	}
	var has, lacks []*schema.ResourceType
	for _, rt := range types {
		ref, ok := rt.Find(schema.SplitPath(q.SortBy))
		if !ok {
			lacks = append(lacks, rt)
			continue
		}
		if ref.Attr.Returned == schema.ReturnedNever || ref.Target().Returned == schema.ReturnedNever {
			return nil, nil, schema.Errorf(schema.InvalidValue, "sortBy: %q is never returned and cannot be used to sort", q.SortBy)
		}
		if derivesGroups(rt) && ref.URN == "" && ref.Attr == rt.Core().Attr("groups") {
			return nil, nil, schema.Errorf(schema.InvalidValue, "sortBy: %q is derived from group membership and cannot be used to sort", q.SortBy)
		}
		has = append(has, rt)
	}
	if len(types) == 1 || len(has) == 0 {
		return types, nil, nil // the store names the unknown attribute
	}
	unsorted := map[*schema.ResourceType]bool{}
	for _, rt := range lacks {
		unsorted[rt] = true
	}
	if q.Descending {
		return append(lacks, has...), unsorted, nil
	}
	return append(has, lacks...), unsorted, nil
}

func isInvalidFilter(err error) bool {
	return schema.AsError(err).ScimType == schema.InvalidFilter
}

// acceptedBySome returns the filter's error unless at least one of types
// can evaluate it; a root search then skips the types that cannot.
func acceptedBySome(types []*schema.ResourceType, f filter.Expr) error {
	var first error
	for _, rt := range types {
		_, err := filter.Compile(f, rt)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}
