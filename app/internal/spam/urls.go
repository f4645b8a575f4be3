package spam

import (
	"strings"

	"mvdan.cc/xurls/v2"
)

// relaxedURL matches URLs with and without a scheme and bare e-mail addresses. xurls is RE2
// underneath, so extraction is linear in the text.
var relaxedURL = xurls.Relaxed()

// maxURLs bounds the per-text work: past this many links the text is link spam anyway.
const maxURLs = 2000

// link is one URL found in the normalised text.
type link struct {
	start, end int    // in the normalised text
	raw        string // as matched
	host       string // lower-case, no port, no userinfo, no trailing dot
	path       string // from the first '/' after the host, may be empty
	hasScheme  bool
	www        bool
	email      bool
}

// extractLinks finds URLs in normalised text. A match is kept only when it is plausibly a
// link: with a scheme, starting with "www.", or a bare host whose top-level domain is not
// also a common file extension (README.md, setup.py and main.rs are files, not Moldova,
// Paraguay and Serbia).
func extractLinks(text string) []link {
	if !mayHoldURL(text) {
		return nil
	}
	idx := relaxedURL.FindAllStringIndex(text, maxURLs)
	links := make([]link, 0, len(idx))
	for _, m := range idx {
		l, ok := parseLink(text[m[0]:m[1]])
		if !ok {
			continue
		}
		l.start, l.end = m[0], m[1]
		links = append(links, l)
	}
	return links
}

// mayHoldURL is a cheap pre-check that skips the regular expression on texts with no dot
// between two word characters and no "://", the common case for short comments.
func mayHoldURL(text string) bool {
	if strings.Contains(text, "://") {
		return true
	}
	for i := 1; i+1 < len(text); i++ {
		if text[i] == '.' && isHostByte(text[i-1]) && isHostByte(text[i+1]) {
			return true
		}
	}
	return false
}

func isHostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c >= 0x80 || 'A' <= c && c <= 'Z'
}

// parseLink splits a matched URL into its parts without net/url, which rejects much of what
// spammers write and allocates more than this needs.
func parseLink(raw string) (link, bool) {
	l := link{raw: raw}
	rest := raw
	if i := strings.Index(rest, "://"); i >= 0 {
		l.hasScheme = true
		rest = rest[i+3:]
	} else if strings.HasPrefix(rest, "mailto:") {
		l.email = true
		rest = rest[len("mailto:"):]
	}
	end := strings.IndexAny(rest, "/?#")
	hostPart := rest
	if end >= 0 {
		hostPart, l.path = rest[:end], rest[end:]
	}
	// userinfo: "https://github.com@evil.example/" goes to evil.example.
	if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
		if !l.hasScheme {
			l.email = true
		}
		hostPart = hostPart[at+1:]
	}
	if strings.HasPrefix(hostPart, "[") { // IPv6 literal
		if j := strings.IndexByte(hostPart, ']'); j > 0 {
			hostPart = hostPart[1:j]
		}
	} else if c := strings.LastIndexByte(hostPart, ':'); c >= 0 {
		hostPart = hostPart[:c]
	}
	l.host = strings.TrimSuffix(strings.ToLower(hostPart), ".")
	if l.host == "" {
		return l, false
	}
	l.www = strings.HasPrefix(l.host, "www.")
	if !l.hasScheme && !l.www && !l.email {
		tld := l.host[strings.LastIndexByte(l.host, '.')+1:]
		if fileExtensionTLDs[tld] && l.path == "" {
			return l, false
		}
	}
	return l, true
}

// fileExtensionTLDs are country codes that are also file extensions developers write all day.
var fileExtensionTLDs = map[string]bool{
	"md": true, "py": true, "rs": true, "sh": true, "pl": true, "rb": true, "cc": true, "cs": true,
	"ts": true, "js": false, "go": false, "so": true, "ps": true, "sc": true, "ml": true, "mk": true,
	"am": true, "ac": true, "in": true, "it": true, "zip": true, "mov": true, "java": true, "json": true,
	"yml": true, "toml": true, "lock": true, "log": true, "txt": true, "exe": true, "dll": true,
	"ai": true, "py3": true, "kt": true, "swift": true, "scala": true, "cfg": true, "ini": true,
	"app": false, "to": true, "io": false, "css": false, "html": false, "tf": true, "hs": true,
	"ex": true, "er": true, "el": true, "sql": false, "bz": true, "gz": true, "xz": true, "tar": true,
}

// ExtractURLs returns the byte spans (into s) and the text of every link the proposer sees in
// s. It exists for tests, fuzzing and the CLI's debug output.
func ExtractURLs(s string) []URLMatch {
	n := normalize(s)
	links := extractLinks(n.text)
	out := make([]URLMatch, len(links))
	for i, l := range links {
		sp := n.origSpan(l.start, l.end)
		out[i] = URLMatch{Span: [2]int{sp.start, sp.end}, URL: l.raw, Host: l.host}
	}
	return out
}

// URLMatch is one link found by ExtractURLs.
type URLMatch struct {
	Span [2]int `json:"span"`
	URL  string `json:"url"`
	Host string `json:"host"`
}
