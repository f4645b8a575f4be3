package cifailure

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed kb/*.yaml
var builtinKB embed.FS

// Categories is the category vocabulary. It is part of the API: clients switch on it.
var Categories = []string{
	"compile", "test", "dependency", "network", "rate_limit", "oom", "disk", "timeout",
	"permission", "lint", "crash", "security", "container", "infrastructure", "config",
	"deploy", "unknown",
}

// CategoryUnknown is the engine's answer when no cause matches, and the category of the CI
// runners' verdict lines, which say only that a step failed.
const CategoryUnknown = "unknown"

// DefaultWeight is the specificity of a cause that does not set one.
const DefaultWeight = 0.6

// Cause is one known failure: how to recognise it in a log and what to do about it.
type Cause struct {
	ID        string    `yaml:"id" json:"id"`
	Category  string    `yaml:"category" json:"category"`
	Title     string    `yaml:"title" json:"title"`
	Weight    float64   `yaml:"weight,omitempty" json:"weight"`
	Patterns  []Pattern `yaml:"patterns" json:"patterns"`
	Fix       []string  `yaml:"fix" json:"fix"`
	Docs      string    `yaml:"docs,omitempty" json:"docs,omitempty"`
	Ecosystem string    `yaml:"-" json:"ecosystem"`
	Source    string    `yaml:"-" json:"source"` // file the cause was loaded from
}

// Pattern is one way a cause shows in a log. Exactly one form is set:
//   - Match alone: a single line;
//   - Match, Then, Within: a line matching Then at most Within lines after one matching Match;
//   - All: every regexp matches some line, anywhere in the log.
type Pattern struct {
	Match  string   `yaml:"match,omitempty" json:"match,omitempty"`
	Then   string   `yaml:"then,omitempty" json:"then,omitempty"`
	Within int      `yaml:"within,omitempty" json:"within,omitempty"`
	All    []string `yaml:"all,omitempty" json:"all,omitempty"`
}

// maxRoles is the most regexps one pattern may combine (an "all" of up to four).
const maxRoles = 4

// regexps lists the pattern's regexps in role order (match, then) or (all...).
func (p Pattern) regexps() []string {
	if len(p.All) > 0 {
		return p.All
	}
	if p.Then != "" {
		return []string{p.Match, p.Then}
	}
	return []string{p.Match}
}

type kbFile struct {
	Ecosystem string  `yaml:"ecosystem"`
	Causes    []Cause `yaml:"causes"`
}

// KB is a validated set of causes.
type KB struct {
	Causes []Cause
}

// maxKBFile bounds what one knowledge-base file may occupy in memory.
const maxKBFile = 8 << 20

// LoadBuiltin returns the knowledge base embedded in the binary.
func LoadBuiltin() (*KB, error) {
	sub, err := fs.Sub(builtinKB, "kb")
	if err != nil {
		return nil, err
	}
	causes, err := loadFS(sub, "builtin:")
	if err != nil {
		return nil, err
	}
	return newKB(causes)
}

// Load returns the built-in knowledge base extended by every *.yaml file in dir (when dir is
// not empty). A cause in dir whose id equals a built-in one replaces it, so a team can tune a
// built-in cause without forking the binary.
func Load(dir string) (*KB, error) {
	kb, err := LoadBuiltin()
	if err != nil || dir == "" {
		return kb, err
	}
	extra, err := LoadDir(dir)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(kb.Causes))
	for i, c := range kb.Causes {
		byID[c.ID] = i
	}
	merged := slices.Clone(kb.Causes)
	for _, c := range extra {
		if i, ok := byID[c.ID]; ok {
			merged[i] = c
		} else {
			merged = append(merged, c)
		}
	}
	return newKB(merged)
}

// LoadDir reads and validates the *.yaml files of one directory, without the built-ins.
func LoadDir(dir string) ([]Cause, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("knowledge base: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("knowledge base: %s is not a directory", dir)
	}
	causes, err := loadFS(os.DirFS(dir), dir+string(os.PathSeparator))
	if err != nil {
		return nil, err
	}
	if _, err := newKB(causes); err != nil {
		return nil, err
	}
	return causes, nil
}

func loadFS(fsys fs.FS, prefix string) ([]Cause, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("knowledge base %s: no *.yaml files", strings.TrimSuffix(prefix, "/"))
	}
	var causes []Cause
	for _, name := range names {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, maxKBFile+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s%s: %w", prefix, name, err)
		}
		if len(data) > maxKBFile {
			return nil, fmt.Errorf("%s%s: larger than %d bytes", prefix, name, maxKBFile)
		}
		cs, err := ParseFile(data, prefix+name)
		if err != nil {
			return nil, err
		}
		causes = append(causes, cs...)
	}
	return causes, nil
}

// ParseFile decodes one knowledge-base file strictly (unknown fields are errors) and
// validates each cause on its own. source names the file in errors.
func ParseFile(data []byte, source string) (causes []Cause, err error) {
	defer func() {
		// yaml.v3 has panicked on hostile documents in the past; a bad file must stay an error.
		if r := recover(); r != nil {
			causes, err = nil, fmt.Errorf("%s: malformed YAML: %v", source, r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f kbFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty file", source)
		}
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(f.Causes) == 0 {
		return nil, fmt.Errorf("%s: no causes", source)
	}
	var errs []error
	for i := range f.Causes {
		c := &f.Causes[i]
		c.Ecosystem = f.Ecosystem
		c.Source = path.Base(source)
		if c.Weight == 0 {
			c.Weight = DefaultWeight
		}
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: cause %d (%s): %w", source, i+1, c.ID, err))
		}
	}
	return f.Causes, errors.Join(errs...)
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,79}$`)

// Validate checks one cause against the rules of docs/knowledge-base.md.
func (c *Cause) Validate() error {
	var errs []error
	if !idPattern.MatchString(c.ID) {
		errs = append(errs, fmt.Errorf("id %q: want 2-80 chars of [a-z0-9.-], starting with a letter or digit", c.ID))
	}
	// unknown is the engine's fallback, and the category of a CI runner's own verdict line
	// ("Process completed with exit code 1"), which says that a step failed, not what failed:
	// only such wrappers (weight under genericWeight) may claim it.
	if !slices.Contains(Categories, c.Category) || c.Category == CategoryUnknown && c.Weight >= genericWeight {
		errs = append(errs, fmt.Errorf("category %q: want one of %s (unknown only for a wrapper line of weight under %.2f)", c.Category, strings.Join(Categories[:len(Categories)-1], ", "), genericWeight))
	}
	if strings.TrimSpace(c.Title) == "" {
		errs = append(errs, errors.New("title is empty"))
	}
	if c.Weight < 0 || c.Weight > 1 {
		errs = append(errs, fmt.Errorf("weight %v: want 0..1", c.Weight))
	}
	if len(c.Fix) == 0 {
		errs = append(errs, errors.New("no fix propositions"))
	}
	if len(c.Patterns) == 0 {
		errs = append(errs, errors.New("no patterns"))
	}
	for i, p := range c.Patterns {
		if err := p.validate(); err != nil {
			errs = append(errs, fmt.Errorf("pattern %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

func (p Pattern) validate() error {
	switch {
	case len(p.All) > 0:
		if p.Match != "" || p.Then != "" || p.Within != 0 {
			return errors.New("all: cannot be combined with match/then/within")
		}
		if len(p.All) < 2 || len(p.All) > maxRoles {
			return fmt.Errorf("all: has %d regexps; want 2..%d", len(p.All), maxRoles)
		}
	case p.Match == "":
		return errors.New("needs match or all")
	case p.Then != "":
		if p.Within < 1 || p.Within > 1000 {
			return fmt.Errorf("within %d: want 1..1000 with then", p.Within)
		}
	case p.Within != 0:
		return errors.New("within needs then")
	}
	for _, expr := range p.regexps() {
		c, err := compileExpr(expr)
		if err != nil {
			return fmt.Errorf("regexp %q: %w", expr, err)
		}
		if len(c.sets) == 0 {
			return fmt.Errorf("regexp %q requires no literal of %d+ bytes (in every alternative) for the prefilter", expr, minLiteral)
		}
	}
	return nil
}

func newKB(causes []Cause) (*KB, error) {
	seen := make(map[string]string, len(causes))
	var errs []error
	for _, c := range causes {
		if prev, ok := seen[c.ID]; ok {
			errs = append(errs, fmt.Errorf("duplicate cause id %q in %s and %s", c.ID, prev, c.Source))
		}
		seen[c.ID] = c.Source
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &KB{Causes: causes}, nil
}

// Literals returns the prefilter literals of the knowledge base, deduplicated and sorted.
func (kb *KB) Literals() []string {
	var all []string
	for _, c := range kb.Causes {
		for _, p := range c.Patterns {
			for _, expr := range p.regexps() {
				ce, err := compileExpr(expr)
				if err != nil {
					continue // a loaded KB has validated every regexp
				}
				for _, set := range ce.sets {
					all = append(all, set...)
				}
			}
		}
	}
	slices.Sort(all)
	return slices.Compact(all)
}
