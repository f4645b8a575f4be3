// Package redact removes secrets from text before anything stores it. CI logs leak
// credentials all the time (an echoed env var, a clone URL with a password, a debug dump of a
// token); the logging pipeline keeps logs for months, so what it keeps must not be a key.
//
// A secret is replaced by a marker naming its type, [REDACTED:aws_access_key], so a reader of
// the stored log still sees that a key was there and which kind: that is often the diagnosis.
package redact

import (
	"regexp"
	"strings"
)

// rule is one kind of secret. literals are cheap substrings that every match contains (in
// lower case): a text containing none of them skips the regular expression.
type rule struct {
	kind     string
	literals []string
	re       *regexp.Regexp
	// keep is the number of leading submatches kept verbatim (a variable name, the user part
	// of a URL): only what follows them is the secret.
	keep int
}

var rules = []rule{
	{
		// The key ends with an -----END line; a log cut short (an excerpt, a truncated dump)
		// may lack it, and then everything that still looks like the key's base64 goes.
		kind:     "private_key",
		literals: []string{"private key-----"},
		re:       regexp.MustCompile(`-----BEGIN[ A-Z0-9]*PRIVATE KEY-----(?:[\s\S]*?-----END[ A-Z0-9]*PRIVATE KEY-----|(?:(?:\s|\\n)*[A-Za-z0-9+/=]{16,})*)`),
	},
	{
		kind:     "aws_access_key",
		literals: []string{"akia", "asia", "abia", "acca"},
		re:       regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b`),
	},
	{
		// A secret access key is 40 base64 characters with nothing to tell it apart, so only
		// one that follows its usual names is recognised.
		kind:     "aws_secret_key",
		literals: []string{"secret"},
		re:       regexp.MustCompile(`(?i)((?:aws_?secret_?access_?key|aws_?secret_?key|secretaccesskey)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}\b`),
		keep:     1,
	},
	{
		kind:     "github_token",
		literals: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
		re:       regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b`),
	},
	{
		kind:     "gitlab_token",
		literals: []string{"glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "gloas-", "gr1348941"},
		re:       regexp.MustCompile(`\b(?:glpat|glptt|gldt|glrt|glcbt|gloas)-[A-Za-z0-9_\-]{20,}|\bGR1348941[A-Za-z0-9_\-]{20,}`),
	},
	{
		kind:     "slack_webhook",
		literals: []string{"hooks.slack.com"},
		re:       regexp.MustCompile(`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]+`),
	},
	{
		kind:     "slack_token",
		literals: []string{"xox"},
		re:       regexp.MustCompile(`\bxox[abposre]-[A-Za-z0-9\-]{10,}`),
	},
	{
		kind:     "jwt",
		literals: []string{"eyj"},
		re:       regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}`),
	},
	{
		// scheme://user:password@host keeps the user, which helps debugging and is no secret.
		kind:     "url_password",
		literals: []string{"://"},
		re:       regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s"'<>]*:)([^@/\s"'<>]+)@`),
		keep:     1,
	},
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
	var lower string
	for _, r := range rules {
		if !containsAny(s, &lower, r.literals) {
			continue
		}
		var n int
		s, n = replace(s, r)
		if n > 0 {
			if found == nil {
				found = map[string]int{}
			}
			found[r.kind] += n
			lower = "" // s changed
		}
	}
	return s, found
}

// containsAny reports whether s contains one of the lower-case literals, ignoring case. The
// lower-cased copy is made once and shared between rules until s changes.
func containsAny(s string, lower *string, literals []string) bool {
	if *lower == "" && s != "" {
		*lower = strings.ToLower(s)
	}
	for _, l := range literals {
		if strings.Contains(*lower, l) {
			return true
		}
	}
	return false
}

// replace substitutes every match of r in s. It works on the match positions in s, not on
// the matched text alone: a match re-examined out of its context would lose its \b anchors.
func replace(s string, r rule) (string, int) {
	matches := r.re.FindAllStringSubmatchIndex(s, -1)
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
