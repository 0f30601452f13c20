package patch

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/scimharness/scimharness/server/schema"
)

type applyCase struct {
	name  string
	group bool   // apply to baseGroup instead of baseUser
	ops   string // the Operations array, wrapped by body()
	raw   string // a whole request body, when set (ops unused)
	// edit turns a copy of the starting document into the expected result.
	edit func(d map[string]any)
	// err is the expected scimType; detail a substring of the error detail.
	err    string
	detail string
}

var applyCases = []applyCase{
	// 1. Op names are case-insensitive; anything else is invalidSyntax.
	{name: "op ADD", ops: `[{"op":"ADD","path":"title","value":"Tour Guide"}]`,
		edit: func(d map[string]any) { d["title"] = "Tour Guide" }},
	{name: "op Replace", ops: `[{"op":"Replace","path":"displayName","value":"Babs"}]`,
		edit: func(d map[string]any) { d["displayName"] = "Babs" }},
	{name: "op REMOVE", ops: `[{"op":"REMOVE","path":"displayName"}]`,
		edit: func(d map[string]any) { delete(d, "displayName") }},
	{name: "unknown op", ops: `[{"op":"add","path":"title","value":"x"},{"op":"copy","path":"title","value":"y"}]`,
		err: schema.InvalidSyntax, detail: `unknown op "copy" in operation 2`},

	// 2. Path-less add and replace.
	{name: "Okta deactivate", ops: `[{"op":"replace","value":{"active":false}}]`,
		edit: func(d map[string]any) { d["active"] = false }},
	{name: "path-less keys in any case, string boolean",
		ops:  `[{"op":"Replace","value":{"DisplayName":"Babs","ACTIVE":"False","title":"Boss"}}]`,
		edit: func(d map[string]any) { d["displayName"], d["active"], d["title"] = "Babs", false, "Boss" }},
	{name: "Entra flag on: path-less dotted and URN-qualified keys",
		raw: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"Babs J","name.givenName":"Babs","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"1","active":false}}]}`,
		edit: func(d map[string]any) {
			d["displayName"], d["active"] = "Babs J", false
			sub(d, "name")["givenName"] = "Babs"
			ext(d)["employeeNumber"] = "1"
		}},
	{name: "path-less core-URN-qualified keys",
		ops: `[{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:User:userName":"babs@example.com","urn:ietf:params:scim:schemas:core:2.0:User:name.familyName":"J"}}]`,
		edit: func(d map[string]any) {
			d["userName"] = "babs@example.com"
			sub(d, "name")["familyName"] = "J"
		}},
	{name: "path-less core URN object",
		ops:  `[{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:User":{"nickName":"Babs"}}}]`,
		edit: func(d map[string]any) { d["nickName"] = "Babs" }},
	{name: "path-less extension object merges its attributes",
		ops: `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","costCenter":"42"}}}]`,
		edit: func(d map[string]any) {
			ext(d)["department"] = "R&D"
			ext(d)["costCenter"] = "42"
		}},
	{name: "path-less readOnly and unknown keys are ignored",
		ops:  `[{"op":"replace","value":{"id":"2819c223","meta":{"resourceType":"User"},"schemas":["urn:x"],"groups":[{"value":"g1"}],"nonsense":1,"http://schemas.microsoft.com/x":"y","title":"Boss"}}]`,
		edit: func(d map[string]any) { d["title"] = "Boss" }},
	{name: "path-less replace of a complex attribute keeps the other sub-attributes",
		ops:  `[{"op":"replace","value":{"name":{"givenName":"Babs"}}}]`,
		edit: func(d map[string]any) { sub(d, "name")["givenName"] = "Babs" }},
	{name: "path-less add appends to a multi-valued attribute",
		ops:  `[{"op":"add","value":{"emails":[{"value":"b@other.example","type":"other"}]}}]`,
		edit: func(d map[string]any) { appendElem(d, "emails", obj("value", "b@other.example", "type", "other")) }},
	{name: "path-less replace replaces a multi-valued attribute",
		ops:  `[{"op":"replace","value":{"emails":[{"value":"b@other.example","type":"other"}]}}]`,
		edit: func(d map[string]any) { d["emails"] = []any{obj("value", "b@other.example", "type", "other")} }},
	{name: "path-less URN-qualified manager as a raw id",
		ops:  `[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"mgr-2"}}]`,
		edit: func(d map[string]any) { ext(d)["manager"] = obj("value", "mgr-2") }},
	{name: "path-less: the more specific key wins",
		ops:  `[{"op":"replace","value":{"Name.GivenName":"B","name":{"givenName":"A"}}}]`,
		edit: func(d map[string]any) { sub(d, "name")["givenName"] = "B" }},
	{name: "path-less value must be an object", ops: `[{"op":"replace","value":"Babs"}]`,
		err: schema.InvalidValue, detail: "operation 1 (replace)"},
	{name: "path-less value null", ops: `[{"op":"add","value":null}]`, err: schema.InvalidValue},
	{name: "path-less attribute given twice", ops: `[{"op":"replace","value":{"title":"a","Title":"b"}}]`,
		err: schema.InvalidSyntax},
	{name: "path-less extension value not an object",
		ops: `[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}}]`,
		err: schema.InvalidValue},

	// 3. Paths.
	{name: "unparseable path", ops: `[{"op":"replace","path":"emails[type eq \"work\"","value":"x"}]`,
		err: schema.InvalidPath},
	{name: "unknown attribute", ops: `[{"op":"replace","path":"favouriteColour","value":"x"}]`,
		err: schema.InvalidPath, detail: "favouriteColour"},
	{name: "unknown sub-attribute", ops: `[{"op":"replace","path":"name.nick","value":"x"}]`,
		err: schema.InvalidPath},
	{name: "unknown sub-attribute after a filter", ops: `[{"op":"replace","path":"emails[type eq \"work\"].colour","value":"x"}]`,
		err: schema.InvalidPath},
	{name: "filter on a single-valued attribute", ops: `[{"op":"replace","path":"name[givenName eq \"Barbara\"].familyName","value":"x"}]`,
		err: schema.InvalidPath},
	{name: "unknown attribute inside a filter", ops: `[{"op":"replace","path":"emails[colour eq \"red\"].value","value":"x"}]`,
		err: schema.InvalidPath},
	{name: "readOnly id", ops: `[{"op":"replace","path":"id","value":"x"}]`, err: schema.Mutability},
	{name: "readOnly meta sub-attribute", ops: `[{"op":"replace","path":"meta.lastModified","value":"2026-01-01T00:00:00Z"}]`,
		err: schema.Mutability},
	{name: "readOnly groups", ops: `[{"op":"add","path":"groups","value":[{"value":"g1"}]}]`, err: schema.Mutability},
	{name: "readOnly manager.displayName",
		ops: `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"Boss"}]`,
		err: schema.Mutability},
	{name: "remove readOnly meta", ops: `[{"op":"remove","path":"meta"}]`, err: schema.Mutability},
	{name: "URN-qualified sub-attribute path",
		ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"mgr-2"}]`,
		edit: func(d map[string]any) { ext(d)["manager"] = obj("value", "mgr-2") }}, // the old $ref named mgr-1
	{name: "unqualified extension attribute", ops: `[{"op":"replace","path":"department","value":"Sales"}]`,
		edit: func(d map[string]any) { ext(d)["department"] = "Sales" }},
	{name: "core-URN-qualified path", ops: `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:userName","value":"babs@example.com"}]`,
		edit: func(d map[string]any) { d["userName"] = "babs@example.com" }},
	{name: "path in any case", ops: `[{"op":"replace","path":"NAME.GIVENNAME","value":"Babs"}]`,
		edit: func(d map[string]any) { sub(d, "name")["givenName"] = "Babs" }},
	{name: "schemas path is ignored", ops: `[{"op":"add","path":"schemas","value":["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]}]`,
		edit: func(d map[string]any) {}},

	// 4. add.
	{name: "add a single-valued attribute", ops: `[{"op":"add","path":"nickName","value":"Babs"}]`,
		edit: func(d map[string]any) { d["nickName"] = "Babs" }},
	{name: "add to a complex attribute merges", ops: `[{"op":"add","path":"name","value":{"middleName":"Jane"}}]`,
		edit: func(d map[string]any) { sub(d, "name")["middleName"] = "Jane" }},
	{name: "add a lone value to a multi-valued attribute", ops: `[{"op":"add","path":"emails","value":{"value":"b@other.example","type":"other"}}]`,
		edit: func(d map[string]any) { appendElem(d, "emails", obj("value", "b@other.example", "type", "other")) }},
	{name: "add a value already there is a no-op", ops: `[{"op":"add","path":"emails","value":[{"value":"babs@home.example","type":"home"}]}]`,
		edit: func(d map[string]any) {}},
	{name: "add null to a multi-valued attribute is a no-op", ops: `[{"op":"add","path":"emails","value":null}]`,
		edit: func(d map[string]any) {}},
	{name: "add on a filtered sub-attribute with no match creates the element",
		ops:  `[{"op":"add","path":"emails[type eq \"other\"].value","value":"babs@other.example"}]`,
		edit: func(d map[string]any) { appendElem(d, "emails", obj("type", "other", "value", "babs@other.example")) }},
	{name: "Entra: Add on a filtered sub-attribute with a match changes it (Q&A 1684621)",
		ops:  `[{"op":"Replace","path":"title","value":"tester"},{"op":"Add","path":"emails[type eq \"work\"].value","value":"babs@new.example"}]`,
		edit: func(d map[string]any) { d["title"] = "tester"; elem(d, "emails", 0)["value"] = "babs@new.example" }},
	{name: "Entra: Add phoneNumbers[type eq mobile].value creates the attribute",
		ops:  `[{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"}]`,
		edit: func(d map[string]any) { d["phoneNumbers"] = []any{obj("type", "mobile", "value", "+1 555 0100")} }},
	{name: "Entra: Add addresses[type eq work].postalCode creates the element",
		ops:  `[{"op":"Add","path":"addresses[type eq \"work\"].postalCode","value":"98052"}]`,
		edit: func(d map[string]any) { d["addresses"] = []any{obj("type", "work", "postalCode", "98052")} }},
	{name: "add on a filter that cannot describe an element, no match",
		ops: `[{"op":"add","path":"emails[value co \"nomatch\"].display","value":"x"}]`,
		err: schema.NoTarget, detail: "operation 1"},
	{name: "add a whole element through a filter with no match",
		ops: `[{"op":"add","path":"emails[type eq \"other\"]","value":{"value":"babs@other.example","display":"Other"}}]`,
		edit: func(d map[string]any) {
			appendElem(d, "emails", obj("type", "other", "value", "babs@other.example", "display", "Other"))
		}},

	// 5. replace.
	{name: "Entra update, one op per attribute",
		raw: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"babs@contoso.com"},{"op":"Replace","path":"name.familyName","value":"Jensen-Smith"},{"op":"Replace","path":"userName","value":"babs@contoso.com"}]}`,
		edit: func(d map[string]any) {
			elem(d, "emails", 0)["value"] = "babs@contoso.com"
			sub(d, "name")["familyName"] = "Jensen-Smith"
			d["userName"] = "babs@contoso.com"
		}},
	{name: "replace a whole multi-valued attribute", ops: `[{"op":"replace","path":"emails","value":[{"value":"x@example.com","type":"work","primary":true}]}]`,
		edit: func(d map[string]any) {
			d["emails"] = []any{obj("value", "x@example.com", "type", "work", "primary", true)}
		}},
	{name: "replace a complex attribute merges", ops: `[{"op":"replace","path":"name","value":{"familyName":"J"}}]`,
		edit: func(d map[string]any) { sub(d, "name")["familyName"] = "J" }},
	{name: "replace filtered elements merges the value over them",
		ops: `[{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"babs@new-home.example","display":"Home"}}]`,
		edit: func(d map[string]any) {
			e := elem(d, "emails", 1)
			e["value"], e["display"] = "babs@new-home.example", "Home"
		}},
	{name: "Entra: Replace addresses[type eq work].locality creates the element",
		ops:  `[{"op":"Replace","path":"addresses[type eq \"work\"].locality","value":"Redmond"}]`,
		edit: func(d map[string]any) { d["addresses"] = []any{obj("type", "work", "locality", "Redmond")} }},
	{name: "Entra: emails[type eq other].Value with a capital V",
		ops:  `[{"op":"Replace","path":"emails[type eq \"other\"].Value","value":"babs@other.example"}]`,
		edit: func(d map[string]any) { appendElem(d, "emails", obj("type", "other", "value", "babs@other.example")) }},
	{name: "replace with no match on a non-eq filter is noTarget",
		ops: `[{"op":"replace","path":"emails[type ne \"work\" and type ne \"home\"].value","value":"x@example.com"}]`,
		err: schema.NoTarget},
	{name: "replace with no match on an or filter is noTarget",
		ops: `[{"op":"replace","path":"emails[type eq \"other\" or value eq \"x\"].display","value":"x"}]`,
		err: schema.NoTarget},
	{name: "replace an attribute not yet set adds it", ops: `[{"op":"replace","path":"nickName","value":"Babs"}]`,
		edit: func(d map[string]any) { d["nickName"] = "Babs" }},
	{name: "replace filtered elements with null removes them", ops: `[{"op":"replace","path":"emails[type eq \"home\"]","value":null}]`,
		edit: func(d map[string]any) { d["emails"] = d["emails"].([]any)[:1] }},
	{name: "replace a sub-attribute of every element", ops: `[{"op":"replace","path":"emails.display","value":"E"}]`,
		edit: func(d map[string]any) {
			elem(d, "emails", 0)["display"] = "E"
			elem(d, "emails", 1)["display"] = "E"
		}},

	// 6. remove.
	{name: "remove without a path", ops: `[{"op":"remove"}]`, err: schema.NoTarget},
	{name: "remove without a path, with a value", ops: `[{"op":"remove","value":{"title":"x"}}]`, err: schema.NoTarget},
	{name: "remove a sub-attribute", ops: `[{"op":"remove","path":"name.formatted"}]`,
		edit: func(d map[string]any) { delete(sub(d, "name"), "formatted") }},
	{name: "remove a filtered element", ops: `[{"op":"remove","path":"emails[type eq \"home\"]"}]`,
		edit: func(d map[string]any) { d["emails"] = d["emails"].([]any)[:1] }},
	{name: "remove a filtered sub-attribute", ops: `[{"op":"remove","path":"emails[type eq \"work\"].primary"}]`,
		edit: func(d map[string]any) { delete(elem(d, "emails", 0), "primary") }},
	{name: "remove with a filter that matches nothing is a no-op", ops: `[{"op":"remove","path":"emails[type eq \"other\"]"}]`,
		edit: func(d map[string]any) {}},
	{name: "remove an attribute that is not set is a no-op", ops: `[{"op":"remove","path":"nickName"}]`,
		edit: func(d map[string]any) {}},
	{name: "remove the required userName", ops: `[{"op":"remove","path":"userName"}]`,
		err: schema.InvalidValue, detail: "userName"},
	{name: "remove a whole multi-valued attribute", ops: `[{"op":"remove","path":"emails"}]`,
		edit: func(d map[string]any) { delete(d, "emails") }},
	{name: "remove the extension", ops: `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
		edit: func(d map[string]any) { delete(d, enterprise) }},
	{name: "remove the manager", ops: `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]`,
		edit: func(d map[string]any) { delete(ext(d), "manager") }},
	{name: "remove manager.value removes the manager", ops: `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}]`,
		edit: func(d map[string]any) { delete(ext(d), "manager") }},
	{name: "remove the last extension attributes removes the extension",
		ops:  `[{"op":"remove","path":"employeeNumber"},{"op":"remove","path":"department"},{"op":"remove","path":"manager"}]`,
		edit: func(d map[string]any) { delete(d, enterprise) }},
	{name: "remove listed values only", ops: `[{"op":"remove","path":"emails","value":[{"value":"babs@home.example"}]}]`,
		edit: func(d map[string]any) { d["emails"] = d["emails"].([]any)[:1] }},
	{name: "remove the last value by filter leaves the attribute unassigned", ops: `[{"op":"remove","path":"roles[value eq \"User\"]"}]`,
		edit: func(d map[string]any) { delete(d, "roles") }},

	// 7. Values.
	{name: "Entra disable with the string False", ops: `[{"op":"Replace","path":"active","value":"False"}]`,
		edit: func(d map[string]any) { d["active"] = false }},
	{name: "Entra disable with the flag (boolean)", ops: `[{"op":"replace","path":"active","value":false}]`,
		edit: func(d map[string]any) { d["active"] = false }},
	{name: "enable with the string True", ops: `[{"op":"Replace","path":"active","value":"False"},{"op":"Replace","path":"active","value":"True"}]`,
		edit: func(d map[string]any) {}},
	{name: "Entra: Add manager as a raw id",
		ops:  `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"mgr-2"}]`,
		edit: func(d map[string]any) { ext(d)["manager"] = obj("value", "mgr-2") }},
	{name: "Entra: Replace manager with a raw id",
		ops:  `[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"mgr-3"}]`,
		edit: func(d map[string]any) { ext(d)["manager"] = obj("value", "mgr-3") }},
	{name: "Entra: Replace manager with an empty string removes it",
		ops:  `[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]`,
		edit: func(d map[string]any) { delete(ext(d), "manager") }},
	{name: "Entra: Add manager with an empty string removes it",
		ops:  `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]`,
		edit: func(d map[string]any) { delete(ext(d), "manager") }},
	{name: "manager {value: \"\"} removes it",
		ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":""}}]`,
		edit: func(d map[string]any) { delete(ext(d), "manager") }},
	{name: "manager null removes it",
		ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":null}]`,
		edit: func(d map[string]any) { delete(ext(d), "manager") }},
	{name: "manager as an object, the stale $ref dropped",
		ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"mgr-4"}}]`,
		edit: func(d map[string]any) { ext(d)["manager"] = obj("value", "mgr-4") }},
	{name: "manager object with value and $ref",
		ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"mgr-4","$ref":"../Users/mgr-4","displayName":"ignored"}}]`,
		edit: func(d map[string]any) { ext(d)["manager"] = obj("value", "mgr-4", "$ref", "../Users/mgr-4") }},
	{name: "replace with an empty string removes a single-valued attribute", ops: `[{"op":"replace","path":"displayName","value":""}]`,
		edit: func(d map[string]any) { delete(d, "displayName") }},
	{name: "replace with null removes a single-valued attribute", ops: `[{"op":"replace","path":"displayName","value":null}]`,
		edit: func(d map[string]any) { delete(d, "displayName") }},
	{name: "wrong type for a boolean", ops: `[{"op":"replace","path":"active","value":5}]`, err: schema.InvalidValue},
	{name: "wrong type for a complex attribute", ops: `[{"op":"replace","path":"name","value":5}]`, err: schema.InvalidValue},
	{name: "array for a single-valued attribute", ops: `[{"op":"replace","path":"title","value":["a","b"]}]`, err: schema.InvalidValue},
	{name: "wrong type for a filtered sub-attribute", ops: `[{"op":"replace","path":"emails[type eq \"work\"].primary","value":"maybe"}]`,
		err: schema.InvalidValue},
	{name: "two values for a filtered path", ops: `[{"op":"replace","path":"emails[type eq \"work\"]","value":[{"value":"a@x"},{"value":"b@x"}]}]`,
		err: schema.InvalidValue},
	{name: "names and canonical values take their canonical case", ops: `[{"op":"add","path":"emails","value":[{"Value":"x@example.com","TYPE":"Work"}]}]`,
		edit: func(d map[string]any) { appendElem(d, "emails", obj("value", "x@example.com", "type", "work")) }},
	{name: "employeeNumber as a JSON number", ops: `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":42}]`,
		edit: func(d map[string]any) { ext(d)["employeeNumber"] = "42" }},

	// 8. primary.
	{name: "add a primary value clears the old primary",
		ops: `[{"op":"add","path":"emails","value":[{"value":"b@other.example","type":"other","primary":true}]}]`,
		edit: func(d map[string]any) {
			elem(d, "emails", 0)["primary"] = false
			appendElem(d, "emails", obj("value", "b@other.example", "type", "other", "primary", true))
		}},
	{name: "set primary on a filtered element clears the old primary",
		ops: `[{"op":"replace","path":"emails[type eq \"home\"].primary","value":"True"}]`,
		edit: func(d map[string]any) {
			elem(d, "emails", 0)["primary"] = false
			elem(d, "emails", 1)["primary"] = true
		}},
	{name: "a replacement list with two primaries", ops: `[{"op":"replace","path":"emails","value":[{"value":"a@x","primary":true},{"value":"b@x","primary":true}]}]`,
		err: schema.InvalidValue},

	// 9. value is required for add and replace.
	{name: "add without value", ops: `[{"op":"add","path":"title"}]`, err: schema.InvalidValue, detail: "operation 1"},
	{name: "replace without value", ops: `[{"op":"replace","path":"title","value":"x"},{"op":"Replace","path":"title"}]`,
		err: schema.InvalidValue, detail: "operation 2"},

	// 11. Entra app roles.
	{name: "Entra AppRoleAssignmentsComplex: Add roles with JSON-string values",
		ops: `[{"op":"Add","path":"roles","value":[{"primary":false,"value":"{\"id\":\"4a4ad7d8-7c2d-4a2b-9a4f-0d1f0e4b2a11\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}]`,
		edit: func(d map[string]any) {
			appendElem(d, "roles", obj("primary", false, "value", `{"id":"4a4ad7d8-7c2d-4a2b-9a4f-0d1f0e4b2a11","value":"Admin","displayName":"Admin"}`))
		}},
	{name: "Entra SingleAppRoleAssignment: Replace roles[primary eq \"True\"].value",
		ops:  `[{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Admin"}]`,
		edit: func(d map[string]any) { elem(d, "roles", 0)["value"] = "Admin" }},
	{name: "Entra SingleAppRoleAssignment creates the primary role",
		ops: `[{"op":"remove","path":"roles"},{"op":"add","path":"roles","value":[{"value":"Reader"}]},{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"Admin"}]`,
		edit: func(d map[string]any) {
			d["roles"] = []any{obj("value", "Reader"), obj("primary", true, "value", "Admin")}
		}},
	{name: "the created primary role clears the others",
		ops: `[{"op":"replace","path":"roles","value":[{"value":"Reader","primary":true}]},{"op":"Replace","path":"roles[primary eq \"True\" and value eq \"Admin\"].display","value":"Admin"}]`,
		edit: func(d map[string]any) {
			d["roles"] = []any{obj("value", "Reader", "primary", false), obj("primary", true, "value", "Admin", "display", "Admin")}
		}},
	{name: "boolean literal in a filter (roles[primary eq true])",
		ops:  `[{"op":"Replace","path":"roles[primary eq true].value","value":"ORGANIZATION_INTERNAL_ADMIN"}]`,
		edit: func(d map[string]any) { elem(d, "roles", 0)["value"] = "ORGANIZATION_INTERNAL_ADMIN" }},
	{name: "Entra AssertiveAppRoleAssignmentsComplex: replace roles",
		ops:  `[{"op":"replace","path":"roles","value":[{"display":"Admin","value":"Admin"}]}]`,
		edit: func(d map[string]any) { d["roles"] = []any{obj("display", "Admin", "value", "Admin")} }},

	// 10. Groups.
	{name: "Entra: Replace group displayName", group: true, ops: `[{"op":"Replace","path":"displayName","value":"Admins 2"}]`,
		edit: func(d map[string]any) { d["displayName"] = "Admins 2" }},
	{name: "Entra: Add members with $ref null", group: true,
		raw:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u9"}]}]}`,
		edit: func(d map[string]any) { appendElem(d, "members", obj("value", "u9")) }},
	{name: "Entra without the flag: Remove members with a value list removes only those", group: true,
		raw:  `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"u2"}]}]}`,
		edit: func(d map[string]any) { d["members"] = []any{elem(d, "members", 0), elem(d, "members", 2)} }},
	{name: "Entra with the flag: remove members[value eq id]", group: true,
		ops:  `[{"op":"remove","path":"members[value eq \"u2\"]"}]`,
		edit: func(d map[string]any) { d["members"] = []any{elem(d, "members", 0), elem(d, "members", 2)} }},
	{name: "Okta: group rename with the read-only id in the value", group: true,
		ops:  `[{"op":"replace","value":{"id":"grp-1","displayName":"Admins 2"}}]`,
		edit: func(d map[string]any) { d["displayName"] = "Admins 2" }},
	{name: "Okta: membership remove and add in one request", group: true,
		raw: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"u2\"]"},{"op":"add","path":"members","value":[{"value":"u9","display":"Zed"}]}]}`,
		edit: func(d map[string]any) {
			d["members"] = []any{elem(d, "members", 0), elem(d, "members", 2), obj("value", "u9", "display", "Zed")}
		}},
	{name: "Okta: full member push", group: true,
		ops: `[{"op":"replace","path":"members","value":[{"value":"u1","display":"Alice"},{"value":"u9","display":"Zed"}]}]`,
		edit: func(d map[string]any) {
			d["members"] = []any{obj("value", "u1", "display", "Alice"), obj("value", "u9", "display", "Zed")}
		}},
	{name: "adding a member twice is a no-op", group: true,
		ops:  `[{"op":"add","path":"members","value":[{"value":"u1","display":"Alice A."},{"value":"U2"},{"value":"u9"},{"value":"u9"}]}]`,
		edit: func(d map[string]any) { appendElem(d, "members", obj("value", "u9")) }},
	{name: "removing an unknown listed member is a no-op", group: true,
		ops:  `[{"op":"Remove","path":"members","value":[{"value":"nope"}]}]`,
		edit: func(d map[string]any) {}},
	{name: "removing with an empty value list removes nothing", group: true,
		ops:  `[{"op":"Remove","path":"members","value":[]}]`,
		edit: func(d map[string]any) {}},
	{name: "removing members without a value removes them all", group: true,
		ops:  `[{"op":"remove","path":"members"}]`,
		edit: func(d map[string]any) { delete(d, "members") }},
	{name: "removing every member one by one leaves members unassigned", group: true,
		ops:  `[{"op":"remove","path":"members[value eq \"u1\"]"},{"op":"remove","path":"members[value eq \"u2\"]"},{"op":"remove","path":"members[value eq \"u3\"]"},{"op":"remove","path":"members[value eq \"u3\"]"}]`,
		edit: func(d map[string]any) { delete(d, "members") }},
	{name: "a member's value is immutable", group: true,
		ops: `[{"op":"replace","path":"members[value eq \"u1\"].value","value":"u7"}]`,
		err: schema.Mutability},
	{name: "a member's display can change", group: true,
		ops:  `[{"op":"replace","path":"members[value eq \"u2\"].display","value":"Robert"}]`,
		edit: func(d map[string]any) { elem(d, "members", 1)["display"] = "Robert" }},
	{name: "remove the group's required displayName", group: true,
		ops: `[{"op":"remove","path":"displayName"}]`,
		err: schema.InvalidValue},

	// 13. Errors name the operation and its path.
	{name: "error names the operation and its path",
		ops: `[{"op":"replace","path":"title","value":"x"},{"op":"replace","path":"active","value":"maybe"}]`,
		err: schema.InvalidValue, detail: "operation 2 (replace active)"},
}

func TestApply(t *testing.T) {
	users, groups := resourceType(t, "User"), resourceType(t, "Group")
	for _, c := range applyCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt, base := users, baseUser
			if c.group {
				rt, base = groups, baseGroup
			}
			doc := canonical(t, rt, base)
			before := schema.CopyDoc(doc)
			text := c.raw
			if text == "" {
				text = body(c.ops)
			}
			ops, err := parse(t, text)
			var got map[string]any
			if err == nil {
				got, err = Apply(rt, doc, ops)
			}
			if !schema.Equal(doc, before) {
				t.Fatalf("the input document was modified:\n%s", pretty(doc))
			}
			if c.err != "" {
				if err == nil {
					t.Fatalf("want a %s error, got success:\n%s", c.err, pretty(got))
				}
				if st := scimType(err); st != c.err {
					t.Fatalf("scimType = %s, want %s (%v)", st, c.err, err)
				}
				if se := err.(*schema.Error); !strings.Contains(se.Detail, c.detail) {
					t.Fatalf("detail %q does not contain %q", se.Detail, c.detail)
				}
				if got != nil {
					t.Fatalf("a failed PATCH returned a document")
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			want := schema.CopyDoc(before)
			c.edit(want)
			if !schema.Equal(got, want) {
				t.Fatalf("got\n%s\nwant\n%s", pretty(got), pretty(want))
			}
			again, err := rt.Normalize(got)
			if err != nil || !schema.Equal(again, got) {
				t.Fatalf("the result is not canonical: %v\n%s", err, pretty(again))
			}
		})
	}
}

// TestApplyAtomic: when the second operation fails, the first is not applied
// either, and the input is untouched.
func TestApplyAtomic(t *testing.T) {
	rt := resourceType(t, "User")
	cases := map[string]string{
		"invalid value":   `[{"op":"replace","path":"displayName","value":"Changed"},{"op":"replace","path":"active","value":"maybe"}]`,
		"unknown path":    `[{"op":"remove","path":"emails"},{"op":"add","path":"nope","value":"x"}]`,
		"noTarget":        `[{"op":"add","path":"title","value":"x"},{"op":"replace","path":"emails[value co \"none\"].display","value":"x"}]`,
		"final normalize": `[{"op":"replace","path":"title","value":"x"},{"op":"remove","path":"userName"}]`,
	}
	for name, ops := range cases {
		t.Run(name, func(t *testing.T) {
			doc := canonical(t, rt, baseUser)
			before := schema.CopyDoc(doc)
			parsed, err := parse(t, body(ops))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Apply(rt, doc, parsed)
			if err == nil {
				t.Fatalf("want an error, got\n%s", pretty(got))
			}
			if _, ok := err.(*schema.Error); !ok {
				t.Fatalf("error %T is not a *schema.Error", err)
			}
			if got != nil {
				t.Fatal("a failed PATCH returned a document")
			}
			if !schema.Equal(doc, before) {
				t.Fatalf("the input document changed:\n%s", pretty(doc))
			}
		})
	}
}

// TestApplyNoAliasing: on success the input document and the operation
// values are untouched, and the result shares no map or slice with either.
func TestApplyNoAliasing(t *testing.T) {
	rt := resourceType(t, "User")
	doc := canonical(t, rt, baseUser)
	before := schema.CopyDoc(doc)
	ops, err := parse(t, body(`[
		{"op":"add","path":"emails","value":[{"value":"new@example.com","type":"other","primary":true}]},
		{"op":"replace","path":"name","value":{"givenName":"Babs"}},
		{"op":"replace","path":"emails[type eq \"home\"].display","value":"Home"},
		{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	opsBefore := schema.DeepCopy([]any{ops[0].Value, ops[1].Value, ops[2].Value, ops[3].Value})
	got, err := Apply(rt, doc, ops)
	if err != nil {
		t.Fatal(err)
	}
	if !schema.Equal(doc, before) {
		t.Fatalf("the input document changed:\n%s", pretty(doc))
	}
	if !schema.Equal([]any{ops[0].Value, ops[1].Value, ops[2].Value, ops[3].Value}, opsBefore) {
		t.Fatal("the operation values changed")
	}
	// Scribble over the result: neither input may see it.
	for _, e := range got["emails"].([]any) {
		e.(map[string]any)["value"] = "scribbled"
	}
	got["name"].(map[string]any)["givenName"] = "scribbled"
	got[enterprise].(map[string]any)["department"] = "scribbled"
	if !schema.Equal(doc, before) {
		t.Fatal("the result shares data with the input document")
	}
	if !schema.Equal([]any{ops[0].Value, ops[1].Value, ops[2].Value, ops[3].Value}, opsBefore) {
		t.Fatal("the result shares data with the operation values")
	}
}

// TestApplyDirect covers callers that build operations without ParseRequest.
func TestApplyDirect(t *testing.T) {
	rt := resourceType(t, "User")
	doc := canonical(t, rt, baseUser)

	_, err := Apply(rt, doc, []Operation{{Op: "replace", Path: "title", Value: "x"}, {Op: "move", Path: "title"}})
	if scimType(err) != schema.InvalidSyntax || !strings.Contains(err.(*schema.Error).Detail, `unknown op "move" in operation 2`) {
		t.Fatalf("unknown op: %v", err)
	}

	many := make([]Operation, MaxOperations+1)
	for i := range many {
		many[i] = Operation{Op: "replace", Path: "title", Value: "x"}
	}
	if _, err := Apply(rt, doc, many); scimType(err) != schema.TooMany {
		t.Fatalf("too many operations: %v", err)
	}

	got, err := Apply(rt, nil, []Operation{{Op: "add", Value: map[string]any{"userName": "new"}}})
	if err != nil || !schema.Equal(got, map[string]any{"userName": "new"}) {
		t.Fatalf("nil document: %v %v", got, err)
	}

	// A nil Value on replace is an explicit null: the attribute is removed.
	got, err = Apply(rt, doc, []Operation{{Op: "Replace", Path: "displayName"}})
	if err != nil || got["displayName"] != nil {
		t.Fatalf("replace with nil value: %v %v", got, err)
	}

	// Path with surrounding spaces.
	got, err = Apply(rt, doc, []Operation{{Op: "replace", Path: " title ", Value: "x"}})
	if err != nil || got["title"] != "x" {
		t.Fatalf("path with spaces: %v %v", got, err)
	}
}

// TestApplyImmutable: the result is checked with CheckImmutable, so an
// immutable attribute can be set once but not changed or removed.
func TestApplyImmutable(t *testing.T) {
	reg, err := schema.Load(fstest.MapFS{
		"schemas/thing.json": {Data: []byte(`{"id":"urn:test:Thing","name":"Thing","attributes":[
			{"name":"label","type":"string","mutability":"readWrite","returned":"default"},
			{"name":"serial","type":"string","mutability":"immutable","returned":"default"}]}`)},
		"resourcetypes/thing.json": {Data: []byte(`{"id":"Thing","name":"Thing","endpoint":"/Things","schema":"urn:test:Thing","schemaExtensions":[]}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := reg.ResourceType("Thing")
	for _, c := range []struct {
		doc string
		op  Operation
		err string
	}{
		{`{"label":"a"}`, Operation{Op: "add", Path: "serial", Value: "s1"}, ""},
		{`{"serial":"s1"}`, Operation{Op: "replace", Path: "serial", Value: "s1"}, ""},
		{`{"serial":"s1"}`, Operation{Op: "replace", Path: "serial", Value: "s2"}, schema.Mutability},
		{`{"serial":"s1"}`, Operation{Op: "remove", Path: "serial"}, schema.Mutability},
		{`{"serial":"s1"}`, Operation{Op: "replace", Value: map[string]any{"serial": "s2"}}, schema.Mutability},
	} {
		_, err := Apply(rt, canonical(t, rt, c.doc), []Operation{c.op})
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s on %s: %v", c.op.Op, c.doc, err)
		case c.err != "" && scimType(err) != c.err:
			t.Errorf("%s on %s: got %v, want %s", c.op.Op, c.doc, err, c.err)
		}
	}
}
