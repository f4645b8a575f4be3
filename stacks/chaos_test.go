package stacks_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
	"github.com/ci-agent/ci-agent/stacks"
)

// path walks nested maps of plain values.
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// TestChaosMesh: phase 7 installs Chaos Mesh only with ci-agent:chaosMesh (dev: true; prod:
// false, true for the length of a game day), on the cluster's Kubernetes provider and after the
// cluster, and then, and only then, the app namespace lets its experiments in.
func TestChaosMesh(t *testing.T) {
	tests := []struct {
		name, stack string
		set         map[string]string
		want        bool
	}{
		{"dev", "dev", nil, true},
		{"prod by default", "prod", nil, false},
		{"prod during a game day", "prod", map[string]string{"ci-agent:chaosMesh": "true"}, true},
		{"prod after the game day", "prod", map[string]string{"ci-agent:chaosMesh": "false"}, false},
		{"dev without phase 7", "dev", map[string]string{"ci-agent:phases": "[1, 2, 3, 4, 6, 8, 10]"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := plan.LoadStackConfig("..", tc.stack)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.set {
				cfg[k] = v
			}
			m, err := plan.Run(tc.stack, cfg, stacks.Program)
			if err != nil {
				t.Fatal(err)
			}
			var releases []*plan.Resource
			for _, r := range m.ByType("kubernetes:helm.sh/v3:Release") {
				if r.Input("chart") == components.ChartChaosMesh.Name {
					releases = append(releases, r)
				}
			}
			ns := named(t, m, "kubernetes:core/v1:Namespace", "gitops-app-ns")
			annotation := path(ns.Input("metadata"), "annotations", components.ChaosInjectAnnotation)
			if !tc.want {
				eq(t, "Chaos Mesh releases", len(releases), 0)
				eq(t, "app namespace inject annotation", annotation, nil)
				return
			}
			if len(releases) != 1 {
				t.Fatalf("%d Chaos Mesh releases; want 1", len(releases))
			}
			r := releases[0]
			eq(t, "phase", r.Phase, "phase7-qa")
			eq(t, "chart version", r.Input("version"), components.ChartChaosMesh.Version)
			eq(t, "chart repository", path(r.Input("repositoryOpts"), "repo"), "https://charts.chaos-mesh.org")
			eq(t, "namespace", r.Input("namespace"), "chaos-mesh")
			values := r.Input("values")
			eq(t, "chaosDaemon.runtime", path(values, "chaosDaemon", "runtime"), "containerd")
			eq(t, "chaosDaemon.socketPath", path(values, "chaosDaemon", "socketPath"), "/run/containerd/containerd.sock")
			eq(t, "dashboard.create", path(values, "dashboard", "create"), false)
			eq(t, "controllerManager.enableFilterNamespace", path(values, "controllerManager", "enableFilterNamespace"), true)
			eq(t, "controllerManager.replicaCount", path(values, "controllerManager", "replicaCount"), 2)
			eq(t, "rbac.create", path(values, "rbac", "create"), true)
			if !r.DependsOn(named(t, m, "eks:index:Cluster", "eks")) {
				t.Errorf("Chaos Mesh does not wait for the cluster: %v", r.Dependencies)
			}
			if !strings.Contains(r.Provider, "pulumi:providers:kubernetes::k8s::") {
				t.Errorf("Chaos Mesh provider = %q; want the cluster's k8s provider", r.Provider)
			}
			eq(t, "app namespace inject annotation", annotation, "enabled")
		})
	}
}

// TestChaosExperiments: the game day's experiments are kinds and fields of the pinned Chaos Mesh
// (chaos-mesh.org/v1alpha1, checked against the CRDs of 2.8.3), and select pods only in the app
// namespace, the one namespace the stacks annotate for the namespace filter.
func TestChaosExperiments(t *testing.T) {
	files, err := filepath.Glob("../deploy/chaos/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no experiments in deploy/chaos: %v", err)
	}
	actions := map[string][]string{
		"PodChaos":     {"pod-kill", "pod-failure", "container-kill"},
		"NetworkChaos": {"netem", "delay", "loss", "duplicate", "corrupt", "partition", "bandwidth"},
	}
	modes := []string{"one", "all", "fixed", "fixed-percent", "random-max-percent"}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		kind, _ := doc["kind"].(string)
		eq(t, file+" apiVersion", doc["apiVersion"], "chaos-mesh.org/v1alpha1")
		if _, ok := actions[kind]; !ok {
			t.Errorf("%s: kind %q; want one of %v", file, kind, actions)
		}
		eq(t, file+" namespace", path(doc, "metadata", "namespace"), components.DefaultAppNamespace)
		eq(t, file+" selector namespaces", path(doc, "spec", "selector", "namespaces"), []any{components.DefaultAppNamespace})
		if action, _ := path(doc, "spec", "action").(string); !slices.Contains(actions[kind], action) {
			t.Errorf("%s: action %q; want one of %v", file, action, actions[kind])
		}
		if mode, _ := path(doc, "spec", "mode").(string); !slices.Contains(modes, mode) {
			t.Errorf("%s: mode %q; want one of %v", file, mode, modes)
		}
		if kind == "NetworkChaos" && path(doc, "spec", "action") != "partition" && path(doc, "spec", "externalTargets") != nil {
			// Chaos Mesh's webhook refuses external targets of a netem action in any other direction.
			eq(t, file+" direction", path(doc, "spec", "direction"), "to")
		}
	}
}
