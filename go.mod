module github.com/scimharness/scimharness

go 1.26
