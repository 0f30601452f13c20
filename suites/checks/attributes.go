package checks

import (
	"net/http"

	"github.com/scimharness/scimharness/harness/scenario"
)

func attributes() []Check {
	var cs []Check
	add := func(c Check) { cs = append(cs, c) }
	const attrs = "RFC 7644 §3.4.2.5, §3.9"
	add(Check{
		ID: "attributes/attributes", Name: "attributes=userName returns userName, id and schemas only", Clause: attrs,
		Steps: []scenario.Step{
			createUser("u", userBody("attr", "ann", map[string]any{"title": "Engineer", "displayName": "Ann"})),
			get("GET ?attributes=userName", "/Users/${u}?attributes=userName", status(http.StatusOK), bodyIs("userName", uname("attr", "ann")), bodyIs("id", "${u}"), present("schemas"), absent("title"), absent("displayName")),
		},
	})
	add(Check{
		ID: "attributes/excluded", Name: "excludedAttributes=title leaves title out and the rest in", Clause: attrs,
		Steps: []scenario.Step{
			createUser("u", userBody("xattr", "ann", map[string]any{"title": "Engineer", "displayName": "Ann"})),
			get("GET ?excludedAttributes=title", "/Users/${u}?excludedAttributes=title", status(http.StatusOK), absent("title"), bodyIs("displayName", "Ann"), bodyIs("id", "${u}")),
		},
	})
	add(listCheck("attributes/list", "attributes apply to every resource of a list", attrs, nil,
		map[string]string{"attributes": "userName"}, absent("Resources.0.title"), present("Resources.0.userName"), present("Resources.0.id")))
	return cs
}
