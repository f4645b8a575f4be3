package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the one place where URLs meet handlers.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	v1 := func(pattern, route string, scope Scopes, h http.HandlerFunc) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, s.instrument(route, s.authenticate(scope, h)))
	}
	open := func(pattern, route string, h http.Handler) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, s.instrument(route, h))
	}

	v1("POST /v1/ci/explain", "/v1/ci/explain", ScopeExplain, s.handleExplain)
	v1("POST /v1/spam/check", "/v1/spam/check", ScopeSpam, s.handleSpamCheck)
	v1("POST /v1/feedback", "/v1/feedback", ScopeFeedback, s.handleFeedback)
	v1("GET /v1/ranking/export", "/v1/ranking/export", ScopeExport, s.handleRankingExport)

	open("GET /healthz", "/healthz", http.HandlerFunc(s.handleHealthz))
	open("GET /readyz", "/readyz", http.HandlerFunc(s.handleReadyz))
	open("GET /openapi.yaml", "/openapi.yaml", http.HandlerFunc(s.handleOpenAPI))
	open("GET /metrics", "/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
	open("/", "other", http.HandlerFunc(s.handleNotFound))

	return s.recoverPanics(s.requestID(mux))
}
