package api

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode"
)

// KeySet holds API keys as SHA-256 hashes: the file on disk never contains a usable key.
//
// File format, one key a line, '#' comments:
//
//	<client-name> sha256:<64 hex digits> [scopes=<scope>,<scope>…]
//
// A line without scopes may do everything (as every key could before scopes existed), so
// existing keys files keep working; see Scope for what a scope allows.
// `ciagent apikey new NAME [--scopes …]` prints a fresh key and its line.
type KeySet struct {
	keys   []Key
	hashes [][sha256.Size]byte
}

// Key is the client an API key authenticates, and what it may do.
type Key struct {
	Name   string
	Scopes Scopes
}

// Scopes is what a key may do: a set of /v1 routes, and whose answers it may give feedback on.
type Scopes uint8

const (
	ScopeExplain     Scopes = 1 << iota // POST /v1/ci/explain
	ScopeSpam                           // POST /v1/spam/check
	ScopeFeedback                       // POST /v1/feedback on the answers this key was given
	ScopeFeedbackAny                    // POST /v1/feedback on any client's answers
	ScopeExport                         // GET /v1/ranking/export: every client's requests and feedback

	// AllScopes is a key without a scopes field: every route, feedback on any answer.
	AllScopes = ScopeExplain | ScopeSpam | ScopeFeedback | ScopeFeedbackAny | ScopeExport
)

type scopeName struct {
	name   string
	scopes Scopes
}

// scopeNames is the keys file's spelling of each scope, in the order errors list them.
// "feedback:any" implies "feedback".
var scopeNames = []scopeName{
	{"explain", ScopeExplain},
	{"spam", ScopeSpam},
	{"feedback", ScopeFeedback},
	{"feedback:any", ScopeFeedback | ScopeFeedbackAny},
	{"export", ScopeExport},
}

// Has reports whether s holds every scope of want.
func (s Scopes) Has(want Scopes) bool { return s&want == want }

// String spells s as the keys file does ("explain,spam,feedback").
func (s Scopes) String() string {
	var names []string
	for _, n := range scopeNames {
		if n.scopes == ScopeFeedback && s.Has(ScopeFeedbackAny) {
			continue // said by feedback:any
		}
		if s.Has(n.scopes) {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// ParseScopes reads a comma-separated scope list ("explain,spam,feedback").
func ParseScopes(list string) (Scopes, error) {
	var s Scopes
	for name := range strings.SplitSeq(list, ",") {
		i := slices.IndexFunc(scopeNames, func(n scopeName) bool { return n.name == name })
		if i < 0 {
			// Every name, not AllScopes.String(): that folds feedback into feedback:any, and
			// whoever reads the list would grant the wider scope.
			all := make([]string, len(scopeNames))
			for j, n := range scopeNames {
				all[j] = n.name
			}
			return 0, fmt.Errorf("unknown scope %q: want some of %s", name, strings.Join(all, ","))
		}
		s |= scopeNames[i].scopes
	}
	return s, nil
}

// LoadKeySet reads a keys file.
func LoadKeySet(path string) (*KeySet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("API keys file: %w", err)
	}
	defer f.Close()
	return ParseKeySet(f, path)
}

// ParseKeySet reads the keys file format; source names it in errors.
func ParseKeySet(r io.Reader, source string) (*KeySet, error) {
	ks := &KeySet{}
	type place struct {
		line int
		name string
	}
	seen := map[[sha256.Size]byte]place{}
	sc := bufio.NewScanner(io.LimitReader(r, 4<<20))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || len(fields) > 3 || !strings.HasPrefix(fields[1], "sha256:") {
			return nil, fmt.Errorf("%s:%d: want `<name> sha256:<hex> [scopes=<scope>,…]`", source, n)
		}
		raw, err := hex.DecodeString(strings.TrimPrefix(fields[1], "sha256:"))
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("%s:%d: the hash must be 64 hex digits", source, n)
		}
		// One key, one line: Verify would let the last line win, so a restricting line
		// appended for a key already there would silently change nothing. Two keys under one
		// name (a rotation) are two hashes, and load side by side.
		hash := [sha256.Size]byte(raw)
		if first, dup := seen[hash]; dup {
			return nil, fmt.Errorf("%s:%d: this key's hash is already on line %d (key %q): keep one line per key", source, n, first.line, first.name)
		}
		seen[hash] = place{n, fields[0]}
		key := Key{Name: fields[0], Scopes: AllScopes}
		if len(fields) == 3 {
			list, ok := strings.CutPrefix(fields[2], "scopes=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: the third field must be scopes=<scope>,… (got %q)", source, n, fields[2])
			}
			if key.Scopes, err = ParseScopes(list); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", source, n, err)
			}
		}
		ks.keys = append(ks.keys, key)
		ks.hashes = append(ks.hashes, hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(ks.hashes) == 0 {
		return nil, fmt.Errorf("%s: no keys", source)
	}
	return ks, nil
}

// Verify checks an Authorization header value and returns the key's client. Every stored
// hash is compared, in constant time, so timing says nothing about which key is close.
func (ks *KeySet) Verify(authorization string) (Key, bool) {
	// The scheme name is case-insensitive (RFC 9110 §11.1): "bearer <key>" is as good.
	scheme, key, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return Key{}, false
	}
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range ks.hashes {
		if subtle.ConstantTimeCompare(sum[:], ks.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Key{}, false
	}
	return ks.keys[found], true
}

// NewKey returns a random API key and its keys-file line for name, with scopes (AllScopes:
// no scopes field, the line may do everything).
func NewKey(name string, scopes Scopes) (key, line string, err error) {
	// ParseKeySet splits a line with strings.Fields (every Unicode space: NBSP, \r, \v …):
	// a name with any of them would make the printed line one the keys file cannot load.
	if name == "" || strings.ContainsFunc(name, unicode.IsSpace) || strings.Contains(name, "#") {
		return "", "", errors.New("the key name must be one word")
	}
	// A leading '-' is a mistyped flag (`apikey new -h`), not a client's name.
	if strings.HasPrefix(name, "-") {
		return "", "", fmt.Errorf("the key name %q starts with '-'", name)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", "", err
	}
	key = "cia_" + base64.RawURLEncoding.EncodeToString(buf)
	sum := sha256.Sum256([]byte(key))
	line = name + " sha256:" + hex.EncodeToString(sum[:])
	switch {
	case scopes == 0:
		return "", "", errors.New("a key needs at least one scope")
	case scopes != AllScopes:
		line += " scopes=" + scopes.String()
	}
	return key, line, nil
}
