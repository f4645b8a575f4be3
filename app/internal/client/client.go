// Package client is a small Go client for the filter API.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
)

// Client calls one filter API server. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	apiKey string
	http   *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithAPIKey sends Authorization: Bearer key.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithHTTPClient replaces the default HTTP client (5 minute timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// New returns a client for the server at baseURL (e.g. "http://127.0.0.1:8080").
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://host[:port]", baseURL)
	}
	c := &Client{base: u, http: &http.Client{Timeout: 5 * time.Minute,
		// The API never redirects. Following one would resend the API key to wherever it
		// points: Go keeps the Authorization header on the same host, another port or plain
		// http included. A redirect is answered as the error it is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// APIError is a non-2xx answer from the server.
type APIError struct {
	Status    int
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
	if e.RequestID != "" {
		msg += " (request " + e.RequestID + ")"
	}
	return msg
}

// Explain sends a CI log (plain text, or gzip when gzipped is true) to POST /v1/ci/explain.
func (c *Client) Explain(ctx context.Context, log io.Reader, gzipped bool, p apiv1.ExplainParams) (*apiv1.ExplainResponse, error) {
	q := url.Values{}
	for k, v := range map[string]string{"repo": p.Repo, "job": p.Job, "provider": p.Provider} {
		if v != "" {
			q.Set(k, v)
		}
	}
	headers := map[string]string{"Content-Type": "text/plain; charset=utf-8"}
	if gzipped {
		headers["Content-Encoding"] = "gzip"
	}
	var out apiv1.ExplainResponse
	if err := c.do(ctx, http.MethodPost, "/v1/ci/explain", q, log, headers, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Do sends one request with a JSON or raw body and decodes a JSON answer into out. It is the
// building block of the typed methods, exported for routes without one.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any, out any) error {
	var r io.Reader
	headers := map[string]string{}
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encoding the request: %w", err)
		}
		r = strings.NewReader(string(data))
		headers["Content-Type"] = "application/json"
	}
	return c.do(ctx, method, path, query, r, headers, out)
}

func (c *Client) do(ctx context.Context, method, path string, query url.Values, body io.Reader, headers map[string]string, out any) error {
	u := c.base.JoinPath(path) // #nosec G125 -- path is a route the calling code names ("/v1/feedback"), never request data
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("calling %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 3 {
		return &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get(apiv1.HeaderRequestID),
			Message: fmt.Sprintf("the server redirects to %q; ciagent does not follow redirects (they would resend the API key): pass the final URL", resp.Header.Get("Location"))}
	}
	if resp.StatusCode/100 != 2 {
		var e apiv1.Error
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return &APIError{Status: resp.StatusCode, Message: e.Error, RequestID: resp.Header.Get(apiv1.HeaderRequestID)}
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// IsClientError reports whether err is the server rejecting the input (4xx).
func IsClientError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status/100 == 4
}
