// Package redact removes secrets from text before anything stores it. CI logs leak
// credentials all the time (an echoed env var, a clone URL with a password, a debug dump of a
// token); the logging pipeline keeps logs for months, so what it keeps must not be a key.
//
// A secret is replaced by a marker naming its type, [REDACTED:aws_access_key], so a reader of
// the stored log still sees that a key was there and which kind: that is often the diagnosis.
package redact

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
)

// rule is one kind of secret. literals are cheap substrings that every match contains (in
// lower case): a text containing none of them skips the regular expression.
type rule struct {
	kind     string
	literals []string
	re       *lazy
	// keep is the number of leading submatches kept verbatim (a variable name, the user part
	// of a URL): only what follows them is the secret.
	keep int
	// inToken says that no match can hold whitespace (\s): every match then lies within the
	// whitespace-free run around one of the literals, and only those runs are searched.
	// A 16 KiB log with a few URLs is mostly not searched at all.
	inToken bool
	// inLine says the same of line breaks: every match lies within the line of a literal.
	// Rules triggered by common words ("token", "secret") then search a line, not the log.
	inLine bool
}

var rules = []rule{
	{
		// The key ends with an -----END line; a log cut short (an excerpt, a truncated dump)
		// may lack it, and then everything that still looks like the key's base64 goes. An
		// excerpt that starts inside a key (the pipeline keeps a log's tail) lacks the BEGIN
		// line instead: then the whole lines of base64 before the END line go.
		kind:     "private_key",
		literals: []string{"private key-----"},
		re: lazyRegexp(`-----BEGIN[ A-Z0-9]*PRIVATE KEY-----(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY-----|(?:(?:\s|\\n)*[A-Za-z0-9+/=]{16,})*)` +
			`|(?:[A-Za-z0-9+/=]+[ \t]*(?:\r?\n|\\n)[ \t]*)+-----END[ A-Z0-9]*PRIVATE KEY-----`),
	},
	{
		kind:     "aws_access_key",
		inToken:  true,
		literals: []string{"akia", "asia", "abia", "acca"},
		re:       lazyRegexp(`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`),
	},
	{
		// A secret access key is 40 base64 characters with nothing to tell it apart, so only
		// one that follows its usual names is recognised.
		kind:     "aws_secret_key",
		literals: []string{"secret"},
		re:       lazyRegexp(`(?i)((?:aws_?secret_?access_?key|aws_?secret_?key|secretaccesskey)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}\b`),
		keep:     1,
	},
	{
		kind:     "github_token",
		inToken:  true,
		literals: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		re:       lazyRegexp(`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`),
	},
	{
		kind:     "gitlab_token",
		inToken:  true,
		literals: []string{"glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "gloas-", "gr1348941"},
		re:       lazyRegexp(`\b(?:glpat|glptt|gldt|glrt|glcbt|gloas)-[A-Za-z0-9_\-]{20,}|\bGR1348941[A-Za-z0-9_\-]{20,}`),
	},
	{
		kind:     "slack_webhook",
		inToken:  true,
		literals: []string{"hooks.slack.com"},
		re:       lazyRegexp(`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+`),
	},
	{
		kind:     "slack_token",
		inToken:  true,
		literals: []string{"xox"},
		re:       lazyRegexp(`\bxox[abposre]-[A-Za-z0-9\-]{10,}`),
	},
	{
		kind:     "jwt",
		inToken:  true,
		literals: []string{"eyj"},
		re:       lazyRegexp(`\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`),
	},
	{
		// scheme://user:password@host keeps the user, which helps debugging and is no secret.
		kind:     "url_password",
		inToken:  true,
		literals: []string{"://"},
		re:       lazyRegexp(`([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s"'<>]*:)([^@/\s"'<>]+)@`),
		keep:     1,
	},
	{
		kind:     "npm_token",
		inToken:  true,
		literals: []string{"npm_"},
		re:       lazyRegexp(`\bnpm_[A-Za-z0-9]{36}\b`),
	},
	{
		kind:     "pypi_token",
		inToken:  true,
		literals: []string{"pypi-ageichlwas5vcmc"},
		re:       lazyRegexp(`\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}`),
	},
	{
		// A credential after an HTTP auth scheme: curl -H "Authorization: Bearer …", a dump of
		// request headers. The scheme stays: "Basic" or "Bearer" is part of the diagnosis.
		kind:     "authorization",
		literals: []string{"bearer", "authorization"},
		inLine:   true,
		re:       lazyRegexp(`(?i)((?:authorization:[ \t]*(?:bearer|basic|token|digest)|\bbearer)[ \t]+)[A-Za-z0-9._~+/\-]{12,}=*`),
		keep:     1,
	},
	{
		// Passwords by their place rather than their shape: an environment dump
		// (PGPASSWORD=…, DB_PASSWORD=…, NPM_TOKEN=…), .npmrc's _authToken, a JSON field, a
		// --password flag, mysql's -p<password>, docker login -p. The name stays. Values
		// under six characters are left (TOKEN_TTL=300 is no secret), and so is a marker an
		// earlier rule put there.
		kind: "password",
		literals: []string{"password", "passwd", "secret", "token", "api_key", "apikey", "_auth",
			"mysql", "docker"},
		inLine: true,
		re: lazyRegexp(`(` +
			`\b[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY)[A-Z0-9_]*=` +
			`|\b(?i:[a-z0-9_]*(?:password|passwd|secret|api_?key)[a-z0-9_]*)[ \t]*[:=][ \t]*` +
			`|(?i:_authToken|_auth|_password)[ \t]*=[ \t]*` +
			`|"(?i:[a-z_]*(?:password|passwd|secret|token|api_?key)[a-z_]*)"[ \t]*:[ \t]*` +
			`|--password[= ]` +
			`|\bmysql(?:dump|admin)?\b[^\n]*?[ \t]-p` +
			`|\bdocker[ \t]+login\b[^\n]*?[ \t]-p[ \t]+` +
			`)("[^"\n\[][^"\n]{5,}"|'[^'\n\[][^'\n]{5,}'|[^\s"'\[][^\s"']{5,})`),
		keep: 1,
	},
}

// lazy is a regular expression compiled on first use: most texts trigger no rule, and the
// command-line tool, which never redacts, would otherwise compile them all at every start.
type lazy struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func lazyRegexp(expr string) *lazy { return &lazy{expr: expr} }

func (l *lazy) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}

// Marker is what replaces a secret of the given kind.
func Marker(kind string) string { return "[REDACTED:" + kind + "]" }

// Kinds lists the kinds of secret Redact recognises.
func Kinds() []string {
	kinds := make([]string, len(rules))
	for i, r := range rules {
		kinds[i] = r.kind
	}
	return kinds
}

// String returns s with every recognised secret replaced by its marker. It runs in time
// linear in len(s) per rule and allocates only when something is redacted.
func String(s string) string {
	s, _ = Count(s)
	return s
}

// Count is String that also says how many secrets of each kind were found.
func Count(s string) (string, map[string]int) {
	var found map[string]int
	present := triggered(s)
	for i, r := range rules {
		if present&(1<<i) == 0 {
			continue
		}
		var n int
		s, n = replace(s, r, 1<<i)
		if n > 0 {
			if found == nil {
				found = map[string]int{}
			}
			found[r.kind] += n
			present = triggered(s) // s changed: the later rules look at what it is now
		}
	}
	return s, found
}

// A literal is found through its first three bytes (ASCII lower case): trigramFilter has a
// bit set for the hash of every literal's first trigram, so one pass over the text, a few
// instructions per byte, rules out almost every position. Before, each of the ~25 literals
// was searched in a lower-cased copy of the text: 25 passes, and a copy whenever the text
// had an upper-case letter (docs/benchmarks.md).
var (
	trigramFilter [1 << 16 / 64]uint64
	anchored      = map[uint32][]anchor{}
)

type anchor struct {
	literal string
	rule    uint32 // bit of the rule in triggered's result
}

func init() {
	if len(rules) > 32 {
		panic("redact: more rules than bits in triggered's result")
	}
	for i, r := range rules {
		for _, l := range r.literals {
			if len(l) < 3 || strings.ToLower(l) != l {
				panic("redact: literal " + l + " must be lower case and at least 3 bytes")
			}
			t := trigram(l[0], l[1], l[2])
			trigramFilter[trigramHash(t)/64] |= 1 << (trigramHash(t) % 64)
			anchored[t] = append(anchored[t], anchor{l, 1 << i})
		}
	}
}

func trigram(a, b, c byte) uint32 { return uint32(a)<<16 | uint32(b)<<8 | uint32(c) }

func trigramHash(t uint32) uint32 { return (t * 0x9E3779B1) >> 16 }

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// triggered returns the set of rules (bit i for rules[i]) one of whose literals occurs in s,
// ignoring ASCII case.
func triggered(s string) uint32 {
	if len(s) < 3 {
		return 0
	}
	var set uint32
	t := trigram(0, lowerASCII(s[0]), lowerASCII(s[1]))
	for i := 2; i < len(s); i++ {
		t = (t<<8 | uint32(lowerASCII(s[i]))) & 0xffffff
		h := trigramHash(t)
		if trigramFilter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		for _, a := range anchored[t] {
			if set&a.rule == 0 && hasPrefixFold(s[i-2:], a.literal) {
				set |= a.rule
			}
		}
	}
	return set
}

// hasPrefixFold reports whether s starts with the lower-case literal, ignoring ASCII case.
func hasPrefixFold(s, literal string) bool {
	if len(s) < len(literal) {
		return false
	}
	for i := 0; i < len(literal); i++ {
		if lowerASCII(s[i]) != literal[i] {
			return false
		}
	}
	return true
}

// findAll is r.re.get().FindAllStringSubmatchIndex(s, -1), searching only the runs around the
// literals for an inToken rule. The runs are delimited by whitespace, which no match holds
// and which is not a word character, so \b and leftmost-first matching see the same text
// as in the whole of s.
func findAll(s string, r rule, bit uint32) [][]int {
	var bound func(byte) bool
	switch {
	case r.inToken:
		bound = isSpace
	case r.inLine:
		bound = isNewline
	default:
		return r.re.get().FindAllStringSubmatchIndex(s, -1)
	}
	var all [][]int
	// The literals are found as triggered finds them, through the trigram filter: a few
	// instructions a byte, where comparing every literal at every byte cost ~10 ns a byte
	// for a rule with nine literals.
	var t uint32
	for i := 0; i < len(s); i++ {
		t = (t<<8 | uint32(lowerASCII(s[i]))) & 0xffffff
		if i < 2 {
			continue
		}
		if h := trigramHash(t); trigramFilter[h/64]&(1<<(h%64)) == 0 {
			continue
		}
		at := i - 2
		found := false
		for _, a := range anchored[t] {
			if a.rule == bit && hasPrefixFold(s[at:], a.literal) {
				found = true
				break
			}
		}
		if !found {
			continue
		}
		start, end := at, at
		for start > 0 && !bound(s[start-1]) {
			start--
		}
		for end < len(s) && !bound(s[end]) {
			end++
		}
		for _, m := range r.re.get().FindAllStringSubmatchIndex(s[start:end], -1) {
			for k := range m {
				if m[k] >= 0 {
					m[k] += start
				}
			}
			all = append(all, m)
		}
		// The run is done; the next literal is in a later one. Its first trigram is whole
		// two bytes after the boundary, which the window below rebuilds.
		i, t = end, 0
	}
	return all
}

func isNewline(c byte) bool { return c == '\n' }

// isSpace is \s in Go's regular expressions.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// replace substitutes every match of r in s. It works on the match positions in s, not on
// the matched text alone: a match re-examined out of its context would lose its \b anchors.
func replace(s string, r rule, bit uint32) (string, int) {
	matches := findAll(s, r, bit)
	if matches == nil {
		return s, 0
	}
	marker := Marker(r.kind)
	var b strings.Builder
	b.Grow(len(s))
	n, last := 0, 0
	for _, m := range matches {
		secretStart, secretEnd := m[0], m[1]
		if r.keep > 0 {
			secretStart = m[2*r.keep+1] // end of the last kept group
		}
		if r.kind == "url_password" {
			secretEnd-- // the @ stays
		}
		if strings.HasPrefix(s[secretStart:secretEnd], "[REDACTED:") {
			continue // redacted by an earlier rule or an earlier pass
		}
		b.WriteString(s[last:secretStart])
		b.WriteString(marker)
		last = secretEnd
		n++
	}
	if n == 0 {
		return s, 0
	}
	b.WriteString(s[last:])
	return b.String(), n
}

// KeyLines follows PEM private keys through a text read line by line, as a log is: a line of
// a key's base64 looks like any other text to String, which needs the BEGIN line in view.
type KeyLines struct{ inKey bool }

// Secret reports whether line belongs to a private key: its BEGIN or END line, or, after a
// BEGIN line, a line that still looks like the key (base64, a PEM header, blank).
func (k *KeyLines) Secret(line []byte) bool {
	if bytes.Contains(line, pemBegin) && bytes.Contains(line, pemPrivateKey) {
		k.inKey = !bytes.Contains(line, pemEnd)
		return true
	}
	if !k.inKey {
		return false
	}
	if bytes.Contains(line, pemEnd) {
		k.inKey = false
		return true
	}
	t := bytes.TrimSpace(line)
	if len(t) == 0 || bytes.HasPrefix(t, []byte("Proc-Type:")) || bytes.HasPrefix(t, []byte("DEK-Info:")) || isBase64(t) {
		return true
	}
	k.inKey = false
	return false
}

var (
	pemBegin      = []byte("-----BEGIN")
	pemEnd        = []byte("-----END")
	pemPrivateKey = []byte("PRIVATE KEY-----")
)

func isBase64(t []byte) bool {
	for _, c := range t {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
