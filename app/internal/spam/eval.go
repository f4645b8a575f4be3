package spam

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// PublishedAccuracy is the best accuracy the literature reports per corpus; the evaluation
// prints ours beside it. SMS: Almeida et al. 2011 and follow-ups (99.16 %); YouTube: LinearSVC +
// TF-IDF with 10-fold CV (95.33 %); SpamAssassin public corpus (97.8 %).
var PublishedAccuracy = map[string]float64{
	CorpusSMS:          0.9916,
	CorpusYouTube:      0.9533,
	CorpusSpamAssassin: 0.978,
}

// Metrics are binary-classification figures with spam as the positive class.
type Metrics struct {
	TP, FP, TN, FN int
}

func (m *Metrics) add(predSpam, isSpam bool) {
	switch {
	case predSpam && isSpam:
		m.TP++
	case predSpam:
		m.FP++
	case isSpam:
		m.FN++
	default:
		m.TN++
	}
}

// Accuracy is (TP+TN)/all.
func (m Metrics) Accuracy() float64 { return ratio(m.TP+m.TN, m.TP+m.TN+m.FP+m.FN) }

// Precision is TP/(TP+FP).
func (m Metrics) Precision() float64 { return ratio(m.TP, m.TP+m.FP) }

// Recall is TP/(TP+FN).
func (m Metrics) Recall() float64 { return ratio(m.TP, m.TP+m.FN) }

// F1 is the harmonic mean of precision and recall.
func (m Metrics) F1() float64 {
	p, r := m.Precision(), m.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// FPR is FP/(FP+TN): the share of legitimate texts wrongly called spam.
func (m Metrics) FPR() float64 { return ratio(m.FP, m.FP+m.TN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// CorpusResult is the evaluation of one corpus's held-out 20 %.
type CorpusResult struct {
	Name       string
	Train      int
	Test       int
	Duplicates int
	Model      Metrics // the statistical model alone, spam when p >= 0.5
	Proposer   Metrics // the whole proposer, spam when the verdict is not allow
}

// Report is the whole evaluation.
type Report struct {
	Corpora []CorpusResult
	Missing []string // corpora that were not found
}

// Evaluate scores the held-out split of every corpus found under paths with c. The
// near-duplicate memory is not used: the corpora are de-duplicated and a benchmark must not
// learn from its own test set.
func Evaluate(c *Checker, paths CorpusPaths) (Report, error) {
	corpora, missing, err := LoadCorpora(paths)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Missing: missing}
	for _, corp := range corpora {
		res := CorpusResult{Name: corp.Name, Train: len(corp.Train), Test: len(corp.Test), Duplicates: corp.Duplicates}
		for _, s := range corp.Test {
			text := s.Text
			if len(text) > MaxTextBytes {
				text = text[:MaxTextBytes]
			}
			res.Model.add(c.model.Prob(text) >= 0.5, s.Spam)
			resp := c.respond(c.reasons(Request{Text: text}, nil))
			res.Proposer.add(resp.Verdict != Allow, s.Spam)
		}
		rep.Corpora = append(rep.Corpora, res)
	}
	return rep, nil
}

// PrintReport writes the report as an aligned table.
func PrintReport(w io.Writer, rep Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "corpus\tscorer\ttrain\ttest\tdups\taccuracy\tprecision\trecall\tF1\tFPR\tpublished acc\t")
	for _, r := range rep.Corpora {
		for _, row := range []struct {
			name string
			m    Metrics
		}{{"model", r.Model}, {"proposer", r.Proposer}} {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.2f%%\t%.2f%%\t%.2f%%\t%.4f\t%.2f%%\t%.2f%%\t\n",
				r.Name, row.name, r.Train, r.Test, r.Duplicates, 100*row.m.Accuracy(), 100*row.m.Precision(),
				100*row.m.Recall(), row.m.F1(), 100*row.m.FPR(), 100*PublishedAccuracy[r.Name])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range rep.Missing {
		fmt.Fprintf(w, "%s: corpus not found, skipped (see docs/spam.md)\n", m)
	}
	return nil
}
