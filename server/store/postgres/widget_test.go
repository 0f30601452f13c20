package postgres

import (
	"testing/fstest"

	"github.com/scimharness/scimharness/server/schema"
)

// widgetSchemas is a registry with an attribute of every SCIM type, single
// and multi-valued, caseExact and not, plain, complex and in an extension:
// the default User and Group schemas have no integer, decimal or
// multi-valued simple attributes, and filters on those must translate too.
var widgetSchemas = fstest.MapFS{
	"schemas/widget.json": {Data: []byte(`{
  "id": "urn:example:scim:schemas:Widget", "name": "Widget",
  "attributes": [
    {"name": "name", "type": "string", "required": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "code", "type": "string", "caseExact": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "count", "type": "integer", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "ratio", "type": "decimal", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "enabled", "type": "boolean", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "seen", "type": "dateTime", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "blob", "type": "binary", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "link", "type": "reference", "referenceTypes": ["external"], "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "secret", "type": "string", "mutability": "writeOnly", "returned": "never", "uniqueness": "none"},
    {"name": "tags", "type": "string", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "sizes", "type": "integer", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "times", "type": "dateTime", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "parts", "type": "complex", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
     "subAttributes": [
       {"name": "value", "type": "string", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "kind", "type": "string", "caseExact": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "weight", "type": "decimal", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "qty", "type": "integer", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "at", "type": "dateTime", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "primary", "type": "boolean", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "labels", "type": "string", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
     ]},
    {"name": "spec", "type": "complex", "mutability": "readWrite", "returned": "default", "uniqueness": "none",
     "subAttributes": [
       {"name": "value", "type": "string", "caseExact": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "level", "type": "integer", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "note", "type": "string", "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
     ]}
  ]}`)},
	"schemas/widget_ext.json": {Data: []byte(`{
  "id": "urn:example:scim:schemas:extension:Widget", "name": "WidgetExtension",
  "attributes": [
    {"name": "score", "type": "decimal", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
    {"name": "owner", "type": "complex", "mutability": "readWrite", "returned": "default", "uniqueness": "none",
     "subAttributes": [
       {"name": "value", "type": "string", "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
       {"name": "since", "type": "dateTime", "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
     ]},
    {"name": "flags", "type": "boolean", "multiValued": true, "mutability": "readWrite", "returned": "default", "uniqueness": "none"}
  ]}`)},
	"schemas/gadget.json": {Data: []byte(`{
  "id": "urn:example:scim:schemas:Gadget", "name": "Gadget",
  "attributes": [
    {"name": "serial", "type": "string", "mutability": "readWrite", "returned": "default", "uniqueness": "server"},
    {"name": "label", "type": "string", "caseExact": true, "mutability": "readWrite", "returned": "default", "uniqueness": "server"}
  ]}`)},
	"resourcetypes/widget.json": {Data: []byte(`{
  "id": "Widget", "name": "Widget", "endpoint": "/Widgets", "schema": "urn:example:scim:schemas:Widget",
  "schemaExtensions": [{"schema": "urn:example:scim:schemas:extension:Widget", "required": false}]}`)},
	"resourcetypes/gadget.json": {Data: []byte(`{
  "id": "Gadget", "name": "Gadget", "endpoint": "/Gadgets", "schema": "urn:example:scim:schemas:Gadget",
  "schemaExtensions": []}`)},
}

// testTypes returns the resource types of widgetSchemas.
func testTypes() (widget, gadget *schema.ResourceType) {
	reg, err := schema.Load(widgetSchemas)
	if err != nil {
		panic(err)
	}
	widget, _ = reg.ResourceType("Widget")
	gadget, _ = reg.ResourceType("Gadget")
	return widget, gadget
}
