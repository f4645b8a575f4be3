package golive

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

type condition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// CheckNodes judges `kubectl get nodes -o json`: at least min nodes, every one Ready and none
// under memory, disk or PID pressure.
func CheckNodes(data []byte, min int) Result {
	const name = "nodes ready"
	var list struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
			Status   struct {
				Conditions []condition `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return fail(name, "reading kubectl get nodes: %v", err)
	}
	var bad []string
	for _, n := range list.Items {
		ready := false
		for _, c := range n.Status.Conditions {
			switch {
			case c.Type == "Ready":
				ready = c.Status == "True"
			case strings.HasSuffix(c.Type, "Pressure") && c.Status == "True":
				bad = append(bad, n.Metadata.Name+" "+c.Type)
			}
		}
		if !ready {
			bad = append(bad, n.Metadata.Name+" NotReady")
		}
	}
	switch {
	case len(list.Items) < min:
		return fail(name, "%d nodes; want at least %d", len(list.Items), min)
	case len(bad) > 0:
		return fail(name, "%d of %d nodes unhealthy: %s", len(bad), len(list.Items), strings.Join(bad, ", "))
	}
	return pass(name, "%d nodes Ready, no pressure", len(list.Items))
}

// CheckSystemPods judges `kubectl get pods -A -o json` for the given namespaces: every pod
// Running with all containers ready, or Succeeded (finished jobs). A namespace without pods is
// a failure: the component it stands for is missing.
func CheckSystemPods(data []byte, namespaces []string) Result {
	const name = "system pods running"
	var list struct {
		Items []struct {
			Metadata struct {
				Name, Namespace string
			} `json:"metadata"`
			Status struct {
				Phase             string `json:"phase"`
				ContainerStatuses []struct {
					Name  string `json:"name"`
					Ready bool   `json:"ready"`
					State struct {
						Waiting *struct{ Reason string } `json:"waiting"`
					} `json:"state"`
				} `json:"containerStatuses"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return fail(name, "reading kubectl get pods: %v", err)
	}
	seen := map[string]int{}
	var bad []string
	for _, p := range list.Items {
		if !slices.Contains(namespaces, p.Metadata.Namespace) {
			continue
		}
		seen[p.Metadata.Namespace]++
		id := p.Metadata.Namespace + "/" + p.Metadata.Name
		switch p.Status.Phase {
		case "Succeeded":
		case "Running":
			for _, c := range p.Status.ContainerStatuses {
				if !c.Ready {
					why := "not ready"
					if c.State.Waiting != nil && c.State.Waiting.Reason != "" {
						why = c.State.Waiting.Reason
					}
					bad = append(bad, fmt.Sprintf("%s (%s %s)", id, c.Name, why))
				}
			}
		default:
			bad = append(bad, fmt.Sprintf("%s (%s)", id, p.Status.Phase))
		}
	}
	var missing []string
	for _, ns := range namespaces {
		if seen[ns] == 0 {
			missing = append(missing, ns)
		}
	}
	sort.Strings(bad)
	total := 0
	for _, n := range seen {
		total += n
	}
	switch {
	case len(bad) > 0:
		return fail(name, "%d of %d pods not running: %s", len(bad), total, strings.Join(bad, ", "))
	case len(missing) > 0:
		return fail(name, "no pods in %s", strings.Join(missing, ", "))
	}
	return pass(name, "%d pods in %d namespaces Running", total, len(namespaces))
}

// CheckWorkload judges `kubectl get deployment|rollout NAME -o json`: at least min replicas
// available, all of them on the current revision, and (for a Rollout) phase Healthy.
func CheckWorkload(data []byte, min int) Result {
	const name = "app replicas available"
	var w struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name       string `json:"name"`
			Generation int64  `json:"generation"`
		} `json:"metadata"`
		Status struct {
			Replicas           int    `json:"replicas"`
			UpdatedReplicas    int    `json:"updatedReplicas"`
			AvailableReplicas  int    `json:"availableReplicas"`
			ObservedGeneration any    `json:"observedGeneration"` // an int on Deployments, a string on Rollouts
			Phase              string `json:"phase"`              // Rollouts only
			Message            string `json:"message"`
		} `json:"status"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return fail(name, "reading the workload: %v", err)
	}
	s := w.Status
	id := fmt.Sprintf("%s %s", strings.ToLower(w.Kind), w.Metadata.Name)
	switch {
	case s.AvailableReplicas < min:
		return fail(name, "%s: %d available; want at least %d", id, s.AvailableReplicas, min)
	case w.Kind == "Rollout" && s.Phase != "Healthy":
		return fail(name, "%s: phase %s %s", id, s.Phase, s.Message)
	case s.UpdatedReplicas < s.Replicas:
		return fail(name, "%s: %d of %d replicas on the current revision (rollout in progress)", id, s.UpdatedReplicas, s.Replicas)
	}
	return pass(name, "%s: %d/%d available, all on the current revision", id, s.AvailableReplicas, s.Replicas)
}

// CheckHPA judges `kubectl get hpa NAME -o json`: the bounds, and that every metric (CPU,
// memory and the prometheus-adapter Pods metric) is being read.
func CheckHPA(data []byte, min, max int) Result {
	const name = "autoscaler active"
	var h struct {
		Spec struct {
			MinReplicas int `json:"minReplicas"`
			MaxReplicas int `json:"maxReplicas"`
			Metrics     []struct {
				Type string `json:"type"`
			} `json:"metrics"`
		} `json:"spec"`
		Status struct {
			CurrentReplicas int         `json:"currentReplicas"`
			CurrentMetrics  []any       `json:"currentMetrics"`
			Conditions      []condition `json:"conditions"`
		} `json:"status"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return fail(name, "reading the HPA: %v", err)
	}
	if h.Spec.MinReplicas != min || h.Spec.MaxReplicas != max {
		return fail(name, "replicas %d..%d; want %d..%d", h.Spec.MinReplicas, h.Spec.MaxReplicas, min, max)
	}
	for _, c := range h.Status.Conditions {
		if c.Type == "ScalingActive" && c.Status != "True" {
			return fail(name, "ScalingActive=%s (%s): a metric cannot be read", c.Status, c.Reason)
		}
	}
	if len(h.Status.CurrentMetrics) < len(h.Spec.Metrics) {
		return fail(name, "reads %d of %d metrics (is prometheus-adapter serving the Pods metric?)", len(h.Status.CurrentMetrics), len(h.Spec.Metrics))
	}
	return pass(name, "%d replicas in %d..%d, %d metrics read", h.Status.CurrentReplicas, min, max, len(h.Spec.Metrics))
}
