package cifailure

import (
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The prefilter runs a regexp on a line only when the line contains, for each of the regexp's
// literal sets, at least one member (matched ASCII case-insensitively). The sets are derived
// from the regexp's syntax tree, in the manner of Google Code Search's trigram queries: a
// conjunction of disjunctions that every match must satisfy.

// minLiteral is the shortest literal the prefilter accepts: shorter ones wake the regexp on
// almost every line and defeat the point of prefiltering.
const minLiteral = 3

const (
	// maxWindow caps a literal's length: the prefilter keeps the rarest window of a longer
	// literal. Any substring of a required literal is required too, and short literals keep
	// the automaton small enough for the CPU caches (whole messages made it 25 MB).
	maxWindow = 12
	// maxExact: exact-string sets larger than this are abandoned. A set as large as a
	// disjunction may be (maxSetMembers) keeps "(HTTP|Status|code):? ?429" on its 12 spellings
	// of "code 429" rather than on "429" alone, which woke the regexp on long lines of numbers.
	maxExact      = 32
	maxSetMembers = 32 // a disjunction with more members is too weak to use
	maxSets       = 3  // sets kept per regexp (the most selective ones)
)

// literalInfo describes what a sub-expression can match.
type literalInfo struct {
	exact  []string   // every string the node can match, when that set is small; nil = unknown
	prefix []string   // when exact is unknown: every match starts with one of these (nil = unknown)
	suffix []string   // likewise, ends with one of these
	req    [][]string // sets of which one member must occur in any match
}

// literalSets returns the literal sets of expr, most selective first, or nil when expr has
// no usable literal.
func literalSets(expr string) ([][]string, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	// Not Simplify()d: it rewrites x{3,} as nested concatenations that hide the literal "xxx".
	info := analyze(re)
	sets := info.req
	if info.exact != nil {
		sets = append(sets, info.exact)
	}
	var usable [][]string
	for _, set := range sets {
		if set = normalizeSet(set); set != nil {
			usable = append(usable, set)
		}
	}
	// Drop duplicates, then sets implied by another (each member of the other contains one
	// of theirs): they would only add bookkeeping.
	var unique [][]string
	for _, set := range usable {
		if !slices.ContainsFunc(unique, func(u []string) bool { return slices.Equal(u, set) }) {
			unique = append(unique, set)
		}
	}
	usable = slices.DeleteFunc(slices.Clone(unique), func(b []string) bool {
		return slices.ContainsFunc(unique, func(a []string) bool { return !slices.Equal(a, b) && implies(a, b) })
	})
	slices.SortStableFunc(usable, func(a, b []string) int { return setQuality(b) - setQuality(a) })
	out := usable
	if len(out) > maxSets {
		out = out[:maxSets]
	}
	return out, nil
}

func analyze(re *syntax.Regexp) literalInfo {
	switch re.Op {
	case syntax.OpLiteral:
		return literalInfo{exact: []string{string(re.Rune)}}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return literalInfo{exact: []string{""}}
	case syntax.OpCharClass:
		return literalInfo{exact: classStrings(re)}
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpQuest:
		sub := analyze(re.Sub[0])
		if sub.exact != nil && len(sub.exact) < maxExact {
			return literalInfo{exact: append(slices.Clone(sub.exact), "")}
		}
		return literalInfo{}
	case syntax.OpStar:
		return literalInfo{}
	case syntax.OpPlus:
		return atLeastOnce(analyze(re.Sub[0]))
	case syntax.OpRepeat:
		sub := analyze(re.Sub[0])
		if re.Min == 0 {
			if re.Max == 1 && sub.exact != nil && len(sub.exact) < maxExact {
				return literalInfo{exact: append(slices.Clone(sub.exact), "")}
			}
			return literalInfo{}
		}
		if sub.exact != nil && re.Min <= 8 {
			rep := literalInfo{exact: []string{""}}
			for i := 0; i < re.Min && rep.exact != nil; i++ {
				rep.exact = cross(rep.exact, sub.exact)
			}
			if re.Max == re.Min {
				return rep
			}
			return atLeastOnce(rep)
		}
		return atLeastOnce(sub)
	case syntax.OpConcat:
		return concat(re.Sub)
	case syntax.OpAlternate:
		return alternate(re.Sub)
	}
	return literalInfo{}
}

// atLeastOnce: the node's match starts and ends with a match of sub, and may repeat it.
func atLeastOnce(sub literalInfo) literalInfo {
	out := literalInfo{req: sub.req, prefix: sub.prefix, suffix: sub.suffix}
	if sub.exact != nil {
		out.req = append(slices.Clone(out.req), sub.exact)
		out.prefix, out.suffix = sub.exact, sub.exact
	}
	return out
}

func concat(subs []*syntax.Regexp) literalInfo {
	var out literalInfo
	cur := []string{""} // exact strings the pieces since the last break can match
	broken := false
	flush := func(set []string) {
		if set != nil {
			out.req = append(out.req, set)
		}
	}
	for _, sub := range subs {
		info := analyze(sub)
		out.req = append(out.req, info.req...)
		if cur != nil && info.exact != nil {
			if next := cross(cur, info.exact); next != nil {
				cur = next
				continue
			}
		}
		// A break: what we had, extended by the child's known beginning, is required.
		head := cur
		if cur != nil && info.exact == nil && info.prefix != nil {
			if next := cross(cur, info.prefix); next != nil {
				head = next
			}
		}
		if !broken {
			out.prefix = head
			broken = true
		}
		flush(head)
		if info.exact != nil {
			cur = info.exact
		} else {
			cur = info.suffix
		}
	}
	if !broken {
		out.exact = cur
		return out
	}
	flush(cur)
	out.suffix = cur
	return out
}

func alternate(subs []*syntax.Regexp) literalInfo {
	infos := make([]literalInfo, len(subs))
	allExact := true
	for i, sub := range subs {
		infos[i] = analyze(sub)
		allExact = allExact && infos[i].exact != nil
	}
	if allExact {
		var union []string
		for _, info := range infos {
			union = append(union, info.exact...)
		}
		if len(union) <= maxExact {
			return literalInfo{exact: union}
		}
	}
	// Each branch contributes its most selective set; their union is required.
	var union []string
	for _, info := range infos {
		sets := info.req
		if info.exact != nil {
			sets = append(sets, info.exact)
		}
		var best []string
		for _, set := range sets {
			if set = normalizeSet(set); set != nil && setQuality(set) > setQuality(best) {
				best = set
			}
		}
		if best == nil {
			return literalInfo{}
		}
		union = append(union, best...)
	}
	return literalInfo{req: [][]string{union}}
}

// cross is every a followed by every b, or nil when that is too many strings.
func cross(a, b []string) []string {
	if len(a)*len(b) > maxExact {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

// classStrings lists the characters of a small class (case-folded classes such as [Ee] stay
// small), or nil. Line terminators are left out: the engine matches one line at a time,
// without its newline, so `\s` can only be a space, a tab or a form feed there. Kept, they
// made literals such as "\nassert" that no line holds, and `ciagent kb literals` printed them
// as an empty line, a pattern that matches everything.
func classStrings(re *syntax.Regexp) []string {
	var out []string
	for i := 0; i+1 < len(re.Rune); i += 2 {
		lo, hi := re.Rune[i], re.Rune[i+1]
		if hi-lo > 4 {
			return nil
		}
		for r := lo; r <= hi; r++ {
			if r == '\n' || r == '\r' {
				continue
			}
			out = append(out, string(unicode.ToLower(r)))
			if len(out) > 8 {
				return nil
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// normalizeSet lower-cases and dedupes a set, or returns nil when a member is too short to
// prefilter on or the set is too large.
func normalizeSet(set []string) []string {
	if len(set) == 0 || len(set) > maxSetMembers {
		return nil
	}
	out := make([]string, 0, len(set))
	for _, s := range set {
		if len(s) < minLiteral {
			return nil
		}
		out = append(out, rarestWindow(strings.ToLower(s), maxWindow))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	// A member containing another member adds nothing: the shorter one occurs whenever it does.
	return slices.DeleteFunc(out, func(long string) bool {
		return slices.ContainsFunc(out, func(short string) bool { return short != long && strings.Contains(long, short) })
	})
}

// setQuality estimates how rarely a set wakes its regexp: the weakest member counts, and a
// member scores by its bytes, rare punctuation above letters (log lines are mostly letters).
func setQuality(set []string) int {
	if len(set) == 0 {
		return 0
	}
	q := -1
	for _, s := range set {
		score := 0
		for i := 0; i < len(s); i++ {
			score += byteRarity(s[i])
		}
		if q < 0 || score < q {
			q = score
		}
	}
	return q - len(set) // a wide disjunction wakes more often
}

func byteRarity(b byte) int {
	switch {
	case b >= 'a' && b <= 'z':
		return 2
	case b == ' ':
		return 4 // a window across two words is far rarer than a word's prefix
	case b >= '0' && b <= '9', b == '.', b == '/', b == '-', b == ':', b == ',':
		return 3
	}
	return 5
}

// implies reports whether a match of some member of a always contains a member of b.
func implies(a, b []string) bool {
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y string) bool { return strings.Contains(x, y) }) {
			return false
		}
	}
	return true
}

// commonInLogs are tokens on a large share of CI log lines; a window holding one wakes its
// regexp often, so windows avoid them when the literal has other words.
var commonInLogs = []string{"error", "npm err", "[info]", "warn", "fail", "test", "http"}

// rarestWindow returns the substring of s of length n (s itself when shorter) whose bytes
// score rarest; on ties the leftmost.
func rarestWindow(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Bytes inside a common token count against a window, so windows avoid them.
	common := make([]bool, len(s))
	for _, tok := range commonInLogs {
		for from := 0; ; {
			i := strings.Index(s[from:], tok)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(tok); j++ {
				common[j] = true
			}
			from += i + 1
		}
	}
	best, bestScore := -1, math.MinInt
	for i := 0; i+n <= len(s); i++ {
		// Never cut a multi-byte character: the window must stay valid UTF-8.
		if !utf8.RuneStart(s[i]) || (i+n < len(s) && !utf8.RuneStart(s[i+n])) {
			continue
		}
		score := 0
		for j := i; j < i+n; j++ {
			if common[j] {
				score -= 3
			} else {
				score += byteRarity(s[j])
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return s
	}
	return s[best : best+n]
}

// compiledExpr is a regexp with its prefilter literal sets.
type compiledExpr struct {
	expr string
	sets [][]string
	once sync.Once
	re   *regexp.Regexp
}

// regexp compiles on first use. A log makes few of the knowledge base's thousand regexps
// candidates, and compiling them all up front was a third of the CLI's start-up. It cannot
// fail: literalSets has parsed expr with the flags regexp.Compile uses, and after a successful
// parse regexp.Compile always succeeds.
func (c *compiledExpr) regexp() *regexp.Regexp {
	c.once.Do(func() { c.re = regexp.MustCompile(c.expr) })
	return c.re
}

// compiledExprs memoises compileExpr: validation and the engine both need every regexp's
// literal sets, and the regexps compiled so far are shared by every engine of the process.
var compiledExprs sync.Map // string -> *compiledExpr

// compileExpr parses expr and derives its literal sets once per process.
func compileExpr(expr string) (*compiledExpr, error) {
	if c, ok := compiledExprs.Load(expr); ok {
		return c.(*compiledExpr), nil
	}
	sets, err := literalSets(expr)
	if err != nil {
		return nil, err
	}
	c, _ := compiledExprs.LoadOrStore(expr, &compiledExpr{expr: expr, sets: sets})
	return c.(*compiledExpr), nil
}
