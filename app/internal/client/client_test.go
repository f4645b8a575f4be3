package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A redirect is not followed: Go would resend the Authorization header to the same host on
// another port or over plain http, so the API key would leave with it.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var leaked atomic.Value
	catcher := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
	}))
	defer catcher.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, catcher.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirector.Close()

	c, err := New(redirector.URL, WithAPIKey("cia_secret"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), http.MethodGet, "/v1/ranking/export", nil, nil, nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusFound || !strings.Contains(apiErr.Message, "does not follow redirects") {
		t.Errorf("Do against a redirect = %v; want an APIError 302 saying redirects are not followed", err)
	}
	if got, _ := leaked.Load().(string); got != "" {
		t.Errorf("the redirect target received Authorization %q; want no request at all", got)
	}
}
