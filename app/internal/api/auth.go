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
	"strings"
	"unicode"
)

// KeySet holds API keys as SHA-256 hashes: the file on disk never contains a usable key.
//
// File format, one key a line, '#' comments:
//
//	<client-name> sha256:<64 hex digits>
//
// `ciagent apikey new NAME` prints a fresh key and its line.
type KeySet struct {
	names  []string
	hashes [][sha256.Size]byte
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
	sc := bufio.NewScanner(io.LimitReader(r, 4<<20))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 || !strings.HasPrefix(fields[1], "sha256:") {
			return nil, fmt.Errorf("%s:%d: want `<name> sha256:<hex>`", source, n)
		}
		raw, err := hex.DecodeString(strings.TrimPrefix(fields[1], "sha256:"))
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("%s:%d: the hash must be 64 hex digits", source, n)
		}
		ks.names = append(ks.names, fields[0])
		ks.hashes = append(ks.hashes, [sha256.Size]byte(raw))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(ks.hashes) == 0 {
		return nil, fmt.Errorf("%s: no keys", source)
	}
	return ks, nil
}

// Verify checks an Authorization header value and returns the key's client name. Every
// stored hash is compared, in constant time, so timing says nothing about which key is close.
func (ks *KeySet) Verify(authorization string) (string, bool) {
	// The scheme name is case-insensitive (RFC 9110 §11.1): "bearer <key>" is as good.
	scheme, key, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range ks.hashes {
		if subtle.ConstantTimeCompare(sum[:], ks.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return ks.names[found], true
}

// NewKey returns a random API key and its keys-file line for name.
func NewKey(name string) (key, line string, err error) {
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
	return key, name + " sha256:" + hex.EncodeToString(sum[:]), nil
}
