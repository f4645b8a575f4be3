package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
)

type openAPIDoc struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas map[string]struct {
			Required   []string       `yaml:"required"`
			Properties map[string]any `yaml:"properties"`
			Enum       []string       `yaml:"enum"`
		} `yaml:"schemas"`
	} `yaml:"components"`
}

func loadSpec(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// TestOpenAPIMatchesRoutes keeps the published spec true: every served route is documented
// and every documented route is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadSpec(t)
	s, _ := newTestServer(t, Config{})
	served := map[string]bool{}
	for _, p := range s.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			continue // the catch-all
		}
		served[strings.ToLower(method)+" "+path] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is served but not in openapi.yaml", p)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			if !served[method+" "+path] {
				t.Errorf("openapi.yaml documents %s %s, which is not served", strings.ToUpper(method), path)
			}
		}
	}
}

// TestOpenAPIExplainSchema checks the explain answer against its schema: every field the
// server sends is documented, and every required field is sent.
func TestOpenAPIExplainSchema(t *testing.T) {
	doc := loadSpec(t)
	eng := testEngine(t)
	ans, err := eng.Explain(t.Context(), strings.NewReader("undefined: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(apiv1.ExplainResponse{ID: "x", Answer: ans})
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	checkObject(t, doc, "ExplainResponse", top)
	var props []map[string]json.RawMessage
	if err := json.Unmarshal(top["propositions"], &props); err != nil {
		t.Fatal(err)
	}
	checkObject(t, doc, "Proposition", props[0])
	var ev []map[string]json.RawMessage
	if err := json.Unmarshal(props[0]["evidence"], &ev); err != nil {
		t.Fatal(err)
	}
	checkObject(t, doc, "Evidence", ev[0])

	if got := doc.Components.Schemas["Category"].Enum; !slices.Equal(got, cifailure.Categories) {
		t.Errorf("openapi Category enum = %v; want the engine's vocabulary %v", got, cifailure.Categories)
	}
}

func checkObject(t *testing.T, doc openAPIDoc, schema string, obj map[string]json.RawMessage) {
	t.Helper()
	s, ok := doc.Components.Schemas[schema]
	if !ok {
		t.Fatalf("openapi.yaml has no schema %s", schema)
	}
	for field := range obj {
		if _, ok := s.Properties[field]; !ok {
			t.Errorf("%s: the server sends %q, which the schema does not document", schema, field)
		}
	}
	for _, field := range s.Required {
		if _, ok := obj[field]; !ok {
			t.Errorf("%s: required field %q is missing from the server's answer", schema, field)
		}
	}
}

// Every route that reads a request body says what a body that stops arriving gets (408) and
// one over the cap (413): the JSON endpoints answer them as explain does.
func TestOpenAPIBodyStatuses(t *testing.T) {
	doc := loadSpec(t)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			o, ok := op.(map[string]any)
			if !ok || o["requestBody"] == nil {
				continue
			}
			responses, _ := o["responses"].(map[string]any)
			for _, status := range []string{"408", "413"} {
				if _, ok := responses[status]; !ok {
					t.Errorf("openapi.yaml: %s %s reads a body but does not document %s", strings.ToUpper(method), path, status)
				}
			}
		}
	}
}
