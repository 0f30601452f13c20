package checks

import "github.com/scimharness/scimharness/harness/target"

func sorting() []Check {
	var cs []Check
	add := func(c Check) { cs = append(cs, c) }
	id := "sort/ascending"
	add(listCheck(id, "sortBy=userName sorts ascending by default", "RFC 7644 §3.4.2.3", []string{target.Sort},
		map[string]string{"sortBy": "userName"}, namesAre(true, names(tagOf(id), "alice", "bob", "carol")...)))
	id = "sort/descending"
	add(listCheck(id, "sortOrder=descending", "RFC 7644 §3.4.2.3", []string{target.Sort},
		map[string]string{"sortBy": "userName", "sortOrder": "descending"}, namesAre(true, names(tagOf(id), "carol", "bob", "alice")...)))
	id = "sort/sub-attribute"
	add(listCheck(id, "sortBy=name.familyName", "RFC 7644 §3.4.2.3", []string{target.Sort},
		map[string]string{"sortBy": "name.familyName"}, namesAre(true, names(tagOf(id), "carol", "bob", "alice")...)))
	return cs
}
