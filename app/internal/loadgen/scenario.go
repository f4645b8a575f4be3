package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Mix is the seed's scenario: a total arrival rate split between small CI logs and spam
// checks, plus large logs at their own, lower rate.
type Mix struct {
	Rate      float64 // total arrivals per second of the small requests (the seed: 1000)
	CIShare   float64 // share of Rate that is CI logs; the rest is spam checks
	LargeRate float64 // large logs per second, on top of Rate
	LargeSize int     // bytes of each large log
}

// DefaultMix mirrors tests/load/scenario.js: 1000 req/s, 60 % CI logs and 40 % spam checks,
// plus 2 large (2 MiB) logs per second.
var DefaultMix = Mix{Rate: 1000, CIShare: 0.6, LargeRate: 2, LargeSize: 2 << 20}

// Scenarios builds the mix from real CI logs and spam texts. Every request body is unique (a
// request number is added), as real inputs are, so an answer cache keyed by input hash misses.
func (m Mix) Scenarios(logs [][]byte, texts []string) ([]Scenario, error) {
	if len(logs) == 0 || len(texts) == 0 {
		return nil, errors.New("loadgen: the mix needs at least one CI log and one spam text")
	}
	if m.Rate <= 0 || m.CIShare < 0 || m.CIShare > 1 || m.LargeRate < 0 || m.LargeSize < 0 {
		return nil, fmt.Errorf("loadgen: bad mix %+v", m)
	}
	var out []Scenario
	if r := m.Rate * m.CIShare; r > 0 {
		out = append(out, Scenario{Name: "ci_logs", Rate: r, Request: func(n int) (string, string, string, []byte) {
			return "POST", "/v1/ci/explain?repo=loadgen/ci&job=build", "text/plain", uniqueLog(logs[n%len(logs)], n)
		}})
	}
	if r := m.Rate * (1 - m.CIShare); r > 0 {
		quoted := make([][]byte, len(texts))
		for i, t := range texts {
			quoted[i], _ = json.Marshal(t) // a string always marshals
		}
		out = append(out, Scenario{Name: "spam", Rate: r, Request: func(n int) (string, string, string, []byte) {
			return "POST", "/v1/spam/check", "application/json", spamBody(quoted[n%len(quoted)], n)
		}})
	}
	if m.LargeRate > 0 && m.LargeSize > 0 {
		large := LargeLog(logs, m.LargeSize)
		out = append(out, Scenario{Name: "large_logs", Rate: m.LargeRate, Request: func(n int) (string, string, string, []byte) {
			return "POST", "/v1/ci/explain?repo=loadgen/large&job=build", "text/plain", uniqueLog(large, n)
		}})
	}
	return out, nil
}

func uniqueLog(log []byte, n int) []byte {
	head := "loadgen request " + strconv.Itoa(n) + "\n"
	b := make([]byte, 0, len(head)+len(log))
	return append(append(b, head...), log...)
}

// spamBody is {"kind":"comment","text":"<text> [ref n]"} from an already JSON-quoted text.
func spamBody(quoted []byte, n int) []byte {
	var b bytes.Buffer
	b.Grow(len(quoted) + 48)
	b.WriteString(`{"kind":"comment","text":`)
	b.Write(quoted[:len(quoted)-1])
	b.WriteString(` [ref ` + strconv.Itoa(n) + `]"}`)
	return b.Bytes()
}

// LargeLog is about size bytes of CI output ending in a real failure: the other logs
// repeated, as long jobs' logs are mostly passing output before the line that matters.
func LargeLog(logs [][]byte, size int) []byte {
	b := make([]byte, 0, size+len(logs[0]))
	for i := 0; len(b) < size; i++ {
		b = append(b, logs[(i+1)%len(logs)]...)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
	}
	return append(b, logs[0]...)
}

// ReadCILogs reads every */match.log under dir (the knowledge base's fixtures), at most max.
func ReadCILogs(dir string, max int) ([][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", "match.log"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no */match.log under %s", dir)
	}
	if len(paths) > max {
		paths = paths[:max]
	}
	logs := make([][]byte, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p) // #nosec G304 -- fixtures under a directory the operator names
		if err != nil {
			return nil, fmt.Errorf("reading CI log: %w", err)
		}
		logs = append(logs, b)
	}
	return logs, nil
}

// SplitTexts splits a corpus file of texts separated by lines holding only "=====", dropping
// the header before the first separator and "want: …" lines (the scam corpus's labels).
func SplitTexts(data []byte) []string {
	parts := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n=====\n")
	var out []string
	for i, p := range parts {
		if i == 0 && !strings.HasPrefix(p, "=====\n") {
			continue // the header
		}
		p = strings.TrimPrefix(p, "=====\n")
		var lines []string
		for _, l := range strings.Split(p, "\n") {
			if !strings.HasPrefix(l, "want: ") {
				lines = append(lines, l)
			}
		}
		if t := strings.TrimSpace(strings.Join(lines, "\n")); t != "" {
			out = append(out, t)
		}
	}
	return out
}
