package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/ranking"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

// Ranking re-orders an answer's propositions with the learned model and serves the training
// export. *ranking.Service is the production one.
type Ranking interface {
	// Rank returns the new order (indices into cands) and the model version, or nil and ""
	// when no model applies and the proposer's order stands.
	Rank(kind, repo string, at time.Time, cands []ranking.Candidate) ([]int, string)
	Export(ctx context.Context, w io.Writer, span ranking.Span, format string) (int64, error)
}

var _ Ranking = (*ranking.Service)(nil)

// WithRanking re-ranks answers with rk and serves GET /v1/ranking/export from it. Without it
// the proposers' order is served and the export answers 503.
func WithRanking(rk Ranking) Option { return func(s *Server) { s.ranking = rk } }

// rerankExplain puts ans's propositions in the model's order and returns the model version
// ("" when the proposer's order stands). The category and the confidence follow the served
// order by the engine's own rule, as if the proposer had ranked so: they used to keep the
// proposer's confidence beside the new first proposition's category, e.g. "unknown" (a CI
// runner's exit code line) at 0.872, a figure that belonged to the cause moved down. Each
// proposition keeps its own score. The model never moves a wrapper cause above a specific
// one (ranking.Model.Order).
func (s *Server) rerankExplain(r *http.Request, ans *cifailure.Answer) string {
	if s.ranking == nil || len(ans.Propositions) < 2 {
		return ""
	}
	cands := make([]ranking.Candidate, len(ans.Propositions))
	for i, p := range ans.Propositions {
		// The stored vector and the served one are the same function of the answer.
		cands[i] = ranking.Candidate{CauseID: p.CauseID, Category: p.Category, Score: p.Score, Rank: i + 1, Stored: ciFeatures(p.Features, ans)}
	}
	order, version := s.ranking.Rank(ranking.KindCIExplain, r.URL.Query().Get("repo"), time.Now(), cands)
	if order == nil {
		return ""
	}
	reordered := make([]cifailure.Proposition, len(order))
	for i, k := range order {
		reordered[i] = ans.Propositions[k]
	}
	ans.Propositions = reordered
	ans.SetCategoryAndConfidence()
	return version
}

// rerankSpam puts resp's reasons in the model's order and returns the model version ("" when
// the proposer's order stands). The verdict and score are the proposer's and do not change.
func (s *Server) rerankSpam(r *http.Request, req spam.Request, resp *spam.Response) string {
	if s.ranking == nil || len(resp.Reasons) < 2 {
		return ""
	}
	cands := make([]ranking.Candidate, len(resp.Reasons))
	for i, reason := range resp.Reasons {
		cands[i] = ranking.Candidate{CauseID: reason.Code, Score: reason.Weight, Rank: i + 1, Stored: spamFeatures(req, resp, reason)}
	}
	repo := ""
	if req.Context != nil {
		repo = req.Context.Repo
	}
	order, version := s.ranking.Rank(ranking.KindSpamCheck, repo, time.Now(), cands)
	if order == nil {
		return ""
	}
	reordered := make([]spam.Reason, len(order))
	for i, k := range order {
		reordered[i] = resp.Reasons[k]
	}
	resp.Reasons = reordered
	return version
}

// handleRankingExport streams learning-to-rank rows: GET /v1/ranking/export?since=…&format=….
func (s *Server) handleRankingExport(w http.ResponseWriter, r *http.Request) {
	q, ok := queryParams(w, r)
	if !ok {
		return
	}
	kind := q.Get("kind")
	if kind == "" {
		kind = ranking.KindCIExplain
	}
	if !ranking.ValidKind(kind) {
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("kind %q: want one of %s", kind, strings.Join(ranking.Kinds, ", ")))
		return
	}
	format := q.Get("format")
	if format == "" {
		format = ranking.FormatSVMLight
	}
	if format == "features" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_ = ranking.WriteFeatureHeader(w, kind)
		return
	}
	if format != ranking.FormatSVMLight && format != ranking.FormatJSONL {
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("format %q: want svmlight, jsonl or features", format))
		return
	}
	// The CLI's parser: ?since=30d means what --since 30d does.
	span, err := ranking.ParseSpan(q.Get("since"), q.Get("until"), time.Now(), "")
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	span.Kind = kind
	if s.ranking == nil {
		writeError(w, r, http.StatusServiceUnavailable, "the ranking export needs the database (DATABASE_URL)")
		return
	}
	// One export at a time: each holds two connections of the ranking pool for its whole
	// response, and several at once each held one and waited for a second (a deadlock of
	// two minutes, the model reloads stalled behind it).
	select {
	case s.exporting <- struct{}{}:
		defer func() { <-s.exporting }()
	default:
		w.Header().Set("Retry-After", "30")
		writeError(w, r, http.StatusServiceUnavailable, "another ranking export is running; retry when it is done")
		return
	}
	ct := "text/plain; charset=utf-8"
	if format == ranking.FormatJSONL {
		ct = "application/x-ndjson"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Ranking-Features", strings.Join(ranking.FeatureNames(kind), ","))
	rows, err := s.ranking.Export(r.Context(), w, span, format)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.logger.Error("ranking export failed", "request_id", RequestID(r.Context()), "rows", rows, "err", err)
		if rows == 0 {
			writeError(w, r, http.StatusServiceUnavailable, "the export could not read the database; retry later")
			return
		}
		// Rows are out already: cut the connection so the client sees a broken stream, never
		// a short file that looks complete.
		panic(http.ErrAbortHandler)
	}
}
