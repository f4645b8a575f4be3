// Package cieval measures the CI Failure Proposer on public labelled corpora:
// LogChunks (Brandt et al., MSR 2020: Travis logs with the chunk that says why the build failed)
// and the CiDiff breakage set (Hubner et al., ISSTA 2025: Jenkins/GitHub logs with labelled
// error lines). The corpora stay outside the repository; this package reads them where they are.
package cieval

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ci-agent/ci-agent/app/internal/cifailure"
)

// LogChunksReport summarises the LogChunks evaluation.
type LogChunksReport struct {
	Examples       int     // labelled examples evaluated
	Missing        int     // examples whose log file was absent
	EvidenceRecall float64 // share of examples whose key line is among the evidence lines
	TopRecall      float64 // the same, counting only the first proposition's evidence
	Labelled       int     // examples that got an indicative category from their chunk
	CategoryTop1   float64 // top-1 category accuracy on those
	Unknown        float64 // share of answers that were "unknown"
}

// CIDiffReport summarises the CiDiff evaluation.
type CIDiffReport struct {
	Cases      int
	LineRecall float64 // mean share of labelled error lines among the evidence lines
	CaseHit    float64 // share of cases with at least one labelled error line in the evidence
}

var (
	exampleRe  = regexp.MustCompile(`(?s)<ExampleDataOfString>(.*?)</ExampleDataOfString>`)
	inputRe    = regexp.MustCompile(`(?s)<InputPath>(.*?)</InputPath>`)
	outputRe   = regexp.MustCompile(`(?s)<Output>(.*?)</Output>`)
	keywordsRe = regexp.MustCompile(`(?s)<Keywords>(.*?)</Keywords>`)
)

// LogChunks evaluates eng on dir (the corpus root holding logs/ and build-failure-reason/).
// The XML files are not always well-formed, so they are read with regexps, as the corpus's
// README advises.
func LogChunks(ctx context.Context, eng *cifailure.Engine, dir string, progress io.Writer) (*LogChunksReport, error) {
	reps, err := logChunks(ctx, eng, dir, progress)
	if err != nil {
		return nil, err
	}
	return reps[0], nil
}

// Halves of LogChunks, by repository (RepoHalf).
const (
	HalfTuning  = 0 // heuristics may be tuned on these repositories' logs
	HalfHeldOut = 1 // never looked at while tuning: the honest reading
)

// RepoHalf puts a LogChunks repository (the name of its build-failure-reason XML file without
// the extension, "owner@name") in HalfTuning or HalfHeldOut: the low bit of its name's SHA-256,
// so the split is deterministic and every log of a repository is on the same side (42
// repositories and 419 logs tune, 38 and 378 are held out). FNV-1a's low bit would not do: it
// is the parity of the name's bytes.
func RepoHalf(repo string) int {
	sum := sha256.Sum256([]byte(repo))
	return int(sum[0] & 1)
}

// LogChunksSplit evaluates eng on dir like LogChunks, in one pass, and also reports each half
// of the repositories (RepoHalf): whole, tuning, held out.
func LogChunksSplit(ctx context.Context, eng *cifailure.Engine, dir string, progress io.Writer) (whole, tuning, heldOut *LogChunksReport, err error) {
	reps, err := logChunks(ctx, eng, dir, progress)
	if err != nil {
		return nil, nil, nil, err
	}
	return reps[0], reps[1+HalfTuning], reps[1+HalfHeldOut], nil
}

// logChunksTally counts one report's hits while the corpus is read.
type logChunksTally struct {
	rep                             LogChunksReport
	hits, topHits, catHits, unknown int
}

func (t *logChunksTally) report() *LogChunksReport {
	rep := t.rep
	rep.EvidenceRecall = ratio(t.hits, rep.Examples)
	rep.TopRecall = ratio(t.topHits, rep.Examples)
	rep.CategoryTop1 = ratio(t.catHits, rep.Labelled)
	rep.Unknown = ratio(t.unknown, rep.Examples)
	return &rep
}

// logChunks returns the whole corpus's report, then the tuning and held-out halves'.
func logChunks(ctx context.Context, eng *cifailure.Engine, dir string, progress io.Writer) ([3]*LogChunksReport, error) {
	var reps [3]*LogChunksReport
	files, err := filepath.Glob(filepath.Join(dir, "build-failure-reason", "*", "*.xml"))
	if err != nil || len(files) == 0 {
		return reps, fmt.Errorf("no build-failure-reason/*/*.xml under %s", dir)
	}
	sort.Strings(files)
	var tally [3]logChunksTally
	for i, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return reps, err
		}
		half := RepoHalf(strings.TrimSuffix(filepath.Base(file), ".xml"))
		for _, ex := range exampleRe.FindAllSubmatch(data, -1) {
			in, out := inputRe.FindSubmatch(ex[1]), outputRe.FindSubmatch(ex[1])
			if in == nil || out == nil {
				continue
			}
			chunk := html.UnescapeString(string(out[1]))
			var keywords []string
			if kw := keywordsRe.FindSubmatch(ex[1]); kw != nil {
				for _, k := range strings.Split(html.UnescapeString(string(kw[1])), ",") {
					if k = strings.TrimSpace(k); k != "" {
						keywords = append(keywords, k)
					}
				}
			}
			logPath := filepath.Join(dir, "logs", strings.TrimSpace(string(in[1]))+".gz")
			lines, ans, err := explainFile(ctx, eng, logPath)
			if os.IsNotExist(err) {
				tally[0].rep.Missing++
				tally[1+half].rep.Missing++
				continue
			}
			if err != nil {
				return reps, fmt.Errorf("%s: %w", logPath, err)
			}
			key := keyLine(chunk, keywords)
			targets := linesContaining(lines, key)
			all, top := evidenceLines(ans, false), evidenceLines(ans, true)
			want := chunkCategory(chunk)
			for _, t := range []*logChunksTally{&tally[0], &tally[1+half]} {
				t.rep.Examples++
				if intersects(targets, all) {
					t.hits++
				}
				if intersects(targets, top) {
					t.topHits++
				}
				if ans.Category == cifailure.CategoryUnknown {
					t.unknown++
				}
				if want != "" {
					t.rep.Labelled++
					if ans.Category == want {
						t.catHits++
					}
				}
			}
		}
		if progress != nil {
			fmt.Fprintf(progress, "\rLogChunks: %d/%d repositories, %d examples", i+1, len(files), tally[0].rep.Examples)
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	if tally[0].rep.Examples == 0 {
		return reps, fmt.Errorf("no LogChunks example under %s had its log", dir)
	}
	for i := range tally {
		reps[i] = tally[i].report()
	}
	return reps, nil
}

// CIDiff evaluates eng on dir (the breakage set: one directory per case with fail.log and
// groundtruth, whose "E a-b" lines are the labelled error lines, 1-based).
func CIDiff(ctx context.Context, eng *cifailure.Engine, dir string, progress io.Writer) (*CIDiffReport, error) {
	cases, err := filepath.Glob(filepath.Join(dir, "*", "groundtruth"))
	if err != nil || len(cases) == 0 {
		return nil, fmt.Errorf("no */groundtruth under %s", dir)
	}
	sort.Strings(cases)
	rep := &CIDiffReport{}
	var recallSum float64
	var caseHits int
	for i, gt := range cases {
		want, err := readGroundTruth(gt)
		if err != nil {
			return nil, err
		}
		if len(want) == 0 {
			continue
		}
		logPath := filepath.Join(filepath.Dir(gt), "fail.log")
		_, ans, err := explainFile(ctx, eng, logPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Dir(gt), err)
		}
		raw, err := os.ReadFile(logPath)
		if err != nil {
			return nil, err
		}
		want = toLFLines(raw, want)
		got := evidenceLines(ans, false)
		found := 0
		for l := range want {
			if got[l] {
				found++
			}
		}
		rep.Cases++
		recallSum += float64(found) / float64(len(want))
		if found > 0 {
			caseHits++
		}
		if progress != nil {
			fmt.Fprintf(progress, "\rCiDiff: %d/%d cases", i+1, len(cases))
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	if rep.Cases == 0 {
		return nil, fmt.Errorf("no CiDiff case under %s had labelled error lines", dir)
	}
	rep.LineRecall = recallSum / float64(rep.Cases)
	rep.CaseHit = ratio(caseHits, rep.Cases)
	return rep, nil
}

// explainFile classifies a (possibly gzipped) log and also returns its normalised lines, so
// labels can be located by line number.
func explainFile(ctx context.Context, eng *cifailure.Engine, path string) ([]string, *cifailure.Answer, error) {
	f, err := os.Open(path) // #nosec G703 -- a corpus file under the operator's --data directory
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, err
		}
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	ans, err := eng.Explain(ctx, strings.NewReader(string(data)))
	if err != nil {
		return nil, nil, err
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		lines = append(lines, cifailure.NormalizeLine(sc.Text()))
	}
	return lines, ans, sc.Err()
}

// keyLine picks the chunk's line a person would grep for: the first containing a keyword,
// else the first non-empty one.
func keyLine(chunk string, keywords []string) string {
	var first string
	for _, raw := range strings.Split(chunk, "\n") {
		l := strings.TrimSpace(cifailure.NormalizeLine(raw))
		if l == "" {
			continue
		}
		if first == "" {
			first = l
		}
		for _, k := range keywords {
			if strings.Contains(l, k) {
				return l
			}
		}
	}
	return first
}

// linesContaining returns the 1-based numbers of the lines that contain key.
func linesContaining(lines []string, key string) map[int]bool {
	out := map[int]bool{}
	if key == "" {
		return out
	}
	for i, l := range lines {
		if strings.Contains(l, key) {
			out[i+1] = true
		}
	}
	return out
}

func evidenceLines(ans *cifailure.Answer, topOnly bool) map[int]bool {
	out := map[int]bool{}
	for i, p := range ans.Propositions {
		if topOnly && i > 0 {
			break
		}
		for _, ev := range p.Evidence {
			out[ev.Line] = true
		}
	}
	return out
}

func intersects(a, b map[int]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

// toLFLines renumbers labelled lines. CiDiff numbers lines as Java's readLine does (a lone
// \r ends a line too); the engine, like a terminal, treats a lone \r as a progress redraw
// within one line.
func toLFLines(raw []byte, javaLines map[int]bool) map[int]bool {
	out := map[int]bool{}
	java, lf := 1, 1
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\n':
			java++
			lf++
		case '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				continue // \r\n: the \n ends the line
			}
			java++
		default:
			continue
		}
		if javaLines[java] {
			out[lf] = true
		}
	}
	if javaLines[1] {
		out[1] = true
	}
	return out
}

var groundTruthRe = regexp.MustCompile(`^E (\d+)(?:-(\d+))?$`)

func readGroundTruth(path string) (map[int]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[int]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		m := groundTruthRe.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		from, _ := strconv.Atoi(m[1])
		to := from
		if m[2] != "" {
			to, _ = strconv.Atoi(m[2])
		}
		for l := from; l <= to && l-from < 100000; l++ {
			out[l] = true
		}
	}
	return out, nil
}

// chunkCategory gives a LogChunks chunk an indicative category from its words. The corpus has
// no cause labels; its README reports this kind of keyword pass, so the figure it yields is
// indicative only.
func chunkCategory(chunk string) string {
	c := strings.ToLower(chunk)
	switch {
	case containsAny(c, "rubocop", "eslint", "offense", "lint", "checkstyle", "flake8", "pylint", "style violation"):
		return "lint"
	case containsAny(c, "could not resolve dependencies", "version solving failed", "no matching version", "could not find a version", "unable to resolve dependency", "npm err! 404", "not found in registry"):
		return "dependency"
	case containsAny(c, "--- fail", "fail:", "tests failed", "failed tests", "test failed", "assert", "but was", "failures:", "tests run:", "failing", "examples, ", "test suite failed"):
		return "test"
	case containsAny(c, "error:", "cannot find symbol", "compilation", "compile", "syntax error", "undefined", "unresolved", "error ts", "error cs", "cannot be resolved"):
		return "compile"
	}
	return ""
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
