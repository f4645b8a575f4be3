package golive

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ParseHeaderDump reads `curl -sS -D - -o /dev/null URL` output: the status code and headers
// of the last response in it (curl prints interim 1xx responses and redirects first).
func ParseHeaderDump(data []byte) (int, http.Header, error) {
	var status int
	var header http.Header
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "HTTP/"):
			f := strings.Fields(line)
			if len(f) < 2 {
				return 0, nil, fmt.Errorf("bad status line %q", line)
			}
			code, err := strconv.Atoi(f[1])
			if err != nil {
				return 0, nil, fmt.Errorf("bad status line %q", line)
			}
			status, header = code, http.Header{}
		case line == "" || header == nil:
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return 0, nil, fmt.Errorf("bad header line %q", line)
			}
			header.Add(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(k)), strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		return 0, nil, err
	}
	if header == nil {
		return 0, nil, fmt.Errorf("no HTTP response in the header dump")
	}
	return status, header, nil
}

var maxAge = regexp.MustCompile(`(?i)max-age=(\d+)`)

// minHSTS is six months: browsers' preload list asks for a year, but half that is where
// scanners stop warning, and the ingress side chooses the exact value.
const minHSTS = 180 * 24 * 60 * 60

// CheckEdge judges the public endpoint's answer to GET /healthz over HTTPS (curl verified the
// certificate chain and name before this sees anything): status 200 and the security headers
// the ingress must add to every response.
func CheckEdge(host string, data []byte) Result {
	const name = "ingress TLS + security headers"
	status, h, err := ParseHeaderDump(data)
	if err != nil {
		return fail(name, "https://%s/healthz: %v", host, err)
	}
	if status != http.StatusOK {
		return fail(name, "https://%s/healthz answered %d; want 200", host, status)
	}
	var problems []string
	if m := maxAge.FindStringSubmatch(h.Get("Strict-Transport-Security")); m == nil {
		problems = append(problems, "no Strict-Transport-Security max-age")
	} else if n, _ := strconv.Atoi(m[1]); n < minHSTS {
		problems = append(problems, fmt.Sprintf("HSTS max-age %d < %d", n, minHSTS))
	}
	if v := h.Get("X-Content-Type-Options"); !strings.EqualFold(v, "nosniff") {
		problems = append(problems, fmt.Sprintf("X-Content-Type-Options %q; want nosniff", v))
	}
	if v := strings.ToUpper(h.Get("X-Frame-Options")); v != "DENY" && v != "SAMEORIGIN" {
		problems = append(problems, fmt.Sprintf("X-Frame-Options %q; want DENY or SAMEORIGIN", v))
	}
	for _, k := range []string{"Content-Security-Policy", "Referrer-Policy"} {
		if h.Get(k) == "" {
			problems = append(problems, "no "+k)
		}
	}
	if len(problems) > 0 {
		return fail(name, "https://%s: %s", host, strings.Join(problems, "; "))
	}
	return pass(name, "https://%s/healthz 200 over verified TLS, all five security headers", host)
}

// CheckCertificate judges the served certificate's expiry: cert-manager renews 30 days ahead,
// so less than minValidity left means renewal is failing.
func CheckCertificate(host string, notAfter, now time.Time, minValidity time.Duration) Result {
	const name = "certificate validity"
	left := notAfter.Sub(now)
	days := int(left.Hours() / 24)
	if left < minValidity {
		return fail(name, "%s expires %s (%d days); want at least %d days left", host, notAfter.UTC().Format(time.DateOnly), days, int(minValidity.Hours()/24))
	}
	return pass(name, "%s valid until %s (%d days)", host, notAfter.UTC().Format(time.DateOnly), days)
}
