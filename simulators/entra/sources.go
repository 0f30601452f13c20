package entra

import "strings"

// docs are the documents Entra's steps cite, by the name a source gives
// them ("Microsoft Learn: SCIM tutorial, Known issues"). A step that names
// one and has no SourceURL of its own links to the first it names, so that
// a report's source is a document to open by name and by link (issue 19:
// the reports showed TUT, HOW, MAP, QUAR and KNOWN as bare tags).
var docs = []struct{ name, url string }{
	{"SCIM tutorial", tutURL}, // Tutorial: develop and plan provisioning for a SCIM endpoint
	{"Known issues", "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility"},
	{"How provisioning works", "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works"},
	{"Quarantine status", "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status"},
	{"Attribute mappings", "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes"},
	{"On-demand provisioning", "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/provision-on-demand"},
	{"SCIMReferenceCode", "https://github.com/AzureAD/SCIMReferenceCode"},
}

// sourceURL is the address of the first document source names, or "" when
// it names none.
func sourceURL(source string) string {
	first, url := len(source), ""
	for _, d := range docs {
		if i := strings.Index(source, d.name); i >= 0 && i < first {
			first, url = i, d.url
		}
	}
	return url
}

// docURL is the address of the document named name.
func docURL(name string) string {
	for _, d := range docs {
		if d.name == name {
			return d.url
		}
	}
	return ""
}
