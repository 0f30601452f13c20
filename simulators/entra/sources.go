package entra

import (
	"strings"
	"unicode"
)

// docs are the documents Entra's steps cite by tag in their Source (see the
// package doc), e.g. "Entra TUT, KNOWN", by tag. A step that names one and
// has no SourceURL of its own links to the first it names, so that a
// report's source is a link to read, not a tag to decode (issue 19).
var docs = map[string]string{
	"TUT":   tutURL, // Tutorial: develop and plan provisioning for a SCIM endpoint
	"KNOWN": "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility",
	"HOW":   "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works",
	"QUAR":  "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status",
	"MAP":   "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes",
	"REF":   "https://github.com/AzureAD/SCIMReferenceCode",
}

// sourceURL is the address of the first document source names by its tag
// (a word of its own), or "" when it names none.
func sourceURL(source string) string {
	for _, w := range strings.FieldsFunc(source, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if url, ok := docs[w]; ok {
			return url
		}
	}
	return ""
}
