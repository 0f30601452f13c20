package server

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/scimharness/scimharness/scim"
	"github.com/scimharness/scimharness/server/schema"
	"github.com/scimharness/scimharness/server/store"
)

// bulkOp is one operation of a BulkRequest (RFC 7644 §3.7).
type bulkOp struct {
	index   int
	method  string
	bulkID  string
	version string
	path    string
	data    any
}

var bulkRef = regexp.MustCompile(`bulkId:([^"/\s]+)`)

// bulk serves POST /Bulk. Operations run in order, except that one that
// refers to "bulkId:x" waits until the operation that creates x has run, so
// a client may list a group before the users it holds. failOnErrors stops
// the run after that many errors (§3.7.3).
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	body, err := decodeBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		writeError(w, err)
		return
	}
	ops, failOn, err := s.parseBulk(body)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx, tenant := r.Context(), tenantOf(r)
	created := map[string]string{} // bulkId → id
	defines := map[string]bool{}
	for _, op := range ops {
		if op.method == http.MethodPost && op.bulkID != "" {
			defines[op.bulkID] = true
		}
	}
	failed := map[string]bool{} // bulkIds whose POST failed
	results := make([]map[string]any, len(ops))
	pending, errorsSeen := ops, 0
	for len(pending) > 0 && (failOn == 0 || errorsSeen < failOn) {
		var next []bulkOp
		progressed := false
		for _, op := range pending {
			if failOn > 0 && errorsSeen >= failOn {
				break
			}
			waiting, brokenRef := false, ""
			for _, ref := range refsOf(op) {
				switch {
				case ref == op.bulkID:
				case failed[ref]:
					brokenRef = ref
				case defines[ref] && created[ref] == "":
					waiting = true
				}
			}
			var res map[string]any
			switch {
			case brokenRef != "":
				res = bulkError(op, schema.Errorf(schema.InvalidValue,
					"operation %d refers to bulkId %q, whose operation failed", op.index+1, brokenRef))
			case waiting:
				next = append(next, op)
				continue
			default:
				res = s.runBulkOp(ctx, r, tenant, op, created)
			}
			progressed = true
			if st, _ := strconv.Atoi(res["status"].(string)); st >= 400 {
				errorsSeen++
				if op.method == http.MethodPost && op.bulkID != "" {
					failed[op.bulkID] = true
				}
			}
			results[op.index] = res
		}
		if !progressed {
			// Every operation left waits on another that waits in turn: a
			// circular reference this server does not resolve, for which
			// RFC 7644 §3.7.1 prescribes 409.
			for _, op := range next {
				if failOn > 0 && errorsSeen >= failOn {
					break
				}
				results[op.index] = bulkError(op, schema.StatusError(http.StatusConflict,
					"operation %d: its bulkId references form a cycle, which this server does not resolve", op.index+1))
				errorsSeen++
			}
			break
		}
		pending = next
	}
	out := []any{}
	for _, res := range results {
		if res != nil {
			out = append(out, res)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []any{scim.BulkResponseURN}, "Operations": out})
}

func (s *Server) parseBulk(body map[string]any) ([]bulkOp, int, error) {
	var rawOps []any
	failOn := 0
	for k, v := range body {
		switch schema.FoldName(k) {
		case "operations":
			arr, ok := v.([]any)
			if !ok {
				return nil, 0, schema.Errorf(schema.InvalidSyntax, "Operations must be an array")
			}
			rawOps = arr
		case "failonerrors":
			n, ok := v.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil || i < 0 {
				return nil, 0, schema.Errorf(schema.InvalidValue, "failOnErrors must be a non-negative integer")
			}
			failOn = int(min(i, 1<<30))
		}
	}
	if len(rawOps) == 0 {
		return nil, 0, schema.Errorf(schema.InvalidSyntax, "a BulkRequest needs a non-empty Operations array")
	}
	if len(rawOps) > s.cfg.BulkMaxOperations {
		return nil, 0, schema.StatusError(http.StatusRequestEntityTooLarge,
			"the BulkRequest has %d operations; maxOperations is %d", len(rawOps), s.cfg.BulkMaxOperations)
	}
	ops := make([]bulkOp, 0, len(rawOps))
	for i, raw := range rawOps {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, 0, schema.Errorf(schema.InvalidSyntax, "operation %d is not an object", i+1)
		}
		op := bulkOp{index: i}
		for k, v := range m {
			sv, _ := v.(string)
			switch schema.FoldName(k) {
			case "method":
				op.method = strings.ToUpper(sv)
			case "bulkid":
				op.bulkID = sv
			case "version":
				op.version = sv
			case "path":
				op.path = sv
			case "data":
				op.data = v
			}
		}
		ops = append(ops, op)
	}
	// A bulkId names one new resource (RFC 7644 §3.7: "unique within a
	// bulk request"); two POSTs with one bulkId would leave references to
	// it ambiguous.
	first := map[string]int{}
	for _, op := range ops {
		if op.method != http.MethodPost || op.bulkID == "" {
			continue
		}
		if i, dup := first[op.bulkID]; dup {
			return nil, 0, schema.Errorf(schema.InvalidValue,
				"operations %d and %d both use bulkId %q; a bulkId must be unique within the request", i+1, op.index+1, op.bulkID)
		}
		first[op.bulkID] = op.index
	}
	return ops, failOn, nil
}

// refsOf lists the bulkIds an operation refers to, in its path and data.
func refsOf(op bulkOp) []string {
	var out []string
	for _, m := range bulkRef.FindAllStringSubmatch(op.path, -1) {
		out = append(out, m[1])
	}
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			if strings.HasPrefix(t, "bulkId:") {
				out = append(out, strings.TrimPrefix(t, "bulkId:"))
			}
		case map[string]any:
			for _, x := range t {
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(op.data)
	return out
}

// substitute replaces "bulkId:x" with the id created for x.
func substitute(v any, created map[string]string) any {
	switch t := v.(type) {
	case string:
		if id, ok := created[strings.TrimPrefix(t, "bulkId:")]; ok && strings.HasPrefix(t, "bulkId:") {
			return id
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = substitute(x, created)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = substitute(x, created)
		}
		return out
	}
	return v
}

func (s *Server) runBulkOp(ctx context.Context, r *http.Request, tenant string, op bulkOp, created map[string]string) map[string]any {
	path := bulkRef.ReplaceAllStringFunc(op.path, func(m string) string {
		if id, ok := created[strings.TrimPrefix(m, "bulkId:")]; ok {
			return id
		}
		return m
	})
	rt, id, err := s.bulkTarget(tenant, path)
	if err != nil {
		return bulkError(op, err)
	}
	data, _ := substitute(op.data, created).(map[string]any)
	needData := op.method == http.MethodPost || op.method == http.MethodPut || op.method == http.MethodPatch
	if needData && data == nil {
		return bulkError(op, schema.Errorf(schema.InvalidSyntax, "operation %d: %s needs a data object", op.index+1, op.method))
	}
	if (op.method == http.MethodPost) != (id == "") {
		return bulkError(op, schema.Errorf(schema.InvalidPath, "operation %d: %s %q: POST takes a resource endpoint, other methods a resource path", op.index+1, op.method, op.path))
	}
	var res store.Resource
	status := http.StatusOK
	switch op.method {
	case http.MethodPost:
		if op.bulkID == "" {
			return bulkError(op, schema.Errorf(schema.InvalidSyntax, "operation %d: POST needs a bulkId (RFC 7644 §3.7)", op.index+1))
		}
		res, err = s.createDoc(ctx, tenant, rt, data)
		status = http.StatusCreated
		if err == nil {
			created[op.bulkID] = res.ID
		}
	case http.MethodPut:
		res, err = s.replaceDoc(ctx, tenant, rt, id, op.version, data)
	case http.MethodPatch:
		res, err = s.patchDoc(ctx, tenant, rt, id, op.version, data)
	case http.MethodDelete:
		err = s.deleteDoc(ctx, tenant, rt, id, op.version)
		status = http.StatusNoContent
	default:
		err = schema.Errorf(schema.InvalidSyntax, "operation %d: method %q is not POST, PUT, PATCH or DELETE", op.index+1, op.method)
	}
	if err != nil {
		return bulkError(op, err)
	}
	out := map[string]any{"method": op.method, "status": strconv.Itoa(status)}
	if op.bulkID != "" {
		out["bulkId"] = op.bulkID
	}
	if res.ID != "" {
		out["location"] = s.base(r) + rt.Endpoint + "/" + res.ID
		out["version"] = store.ETag(res.Version)
	} else if id != "" {
		out["location"] = s.base(r) + rt.Endpoint + "/" + id
	}
	return out
}

// bulkTarget reads "/Users" or "/Users/{id}".
func (s *Server) bulkTarget(tenant, path string) (*schema.ResourceType, string, error) {
	p := "/" + strings.Trim(path, "/")
	for _, rt := range s.registry(tenant).ResourceTypes() {
		if strings.EqualFold(p, rt.Endpoint) {
			return rt, "", nil
		}
		if prefix := rt.Endpoint + "/"; len(p) > len(prefix) && strings.EqualFold(p[:len(prefix)], prefix) {
			id := p[len(prefix):]
			if strings.Contains(id, "/") || strings.HasPrefix(id, "bulkId:") {
				return nil, "", schema.Errorf(schema.InvalidPath, "path %q names no resource (unresolved bulkId?)", path)
			}
			return rt, id, nil
		}
	}
	return nil, "", schema.Errorf(schema.InvalidPath, "path %q names no resource endpoint", path)
}

func bulkError(op bulkOp, err error) map[string]any {
	se := schema.AsError(err)
	out := map[string]any{"method": op.method, "status": strconv.Itoa(se.Status), "response": se.Body()}
	if op.bulkID != "" {
		out["bulkId"] = op.bulkID
	}
	return out
}
