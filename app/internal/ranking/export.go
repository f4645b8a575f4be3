package ranking

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Export formats.
const (
	FormatSVMLight = "svmlight"
	FormatJSONL    = "jsonl"
)

// Formats lists the export formats.
var Formats = []string{FormatSVMLight, FormatJSONL}

// Writer writes queries as export rows, one per proposition.
type Writer struct {
	w      *bufio.Writer
	format string
	names  []string
	rows   int64
}

// NewWriter returns a Writer of format for kind's features.
func NewWriter(w io.Writer, format, kind string) (*Writer, error) {
	if format != FormatSVMLight && format != FormatJSONL {
		return nil, fmt.Errorf("unknown format %q (want svmlight or jsonl)", format)
	}
	names := FeatureNames(kind)
	if names == nil {
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), format: format, names: names}, nil
}

// Rows is how many rows were written.
func (x *Writer) Rows() int64 { return x.rows }

// jsonRow is one JSON-lines row; features are keyed by name, so the file is self-describing.
// Every field is always written, "" when empty (no omitempty): readers with a fixed schema
// (pandas, Spark) would otherwise miss a column whenever a span has no repo, no category
// (spam reasons) or no model version in it. docs/ranking.md lists the fields.
type jsonRow struct {
	QID          int64              `json:"qid"`
	RequestID    string             `json:"request_id"`
	Kind         string             `json:"kind"`
	Repo         string             `json:"repo"`
	ReceivedAt   time.Time          `json:"received_at"`
	CauseID      string             `json:"cause_id"`
	Category     string             `json:"category"`
	ProposerRank int                `json:"proposer_rank"`
	ServedRank   int                `json:"served_rank"`
	Ranker       string             `json:"ranker_version"`
	Label        int                `json:"label"`
	Features     map[string]float64 `json:"features"`
}

// Write writes one query: one row per proposition, in the proposer's order. In svmlight the
// row is "label qid:N i:v …  # request_id cause_id" with 1-based indices into the feature
// header and zero values left out, as LightGBM, XGBoost and RankLib read it.
func (x *Writer) Write(q *Query) error {
	for i, c := range q.Cands {
		switch x.format {
		case FormatSVMLight:
			b := x.w.AvailableBuffer()
			b = strconv.AppendInt(b, int64(q.Labels[i]), 10)
			b = append(b, " qid:"...)
			b = strconv.AppendInt(b, q.QID, 10)
			for j, v := range q.X[i] {
				if v == 0 {
					continue
				}
				b = append(b, ' ')
				b = strconv.AppendInt(b, int64(j+1), 10)
				b = append(b, ':')
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
			}
			b = append(b, " # "...)
			b = append(b, q.RequestID.String()...)
			b = append(b, ' ')
			b = append(b, svmComment(c.CauseID)...)
			b = append(b, '\n')
			if _, err := x.w.Write(b); err != nil {
				return err
			}
		case FormatJSONL:
			feats := make(map[string]float64, len(x.names))
			for j, v := range q.X[i] {
				feats[x.names[j]] = v
			}
			row := jsonRow{QID: q.QID, RequestID: q.RequestID.String(), Kind: q.Kind, Repo: q.Repo, ReceivedAt: q.At,
				CauseID: c.CauseID, Category: c.Category, ProposerRank: i + 1, ServedRank: c.Rank, Ranker: q.RankerVersion,
				Label: q.Labels[i], Features: feats}
			b, err := json.Marshal(row)
			if err != nil {
				return err
			}
			b = append(b, '\n')
			if _, err := x.w.Write(b); err != nil {
				return err
			}
		}
		x.rows++
	}
	return nil
}

// Flush writes out what is buffered.
func (x *Writer) Flush() error { return x.w.Flush() }

// svmComment keeps a cause id from breaking the line: ids are [a-z0-9._-], but a stored row
// is not ours to trust.
func svmComment(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c <= ' ' || c == 0x7f {
			b[i] = '_'
		}
	}
	return string(b)
}

// WriteFeatureHeader writes the feature-name header that goes alongside an svmlight export:
// one "index name  # description" line per feature, index as in the svmlight rows.
func WriteFeatureHeader(w io.Writer, kind string) error {
	fs := FeatureSet(kind)
	if fs == nil {
		return fmt.Errorf("unknown kind %q", kind)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# ciagent ranking features for %s: svmlight index, name, description. Labels: 2 accepted, 1 no feedback, 0 rejected; qid = one request.\n", kind)
	for i, f := range fs {
		fmt.Fprintf(bw, "%d %s  # %s\n", i+1, f.Name, f.Doc)
	}
	return bw.Flush()
}
