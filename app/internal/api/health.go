package api

import (
	"context"
	_ "embed"
	"net/http"
	"time"
)

// handleHealthz fails only on what a restart cures (WithLiveCheck), so the liveness probe
// does not restart a replica for a database outage it rides out.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if len(s.live) == 0 {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	runChecks(w, r, s.live, "ok", "failing")
}

// handleReadyz fails while any dependency cannot take traffic, so the load balancer stops
// sending requests this replica could not record.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	runChecks(w, r, s.ready, "ready", "not ready")
}

// runChecks answers 200 with okState when every check passes, else 503 with failState; both
// name each check's result.
func runChecks(w http.ResponseWriter, r *http.Request, list []ReadyCheck, okState, failState string) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	status, state := http.StatusOK, okState
	for _, rc := range list {
		if err := rc.Check(ctx); err != nil {
			checks[rc.Name] = err.Error()
			status, state = http.StatusServiceUnavailable, failState
		} else {
			checks[rc.Name] = "ok"
		}
	}
	writeJSON(w, status, map[string]any{"status": state, "checks": checks})
}

//go:embed openapi.yaml
var openAPISpec []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPISpec) // the client went away; nothing left to tell it
}
