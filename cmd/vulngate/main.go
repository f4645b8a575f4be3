// Command vulngate turns `govulncheck -format json` into a pass or fail: it fails on every
// vulnerability the code calls unless the exceptions file names it with a reason. govulncheck
// has no way to accept a finding, and some cannot be fixed in code: a standard-library fix
// ships with a Go release, so until the machines' Go has it the finding is a known,
// written-down exception instead of a red build. `make lint` runs it per module:
//
//	govulncheck -format json ./... | vulngate -exceptions .govulncheck-exceptions
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	exceptions := flag.String("exceptions", "", "file of accepted vulnerabilities: `ID reason...` per line, # comments")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *exceptions); err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(1)
	}
}

// errCalled is returned when the code calls a vulnerability that is not excepted.
var errCalled = errors.New("the code calls vulnerable symbols (see above)")

func run(in io.Reader, out io.Writer, exceptionsFile string) error {
	accepted := map[string]string{}
	if exceptionsFile != "" {
		f, err := os.Open(exceptionsFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if accepted, err = parseExceptions(f); err != nil {
			return fmt.Errorf("%s: %w", exceptionsFile, err)
		}
	}
	called, err := calledVulns(in)
	if err != nil {
		return err
	}
	return report(out, called, accepted)
}

// parseExceptions reads "GO-YYYY-NNNN reason" lines; the reason is required.
func parseExceptions(r io.Reader) (map[string]string, error) {
	accepted := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(id, "GO-") || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("line %d: want `GO-YYYY-NNNN reason`, got %q", n, line)
		}
		accepted[id] = strings.TrimSpace(reason)
	}
	return accepted, sc.Err()
}

// finding is one vulnerability the code calls, with the first trace that shows it.
type finding struct {
	id, module, version, fixed string
	symbol, calledFrom         string
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
	} `json:"position"`
}

// calledVulns reads govulncheck's JSON stream and keeps the symbol-level findings: those
// whose trace starts at a function, which is govulncheck's own "your code calls it".
// Module- and package-level findings (imported, not called) do not fail the gate, as they
// do not fail govulncheck's text mode.
func calledVulns(r io.Reader) (map[string]finding, error) {
	called := map[string]finding{}
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Finding *struct {
				OSV          string   `json:"osv"`
				FixedVersion string   `json:"fixed_version"`
				Trace        []*frame `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return called, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading govulncheck -format json: %w", err)
		}
		f := msg.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue
		}
		if _, seen := called[f.OSV]; seen {
			continue
		}
		top, entry := f.Trace[0], f.Trace[len(f.Trace)-1]
		symbol := top.Package + "." + top.Function
		if top.Receiver != "" {
			symbol = top.Package + "." + strings.TrimPrefix(top.Receiver, "*") + "." + top.Function
		}
		from := entry.Package + "." + entry.Function
		if entry.Position != nil {
			from = fmt.Sprintf("%s:%d", entry.Position.Filename, entry.Position.Line)
		}
		called[f.OSV] = finding{id: f.OSV, module: top.Module, version: top.Version, fixed: f.FixedVersion, symbol: symbol, calledFrom: from}
	}
}

func report(out io.Writer, called map[string]finding, accepted map[string]string) error {
	ids := make([]string, 0, len(called))
	for id := range called {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	failed := 0
	for _, id := range ids {
		f := called[id]
		fixed := f.fixed
		if fixed == "" {
			fixed = "no fix yet"
		}
		line := fmt.Sprintf("%s in %s@%s (fixed in %s): %s, called from %s", id, f.module, f.version, fixed, f.symbol, f.calledFrom)
		if reason, ok := accepted[id]; ok {
			fmt.Fprintf(out, "accepted  %s\n          because %s\n", line, reason)
			continue
		}
		failed++
		fmt.Fprintf(out, "CALLED    %s\n", line)
	}
	var stale []string
	for id := range accepted {
		if _, ok := called[id]; !ok {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	for _, id := range stale {
		fmt.Fprintf(out, "not found %s: excepted but no longer called here (drop it once no module or Go version needs it)\n", id)
	}
	fmt.Fprintf(out, "%d called vulnerabilities: %d accepted, %d not\n", len(called), len(called)-failed, failed)
	if failed > 0 {
		return errCalled
	}
	return nil
}
