// Package scim is the vocabulary both sides of the protocol speak: the
// schema and message URNs of RFC 7643 and RFC 7644, the media type, and the
// URNs identity providers add. It is the bottom of the module: it imports no
// package of the module, and every other package takes these names from
// here, so each is declared once.
package scim

// Schema URNs (RFC 7643 §8.7.1, §8.7.2).
const (
	UserURN           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupURN          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	SchemaURN         = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	ResourceTypeURN   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	SPConfigURN       = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
)

// Message URNs (RFC 7644 §3.4.2, §3.4.3, §3.5.2, §3.7, §3.12).
const (
	ListResponseURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	PatchOpURN       = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	SearchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	BulkRequestURN   = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	BulkResponseURN  = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	ErrorURN         = "urn:ietf:params:scim:api:messages:2.0:Error"
)

// URNs that identity providers send beside the RFC's.
const (
	// SCIM1CoreURN is SCIM 1.0's core schema; Google and OneLogin list it
	// next to (or instead of) the 2.0 User URN.
	SCIM1CoreURN = "urn:scim:schemas:core:1.0"
	// ADSCIMGroupURN is the group schema Entra ID's older gallery apps list.
	ADSCIMGroupURN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
)

// MediaType is the SCIM media type (RFC 7644 §3.1, §8.1).
const MediaType = "application/scim+json"
