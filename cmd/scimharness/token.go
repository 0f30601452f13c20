package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scimharness/scimharness/server"
)

const tokenHelp = `Usage:
  scimharness token create --config FILE --tenant T
  scimharness token revoke --config FILE --tenant T (--token-sha256 H | --token-stdin)
  scimharness token list   --config FILE

Manages the bearer tokens of the tenants in a serve --config file, the way
Humbol's admin page does (seed 000): a token is created at random, shown ONCE
on stdout, and only its SHA-256 is written to the file (token_sha256 of the
tenant, which is created if needed); the token itself is kept nowhere, so a
lost token is revoked and replaced, never recovered. revoke removes a token
by its hash, or by the token read from stdin; list prints hashes only.
A running serve sees a change of its tokens within a second or two, without
a restart (a file that does not load is refused and logged, and the tokens
in use stay); profiles and their settings are read at start.

Flags:
`

// token runs `scimharness token create|revoke|list`.
func token(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(stderr, tokenHelp)
			return exitUsage
		}
		fmt.Fprint(stdout, tokenHelp)
		return exitOK
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	setUsage(fs, tokenHelp, nil)
	configFile := fs.String("config", "", "the serve --config file (YAML or JSON) to change")
	tenant := fs.String("tenant", "", "tenant id (create, revoke)")
	hash := fs.String("token-sha256", "", "revoke: the SHA-256 of the token, 64 hex digits")
	fromStdin := fs.Bool("token-stdin", false, "revoke: read the token itself from stdin")
	if code, ok := parseFlags(fs, "token "+sub, args[1:], stdout, stderr); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "scimharness token %s: %s\n", sub, fmt.Sprintf(format, a...))
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected argument %q", fs.Arg(0))
	}
	if *configFile == "" {
		return fail(exitUsage, "--config is required")
	}
	switch sub {
	case "create":
		if *tenant == "" {
			return fail(exitUsage, "--tenant is required")
		}
		if err := server.NewTenants().Add(*tenant, server.TokenHash{}); err != nil {
			return fail(exitUsage, "%v", err)
		}
		tok, err := newToken()
		if err != nil {
			return fail(exitFail, "%v", err)
		}
		h := server.HashToken(tok)
		err = editConfig(*configFile, true, func(root *yaml.Node) error {
			t := tenantNode(root, *tenant, true)
			seq := mapSeq(t, "token_sha256", true)
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: hex.EncodeToString(h[:])})
			return nil
		})
		if err != nil {
			return fail(exitFail, "%v", err)
		}
		// The one and only time the token is shown.
		fmt.Fprintln(stdout, tok)
		fmt.Fprintf(stderr, "token created for tenant %q (sha256 %x); it is shown once and not kept: store it now\n", *tenant, h[:])
		return exitOK
	case "revoke":
		if *tenant == "" {
			return fail(exitUsage, "--tenant is required")
		}
		var h server.TokenHash
		switch {
		case *hash != "" && *fromStdin:
			return fail(exitUsage, "give --token-sha256 or --token-stdin, not both")
		case *hash != "":
			var err error
			if h, err = server.ParseTokenHash(*hash); err != nil {
				return fail(exitUsage, "%v", err)
			}
		case *fromStdin:
			line, err := bufio.NewReader(stdin).ReadString('\n')
			line = strings.TrimSpace(line)
			if line == "" {
				return fail(exitUsage, "no token on stdin (%v)", err)
			}
			h = server.HashToken(line)
		default:
			return fail(exitUsage, "--token-sha256 or --token-stdin is required")
		}
		removed := 0
		err := editConfig(*configFile, false, func(root *yaml.Node) error {
			t := tenantNode(root, *tenant, false)
			if t == nil {
				return fmt.Errorf("tenant %q is not in %s", *tenant, *configFile)
			}
			if seq := mapSeq(t, "token_sha256", false); seq != nil {
				removed += filterSeq(seq, func(v string) bool {
					x, err := server.ParseTokenHash(v)
					return err == nil && x == h
				})
			}
			// A token written in clear under tokens: goes too.
			if seq := mapSeq(t, "tokens", false); seq != nil {
				removed += filterSeq(seq, func(v string) bool { return server.HashToken(v) == h })
			}
			if removed == 0 {
				return fmt.Errorf("tenant %q has no token with sha256 %x", *tenant, h[:])
			}
			return nil
		})
		if err != nil {
			return fail(exitFail, "%v", err)
		}
		fmt.Fprintf(stdout, "revoked %x for tenant %q\n", h[:], *tenant)
		return exitOK
	case "list":
		fc, err := readFileConfig(*configFile)
		if err != nil {
			return fail(exitFail, "%v", err)
		}
		for _, tc := range fc.Tenants {
			if *tenant != "" && tc.ID != *tenant {
				continue
			}
			for _, hs := range tc.TokenSHA256 {
				fmt.Fprintf(stdout, "%s\t%s\n", tc.ID, strings.TrimPrefix(strings.ToLower(hs), "sha256:"))
			}
			for _, tok := range tc.Tokens {
				h := server.HashToken(tok)
				fmt.Fprintf(stdout, "%s\t%x\t(clear text in the file: replace it with token create)\n", tc.ID, h[:])
			}
		}
		return exitOK
	}
	return fail(exitUsage, "unknown subcommand; use create, revoke or list")
}

// newToken is 32 random bytes, base64url: 256 bits, safe in a header.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// editConfig applies edit to the YAML tree of the config file and writes it
// back atomically (a temporary file renamed over it), keeping the other
// keys and comments. A missing file is created when create is set.
func editConfig(path string, create bool, edit func(root *yaml.Node) error) error {
	raw, err := os.ReadFile(path)
	mode := os.FileMode(0o600)
	switch {
	case errors.Is(err, os.ErrNotExist) && create:
		raw = nil
	case err != nil:
		return err
	default:
		if st, err := os.Stat(path); err == nil {
			mode = st.Mode().Perm()
		}
	}
	var doc yaml.Node
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return configError(path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s: the top level is not a mapping", path)
	}
	if err := edit(doc.Content[0]); err != nil {
		return err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	enc.Close()
	// The result must still be a config serve accepts.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".scimharness-config-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if _, err := readFileConfig(tmp.Name()); err != nil {
		return fmt.Errorf("refusing to write an invalid config: %v", err)
	}
	return os.Rename(tmp.Name(), path)
}

// mapGet returns the value node of key in mapping m, or nil.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mapSeq returns the sequence under key in mapping m, adding an empty one
// when create is set (a null value counts as absent).
func mapSeq(m *yaml.Node, key string, create bool) *yaml.Node {
	v := mapGet(m, key)
	if v != nil && v.Kind == yaml.SequenceNode {
		if create {
			v.Style = 0 // block style, one item per line
		}
		return v
	}
	if !create {
		return nil
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if v != nil {
		*v = *seq
		return v
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, seq)
	return seq
}

// tenantNode returns the mapping of tenant id under root's tenants, adding
// it when create is set.
func tenantNode(root *yaml.Node, id string, create bool) *yaml.Node {
	seq := mapSeq(root, "tenants", create)
	if seq == nil {
		return nil
	}
	for _, t := range seq.Content {
		if t.Kind == yaml.MappingNode {
			if v := mapGet(t, "id"); v != nil && v.Value == id {
				return t
			}
		}
	}
	if !create {
		return nil
	}
	t := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "id"},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: id, Style: yaml.DoubleQuotedStyle},
	}}
	seq.Content = append(seq.Content, t)
	return t
}

// filterSeq removes the scalars of seq for which drop is true and returns
// how many it removed.
func filterSeq(seq *yaml.Node, drop func(string) bool) int {
	kept := seq.Content[:0]
	n := 0
	for _, v := range seq.Content {
		if v.Kind == yaml.ScalarNode && drop(v.Value) {
			n++
			continue
		}
		kept = append(kept, v)
	}
	seq.Content = kept
	return n
}
