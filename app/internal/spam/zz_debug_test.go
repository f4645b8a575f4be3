package spam

import (
	"fmt"
	"os"
	"sort"
	"testing"
)

func TestZZDebug(t *testing.T) {
	if os.Getenv("SPAMDEBUG") == "" {
		t.Skip()
	}
	c, _ := New(DefaultConfig())
	corpora, _, _ := LoadCorpora(DefaultCorpusPaths("/work/shared/data", "/tmp/spamwork/sa/package/data"))
	for _, corp := range corpora {
		fp := map[string]int{}
		fn := map[string]int{}
		shown := 0
		for _, s := range corp.Test {
			rs := c.reasons(Request{Text: s.Text}, nil)
			resp := c.respond(rs)
			pred := resp.Verdict != Allow
			if pred && !s.Spam {
				for _, r := range resp.Reasons {
					if r.Weight >= 0.2 {
						fp[r.Code]++
					}
				}
				if shown < 6 && os.Getenv("SPAMDEBUG") == corp.Name {
					shown++
					fmt.Printf("FP %.2f %q\n", resp.Score, trunc(s.Text, 300))
					for _, r := range resp.Reasons {
						fmt.Printf("   %s %.2f %s\n", r.Code, r.Weight, r.Detail)
					}
				}
			}
			if !pred && s.Spam {
				fn[fmt.Sprintf("%.1f", c.model.Prob(s.Text))]++
			}
		}
		fmt.Println(corp.Name, "FP reasons", sorted(fp), "FN modelp", sorted(fn))
	}
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func sorted(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}
