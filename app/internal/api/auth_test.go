package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
)

func TestAuthentication(t *testing.T) {
	key, line, err := NewKey("ci", AllScopes)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeySet(strings.NewReader("# keys\n"+line+"\n"), "keys")
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServer(t, Config{APIKeys: keys})
	tests := []struct {
		name   string
		auth   string
		path   string
		status int
	}{
		{"no header", "", "/v1/ci/explain", 401},
		{"wrong key", "Bearer cia_wrong", "/v1/ci/explain", 401},
		{"not bearer", "Basic " + key, "/v1/ci/explain", 401},
		{"right key", "Bearer " + key, "/v1/ci/explain", 200},
		{"scheme in lower case", "bearer " + key, "/v1/ci/explain", 200},
		{"another scheme", "Basic " + key, "/v1/ci/explain", 401},
		{"health is open", "", "/healthz", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if tc.path == "/healthz" {
				method = http.MethodGet
			}
			req, _ := http.NewRequest(method, ts.URL+tc.path, strings.NewReader("undefined: x\n"))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("%s %s with %q: status %d; want %d", method, tc.path, tc.auth, resp.StatusCode, tc.status)
			}
		})
	}
}

func TestParseKeySetRejects(t *testing.T) {
	hash := " sha256:" + strings.Repeat("ab", 32)
	for _, in := range []string{
		"", "# only comments\n", "ci deadbeef\n", "ci sha256:zz\n", "ci sha256:abcd\n", "a b c\n",
		"ci" + hash + " explain\n",              // a scope list needs its name
		"ci" + hash + " scopes=\n",              // and at least one scope
		"ci" + hash + " scopes=explain,admin\n", // unknown scope
		"ci" + hash + " scopes=explain,\n",      // trailing comma
		"ci" + hash + " scopes=Explain\n",       // scopes are lower case, as documented
		"ci" + hash + " scopes=explain spam\n",  // one field
		"ci" + hash + "\nci" + hash + "\n",      // one key on two lines: which scopes would hold?
	} {
		if _, err := ParseKeySet(strings.NewReader(in), "keys"); err == nil {
			t.Errorf("ParseKeySet(%q) succeeded; want an error", in)
		}
	}
}

// NewKey refuses a name whose keys-file line ParseKeySet could not read back (strings.Fields
// splits at every Unicode space), and every line it prints loads.
func TestNewKeyNames(t *testing.T) {
	for _, name := range []string{"", "two words", "nb\u00a0sp", "cr\r", "tab\t", "hash#", "-h", "--help", "-"} {
		if _, _, err := NewKey(name, AllScopes); err == nil {
			t.Errorf("NewKey(%q) succeeded; want an error", name)
		}
	}
	for _, name := range []string{"ci", "deploy-bot", "équipe_2"} {
		_, line, err := NewKey(name, AllScopes)
		if err != nil {
			t.Fatalf("NewKey(%q): %v", name, err)
		}
		if _, err := ParseKeySet(strings.NewReader(line+"\n"), "keys"); err != nil {
			t.Errorf("NewKey(%q) printed %q, which ParseKeySet refuses: %v", name, line, err)
		}
	}
}

// TestKeyScopes reads a keys file whose lines list scopes and checks, over a socket, that
// each key reaches exactly its routes, that a scoped key judges only its own answers, and
// that a line without scopes may do everything (keys files from before scopes).
func TestKeyScopes(t *testing.T) {
	keys, keyOf := keySet(t, map[string]Scopes{
		"ci-bot":     ScopeExplain | ScopeFeedback,
		"other-bot":  ScopeExplain | ScopeFeedback,
		"moderators": ScopeSpam | ScopeFeedback | ScopeFeedbackAny, // scopes=spam,feedback:any
		"ranker":     ScopeExport,
		"legacy":     AllScopes, // a line without a scopes field
	})
	var logs bytes.Buffer
	s, err := New(Config{APIKeys: keys}, slog.New(slog.NewTextHandler(&logs, nil)), testEngine(t),
		WithRecorder(openPipeline(t, pipeline.Config{})))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)

	call := func(client, method, path, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+keyOf[client])
		if strings.HasPrefix(body, "{") {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		if _, err := b.ReadFrom(resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b.Bytes()
	}
	answer := func(client string) string {
		t.Helper()
		code, body := call(client, http.MethodPost, "/v1/ci/explain", "./main.go:3:2: undefined: x\n")
		if code != http.StatusOK {
			t.Fatalf("explain as %s = %d %s; want 200", client, code, body)
		}
		var ans struct{ ID string }
		decodeJSON(t, body, &ans)
		return ans.ID
	}
	ciAnswer, legacyAnswer := answer("ci-bot"), answer("legacy")
	feedback := func(id string) string { return `{"request_id":"` + id + `","outcome":"accepted"}` }

	tests := []struct {
		client, method, path, body string
		want                       int
	}{
		{"ci-bot", "POST", "/v1/spam/check", `{"text":"hello"}`, http.StatusForbidden},
		{"ci-bot", "GET", "/v1/ranking/export", "", http.StatusForbidden},
		{"moderators", "POST", "/v1/ci/explain", "undefined: x\n", http.StatusForbidden},
		{"moderators", "POST", "/v1/spam/check", `{"text":"hello"}`, http.StatusOK},
		{"ranker", "POST", "/v1/feedback", feedback(ciAnswer), http.StatusForbidden},
		{"ranker", "POST", "/v1/spam/check", `{"text":"hello"}`, http.StatusForbidden},
		{"legacy", "POST", "/v1/spam/check", `{"text":"hello"}`, http.StatusOK},
		// Feedback: a scoped key on its own answers only; feedback:any and legacy keys on any.
		{"ci-bot", "POST", "/v1/feedback", feedback(ciAnswer), http.StatusOK},
		{"other-bot", "POST", "/v1/feedback", feedback(ciAnswer), http.StatusNotFound},
		{"ci-bot", "POST", "/v1/feedback", feedback(legacyAnswer), http.StatusNotFound},
		{"moderators", "POST", "/v1/feedback", feedback(ciAnswer), http.StatusOK},
		{"legacy", "POST", "/v1/feedback", feedback(ciAnswer), http.StatusOK},
	}
	for _, tc := range tests {
		code, body := call(tc.client, tc.method, tc.path, tc.body)
		if code != tc.want {
			t.Errorf("%s %s as %s = %d %s; want %d", tc.method, tc.path, tc.client, code, body, tc.want)
		}
		if code == http.StatusForbidden && !strings.Contains(string(body), tc.client) {
			t.Errorf("403 body %s does not name the key %q", body, tc.client)
		}
	}
	// The ranker's key passes the scope check (the server has no ranking store: 503, not 403).
	if code, body := call("ranker", "GET", "/v1/ranking/export", ""); code == http.StatusForbidden || code == http.StatusUnauthorized {
		t.Errorf("GET /v1/ranking/export as ranker = %d %s; want past authentication", code, body)
	}

	// The access log names the client of every request, and never holds a key.
	if !strings.Contains(logs.String(), "client=other-bot") {
		t.Errorf("access log has no client=other-bot:\n%s", logs.String())
	}
	for name, key := range keyOf {
		if strings.Contains(logs.String(), key) {
			t.Errorf("access log holds %s's API key", name)
		}
	}
}

// Every scope set NewKey prints reads back the same from the keys file.
func TestScopesRoundTrip(t *testing.T) {
	tests := []struct {
		list string
		want string // the line's scopes field; "" = none (everything)
	}{
		{"explain", "scopes=explain"},
		{"spam,explain", "scopes=explain,spam"},
		{"feedback:any", "scopes=feedback:any"},
		{"feedback,feedback:any", "scopes=feedback:any"},
		{"export,feedback", "scopes=feedback,export"},
		{"explain,spam,feedback:any,export", ""},
	}
	for _, tc := range tests {
		scopes, err := ParseScopes(tc.list)
		if err != nil {
			t.Fatalf("ParseScopes(%q): %v", tc.list, err)
		}
		_, line, err := NewKey("c", scopes)
		if err != nil {
			t.Fatal(err)
		}
		if fields := strings.Fields(line); (len(fields) == 3) != (tc.want != "") || (tc.want != "" && fields[2] != tc.want) {
			t.Errorf("NewKey(%q) line %q; want scopes field %q", tc.list, line, tc.want)
		}
		keys, err := ParseKeySet(strings.NewReader(line), "keys")
		if err != nil {
			t.Fatalf("ParseKeySet(%q): %v", line, err)
		}
		if keys.keys[0].Scopes != scopes {
			t.Errorf("%q read back as %s; want %s", line, keys.keys[0].Scopes, scopes)
		}
	}
	if _, _, err := NewKey("c", 0); err == nil {
		t.Error("NewKey with no scope succeeded; want an error")
	}
}

// A rotated key keeps its client's name (rotate-secrets runbook): the old and the new line load
// side by side and both authenticate as that client, so feedback ownership carries over.
func TestRotatedKeyKeepsItsName(t *testing.T) {
	oldKey, oldLine, err := NewKey("client-acme", ScopeExplain|ScopeFeedback)
	if err != nil {
		t.Fatal(err)
	}
	newKey, newLine, err := NewKey("client-acme", ScopeExplain|ScopeFeedback)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeySet(strings.NewReader(oldLine+"\n"+newLine+"\n"), "keys")
	if err != nil {
		t.Fatalf("two lines of one client: %v", err)
	}
	for _, key := range []string{oldKey, newKey} {
		if got, ok := keys.Verify("Bearer " + key); !ok || got.Name != "client-acme" || got.Scopes != ScopeExplain|ScopeFeedback {
			t.Errorf("Verify = %+v, %v; want client-acme with explain,feedback", got, ok)
		}
	}
}

// A key's hash on a second line is an error naming both lines: the last line used to win
// silently, so a "restricted" line appended for an existing key left it unrestricted.
func TestParseKeySetRepeatedHash(t *testing.T) {
	hash := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		name, file, wantErr string
	}{
		{"restricted line appended", "ci " + hash + "\n# later\nci " + hash + " scopes=explain\n", "keys:3: this key's hash is already on line 1"},
		{"under another name", "ci " + hash + " scopes=spam\nbot " + hash + "\n", `keys:2: this key's hash is already on line 1 (key "ci")`},
		{"in upper case", "ci " + hash + "\nci " + strings.ToUpper(hash[:7]) + strings.Repeat("AB", 32) + "\n", "keys:2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKeySet(strings.NewReader(tc.file), "keys")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseKeySet(%q) = %v; want an error containing %q", tc.file, err, tc.wantErr)
			}
		})
	}
}

// The unknown-scope error lists every scope a line may name, feedback included: Scopes.String
// folds feedback into feedback:any, and a reader of that list granted the wider one.
func TestUnknownScopeListsEveryScope(t *testing.T) {
	_, err := ParseScopes("explain,admin")
	want := `unknown scope "admin": want some of explain,spam,feedback,feedback:any,export`
	if err == nil || err.Error() != want {
		t.Errorf("ParseScopes(%q) = %v; want %q", "explain,admin", err, want)
	}
}

// keySet mints a key for each client with its scopes and loads them as a keys file would be:
// the set, and each client's key.
func keySet(t *testing.T, scopes map[string]Scopes) (*KeySet, map[string]string) {
	t.Helper()
	keyOf := map[string]string{}
	var file strings.Builder
	for name, s := range scopes {
		key, line, err := NewKey(name, s)
		if err != nil {
			t.Fatal(err)
		}
		keyOf[name] = key
		file.WriteString(line + "\n")
	}
	keys, err := ParseKeySet(strings.NewReader(file.String()), "keys")
	if err != nil {
		t.Fatalf("ParseKeySet(%q): %v", file.String(), err)
	}
	return keys, keyOf
}
