package cifailure

import (
	"regexp/syntax"
	"strings"
)

// minLiteral is the shortest literal the prefilter accepts: shorter ones would wake the
// regexp on almost every line and defeat the point of prefiltering.
const minLiteral = 3

// maxAlternatives caps how many literals one regexp may contribute, for the same reason.
const maxAlternatives = 32

// requiredLiterals returns literals of which at least one occurs (ASCII case-folded) in every
// line the regexp matches, or nil when the regexp requires no usable literal.
func requiredLiterals(expr string) ([]string, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	set := required(re.Simplify())
	if len(set) == 0 || len(set) > maxAlternatives {
		return nil, nil
	}
	for i, s := range set {
		if len(s) < minLiteral {
			return nil, nil
		}
		set[i] = strings.ToLower(s)
	}
	return dedupe(set), nil
}

// required walks the regexp tree. For a concatenation it keeps the child whose alternatives
// are the most selective (longest shortest literal); for an alternation every branch must
// contribute, or the whole has no requirement.
func required(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
		return nil
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			if cand := required(sub); quality(cand) > quality(best) {
				best = cand
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			alt := required(sub)
			if alt == nil {
				return nil
			}
			all = append(all, alt...)
		}
		return all
	}
	return nil
}

// quality ranks literal sets by the length of their shortest member; sets with too many
// members rank lowest.
func quality(set []string) int {
	if len(set) == 0 || len(set) > maxAlternatives {
		return 0
	}
	q := len(set[0])
	for _, s := range set[1:] {
		q = min(q, len(s))
	}
	return q
}

func dedupe(set []string) []string {
	seen := make(map[string]bool, len(set))
	out := set[:0]
	for _, s := range set {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
