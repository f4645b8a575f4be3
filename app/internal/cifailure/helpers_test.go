package cifailure

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func isValidUTF8(s string) bool { return utf8.ValidString(s) }

func benchLog(b *testing.B) []byte {
	b.Helper()
	if path := os.Getenv("CIAGENT_BENCH_LOG"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	files, _ := filepath.Glob("testdata/causes/*/match*.log")
	var buf bytes.Buffer
	for buf.Len() < 16<<20 && len(files) > 0 {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			buf.Write(data)
		}
	}
	return buf.Bytes()
}

// causeIDs are the answer's propositions' causes, in its order.
func causeIDs(ans *Answer) []string {
	var ids []string
	for _, p := range ans.Propositions {
		ids = append(ids, p.CauseID)
	}
	return ids
}
