package ranking

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/ranking/rankingtest"
)

// svmRow is one parsed svmlight line.
type svmRow struct {
	label     int
	qid       int64
	features  map[int]float64
	requestID string
	causeID   string
}

// parseSVMLight parses svmlight/LETOR rows strictly: "label qid:N i:v … # comment", indices
// increasing and within [1, dims].
func parseSVMLight(t *testing.T, data []byte, dims int) []svmRow {
	t.Helper()
	var rows []svmRow
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		body, comment, _ := strings.Cut(line, "#")
		fields := strings.Fields(body)
		if len(fields) < 2 {
			t.Fatalf("line %d %q: want a label and a qid", n, line)
		}
		var r svmRow
		var err error
		if r.label, err = strconv.Atoi(fields[0]); err != nil {
			t.Fatalf("line %d %q: label: %v", n, line, err)
		}
		q, ok := strings.CutPrefix(fields[1], "qid:")
		if !ok {
			t.Fatalf("line %d %q: second field %q is not qid:N", n, line, fields[1])
		}
		if r.qid, err = strconv.ParseInt(q, 10, 64); err != nil || r.qid <= 0 {
			t.Fatalf("line %d %q: qid %q", n, line, q)
		}
		r.features = map[int]float64{}
		last := 0
		for _, f := range fields[2:] {
			is, vs, ok := strings.Cut(f, ":")
			i, err1 := strconv.Atoi(is)
			v, err2 := strconv.ParseFloat(vs, 64)
			if !ok || err1 != nil || err2 != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("line %d %q: feature %q is not index:value", n, line, f)
			}
			if i <= last || i > dims {
				t.Fatalf("line %d %q: index %d after %d (dims %d); want increasing within 1..%d", n, line, i, last, dims, dims)
			}
			last = i
			r.features[i] = v
		}
		c := strings.Fields(comment)
		if len(c) != 2 {
			t.Fatalf("line %d %q: comment %q; want request id and cause id", n, line, comment)
		}
		r.requestID, r.causeID = c[0], c[1]
		rows = append(rows, r)
	}
	return rows
}

// A span from before 1970 ("--since 36500d", all of it) selects everything: UUIDv7 time
// starts at the epoch, and an earlier bound used to wrap to the largest id and select nothing.
func TestSpanBeforeTheEpoch(t *testing.T) {
	url, store := testStore(t)
	sim := rankingtest.Simulate(t, url, rankingtest.Config{Seed: 3, Requests: 50, Days: 1, Start: simStart})
	queries, err := store.AllQueries(t.Context(), Span{Kind: KindCIExplain, Since: time.Unix(0, 0).Add(-100 * 365 * 24 * time.Hour), Until: sim.Until})
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) != 50 {
		t.Errorf("a span from 1870 read %d requests; want all 50", len(queries))
	}
}

// TestExportRoundTrip: every stored proposition comes out once as a valid svmlight row, qids
// increase with the request, and labels are the feedback (accepted 2 > none 1 > rejected 0).
func TestExportRoundTrip(t *testing.T) {
	url, store := testStore(t)
	sim := rankingtest.Simulate(t, url, rankingtest.Config{Seed: 2, Requests: 400, Days: 3, Start: simStart})
	span := Span{Kind: KindCIExplain, Since: simStart, Until: sim.Until}
	names := FeatureNames(KindCIExplain)

	var svm bytes.Buffer
	n, err := Export(t.Context(), store, &svm, span, FormatSVMLight)
	if err != nil {
		t.Fatalf("Export(svmlight): %v", err)
	}
	rows := parseSVMLight(t, svm.Bytes(), len(names))
	if int(n) != len(rows) || len(rows) != len(sim.Labels) {
		t.Fatalf("Export wrote %d rows (reported %d); want one per proposition: %d", len(rows), n, len(sim.Labels))
	}
	seen := map[string]bool{}
	qidOf := map[string]int64{}
	var prevQID int64
	var prevReq string
	for i, r := range rows {
		key := r.requestID + " " + r.causeID
		want, ok := sim.Labels[key]
		if !ok || seen[key] {
			t.Fatalf("row %d: (%s) unknown or repeated", i+1, key)
		}
		seen[key] = true
		if r.label != want {
			t.Errorf("row %d (%s): label %d; want %d from the feedback", i+1, key, r.label, want)
		}
		switch {
		case r.requestID == prevReq && r.qid != prevQID:
			t.Fatalf("row %d: qid %d changed within request %s (was %d)", i+1, r.qid, r.requestID, prevQID)
		case r.requestID != prevReq && r.qid != prevQID+1:
			t.Fatalf("row %d: request %s got qid %d; want %d (increasing by one)", i+1, r.requestID, r.qid, prevQID+1)
		}
		if q, ok := qidOf[r.requestID]; ok && q != r.qid {
			t.Fatalf("request %s has qids %d and %d", r.requestID, q, r.qid)
		}
		qidOf[r.requestID] = r.qid
		prevQID, prevReq = r.qid, r.requestID
	}

	var jl bytes.Buffer
	if _, err := Export(t.Context(), store, &jl, span, FormatJSONL); err != nil {
		t.Fatalf("Export(jsonl): %v", err)
	}
	sc := bufio.NewScanner(&jl)
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		var row jsonRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("jsonl row %d: %v", i+1, err)
		}
		s := rows[i]
		if row.QID != s.qid || row.RequestID != s.requestID || row.CauseID != s.causeID || row.Label != s.label {
			t.Fatalf("jsonl row %d = qid %d %s %s label %d; svmlight row says qid %d %s %s label %d",
				i+1, row.QID, row.RequestID, row.CauseID, row.Label, s.qid, s.requestID, s.causeID, s.label)
		}
		if len(row.Features) != len(names) {
			t.Fatalf("jsonl row %d: %d features; want %d", i+1, len(row.Features), len(names))
		}
		for j, name := range names {
			if got, want := row.Features[name], s.features[j+1]; got != want {
				t.Fatalf("jsonl row %d feature %s = %v; svmlight says %v", i+1, name, got, want)
			}
		}
	}
	if i != len(rows) {
		t.Fatalf("jsonl has %d rows; svmlight %d", i, len(rows))
	}

	var header bytes.Buffer
	if err := WriteFeatureHeader(&header, KindCIExplain); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(header.String()), "\n")
	if len(lines) != len(names)+1 {
		t.Fatalf("feature header has %d lines; want a comment and %d features", len(lines), len(names))
	}
	for j, name := range names {
		if want := strconv.Itoa(j+1) + " " + name + " "; !strings.HasPrefix(lines[j+1], want) {
			t.Errorf("header line %d = %q; want it to start with %q", j+2, lines[j+1], want)
		}
	}
}

func TestExportRejectsBadRequests(t *testing.T) {
	for _, tc := range []struct{ format, kind string }{{"csv", KindCIExplain}, {FormatSVMLight, "email"}} {
		if _, err := NewWriter(&bytes.Buffer{}, tc.format, tc.kind); err == nil {
			t.Errorf("NewWriter(format %q, kind %q) = nil error; want one", tc.format, tc.kind)
		}
	}
}

func TestLabel(t *testing.T) {
	for _, tc := range []struct{ accepted, rejected, want int }{
		{0, 0, LabelNone}, {1, 0, LabelAccepted}, {0, 1, LabelRejected}, {2, 1, LabelAccepted}, {1, 1, LabelNone}, {1, 3, LabelRejected},
	} {
		if got := Label(tc.accepted, tc.rejected); got != tc.want {
			t.Errorf("Label(%d accepted, %d rejected) = %d; want %d", tc.accepted, tc.rejected, got, tc.want)
		}
	}
}

func TestMetrics(t *testing.T) {
	for _, tc := range []struct {
		name     string
		labels   []int
		order    []int
		k        int
		wantNDCG float64
		wantRR   float64
	}{
		{"ideal", []int{2, 1, 0}, []int{0, 1, 2}, 3, 1, 1},
		{"accepted second", []int{1, 2, 0}, []int{0, 1, 2}, 1, 1.0 / 3, 0.5},
		{"reversed", []int{0, 1, 2}, []int{0, 1, 2}, 3, (0 + 1/math.Log2(3) + 3/math.Log2(4)) / (3 + 1/math.Log2(3)), 1.0 / 3},
		{"no accepted", []int{1, 0}, []int{1, 0}, 3, 1 / math.Log2(3), 0},
	} {
		if got := ndcg(tc.labels, tc.order, tc.k); math.Abs(got-tc.wantNDCG) > 1e-9 {
			t.Errorf("%s: ndcg(%v, order %v, @%d) = %v; want %v", tc.name, tc.labels, tc.order, tc.k, got, tc.wantNDCG)
		}
		if got := reciprocalRank(tc.labels, tc.order); math.Abs(got-tc.wantRR) > 1e-9 {
			t.Errorf("%s: reciprocalRank(%v, order %v) = %v; want %v", tc.name, tc.labels, tc.order, got, tc.wantRR)
		}
	}
}

// TestDocsNameEveryFeature keeps docs/ranking.md complete: every feature of every kind is in it.
func TestDocsNameEveryFeature(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/ranking.md")
	if err != nil {
		t.Fatalf("reading docs/ranking.md: %v", err)
	}
	for _, kind := range Kinds {
		for i, f := range FeatureSet(kind) {
			if row := "| " + strconv.Itoa(i+1) + " | `" + f.Name + "` |"; !strings.Contains(string(doc), row) {
				t.Errorf("docs/ranking.md has no row %q for %s feature %s", row, kind, f.Name)
			}
		}
	}
}
