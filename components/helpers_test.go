package components_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/internal/plan"
)

const account = plan.AccountID

// run executes fn under the shared plan mocks (default provider in us-east-1) and fails the
// test when the program errors.
func run(t *testing.T, fn pulumi.RunFunc) *plan.Mocks {
	t.Helper()
	m, err := plan.Run("test", map[string]string{"aws:region": "us-east-1"}, fn)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return m
}

// runErr executes fn under the mocks and returns its error.
func runErr(fn pulumi.RunFunc) error {
	_, err := plan.Run("test", map[string]string{"aws:region": "us-east-1"}, fn)
	return err
}

// one returns the only resource of typ named name, failing the test otherwise.
func one(t *testing.T, m *plan.Mocks, typ, name string) *plan.Resource {
	t.Helper()
	r := m.Named(typ, name)
	if r == nil {
		var names []string
		for _, x := range m.ByType(typ) {
			names = append(names, x.Name)
		}
		t.Fatalf("no %s named %q; have %v", typ, name, names)
	}
	return r
}

// count returns how many resources of typ were registered.
func count(m *plan.Mocks, typ string) int { return len(m.ByType(typ)) }

// eq fails when got != want, naming what was looked at.
func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !equal(got, want) {
		t.Errorf("%s = %#v; want %#v", what, got, want)
	}
}

func equal(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// policyDoc decodes a JSON policy input.
func policyDoc(t *testing.T, r *plan.Resource, key string) map[string]any {
	t.Helper()
	s, ok := r.Input(key).(string)
	if !ok {
		t.Fatalf("%s %s: %s is %#v, not a JSON string", r.Type, r.Name, key, r.Input(key))
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("%s %s: %s is not JSON: %v", r.Type, r.Name, key, err)
	}
	return doc
}

func contains(s any, sub string) bool {
	b, _ := json.Marshal(s)
	return strings.Contains(string(b), sub)
}

// get walks nested maps/slices of plain values: get(v, "a", 0, "b").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}
