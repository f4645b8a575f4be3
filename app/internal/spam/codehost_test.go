//go:build spamcv

package spam

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestCodeHost reports the shipped proposer on real code-host posts: CIAGENT_CODEHOST_DIR
// holds spam.jsonl and ham.jsonl, one {"url": …, "text": …} per line. Their texts are not in
// the repository (their authors hold them); docs/spam.md, "Real code-host posts", says how the
// sets of 2026-12-06 were gathered. Threads split into halves by the first byte of the SHA-256
// of their URL: even is the development half, odd the test half (SPLIT=test); SPLIT=all reads
// both, as for the second and third sets. V=1 lists the misses.
func TestCodeHost(t *testing.T) {
	dir := os.Getenv("CIAGENT_CODEHOST_DIR")
	if dir == "" {
		t.Skip("CIAGENT_CODEHOST_DIR is unset")
	}
	wantOdd, all := byte(0), os.Getenv("SPLIT") == "all"
	if os.Getenv("SPLIT") == "test" {
		wantOdd = 1
	}
	cfg := DefaultConfig()
	cfg.HistorySize = 0
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var caught, spam, flagged, ham int
	for _, label := range []string{"spam", "ham"} {
		f, err := os.Open(filepath.Join(dir, label+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var p struct{ URL, Text string }
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if h := sha256.Sum256([]byte(p.URL)); !all && h[0]%2 != wantOdd {
				continue
			}
			r, err := c.Check(Request{Kind: "comment", Text: p.Text})
			if err != nil {
				t.Fatal(err)
			}
			hit := r.Verdict != Allow
			if label == "spam" {
				spam++
				if hit {
					caught++
				}
			} else {
				ham++
				if hit {
					flagged++
				}
			}
			if hit != (label == "spam") && os.Getenv("V") != "" {
				fmt.Printf("  %s %s %.2f %q\n", label, r.Verdict, r.Score, p.Text[:min(100, len(p.Text))])
			}
		}
		f.Close()
	}
	part := map[byte]string{0: "development half", 1: "test half"}[wantOdd]
	if all {
		part = "whole set"
	}
	fmt.Printf("CODEHOST %s: spam %d caught %d (%.1f %%), legitimate %d flagged %d (%.1f %%)\n",
		part, spam, caught, 100*float64(caught)/float64(max(1, spam)),
		ham, flagged, 100*float64(flagged)/float64(max(1, ham)))
}
