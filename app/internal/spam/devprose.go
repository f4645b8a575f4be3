package spam

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// DeveloperProseBlocks is how many comment blocks of Go's own sources the model learns as
// legitimate text. Chosen on the development half of real code-host posts and by
// cross-validation on the corpora (docs/spam.md, "Developer prose as legitimate text").
const DeveloperProseBlocks = 8000

// LoadDeveloperProse returns n comment blocks from the Go distribution's source tree (src
// under GOROOT) as legitimate samples: the developer talk that none of the three public
// corpora has on its legitimate side, where the model otherwise learns that "free tier",
// "download" or "support" read as spam. A block is a run of // comment lines of 6 to 120 words,
// outside testdata and vendor, not a licence header or a //go: directive. The blocks are taken
// evenly from the sorted file list, so the same Go version gives the same samples.
func LoadDeveloperProse(goSrc string, n int) ([]Sample, error) {
	if n <= 0 {
		return nil, fmt.Errorf("developer prose: want a positive number of blocks, got %d", n)
	}
	var files []string
	err := filepath.WalkDir(goSrc, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading Go's source tree: %w", err)
	}
	sort.Strings(files)
	var blocks []string
	for _, f := range files {
		if blocks, err = appendCommentBlocks(blocks, f); err != nil {
			return nil, err
		}
	}
	if len(blocks) < n {
		return nil, fmt.Errorf("%s has %d comment blocks, want at least %d: is it Go's src directory?", goSrc, len(blocks), n)
	}
	out := make([]Sample, 0, n)
	step := len(blocks) / n
	for i := 0; len(out) < n; i += step {
		out = append(out, Sample{Text: blocks[i]})
	}
	return out, nil
}

// GoSourceDir is the source tree of the Go toolchain on PATH ($(go env GOROOT)/src), where
// LoadDeveloperProse reads by default.
func GoSourceDir(ctx context.Context) (string, error) {
	root, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(root)), "src"), nil
}

func appendCommentBlocks(blocks []string, path string) ([]string, error) {
	f, err := os.Open(path) // #nosec G304 -- walking the Go source tree the user pointed at
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cur []string
	flush := func() {
		s := strings.Join(cur, " ")
		if w := len(strings.Fields(s)); w >= 6 && w <= 120 && !strings.HasPrefix(s, "Copyright") {
			blocks = append(blocks, s)
		}
		cur = cur[:0]
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "//") && !strings.HasPrefix(l, "//go:") {
			cur = append(cur, strings.TrimSpace(strings.TrimPrefix(l, "//")))
		} else if len(cur) > 0 {
			flush()
		}
	}
	if len(cur) > 0 {
		flush()
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		// Generated data (time/tzdata's zip in a string): no prose in the rest of it.
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return blocks, nil
}
