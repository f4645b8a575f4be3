// Package apiv1 holds the wire types of the filter API's /v1 routes, shared by the server
// (internal/api) and the Go client (internal/client) so the two cannot drift apart.
package apiv1

import "github.com/ci-agent/ci-agent/app/internal/cifailure"

// ExplainResponse is the answer of POST /v1/ci/explain.
type ExplainResponse struct {
	ID string `json:"id"` // UUIDv7, also in the X-Request-Id header
	// RankerVersion names the learned ranking model that ordered the propositions, empty when
	// the proposer's own scores were used.
	RankerVersion string `json:"ranker_version"`
	*cifailure.Answer
}

// ExplainParams are the optional query parameters of POST /v1/ci/explain.
type ExplainParams struct {
	Repo     string // owner/name
	Job      string // the CI job's name or URL
	Provider string // github, gitlab, jenkins, ...
}

// Error is the body of every non-2xx answer.
type Error struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// Headers the API reads or sets.
const (
	HeaderRequestID = "X-Request-Id"
)
