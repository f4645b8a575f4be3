package components

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	prometheusadapter "github.com/ci-agent/ci-agent/deploy/prometheus-adapter"
)

// PrometheusURL is kube-prometheus-stack's Prometheus inside the cluster (the release is named
// after its chart, so its Service is <chart>-prometheus).
var PrometheusURL = "http://" + ChartKubePrometheusStack.Name + "-prometheus." + MonitoringNS + ".svc"

// PrometheusAdapterValues are deploy/prometheus-adapter/values.yaml (the rule that serves the
// HPA's ciagent_http_requests_per_second) as Helm values, pointed at this platform's Prometheus.
func PrometheusAdapterValues() (pulumi.Map, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(prometheusadapter.Values, &doc); err != nil {
		return nil, fmt.Errorf("deploy/prometheus-adapter/values.yaml: %w", err)
	}
	values, ok := toInput(doc).(pulumi.Map)
	if !ok {
		return nil, fmt.Errorf("deploy/prometheus-adapter/values.yaml is not a mapping")
	}
	values["prometheus"] = pulumi.Map{"url": pulumi.String(PrometheusURL), "port": pulumi.Int(9090)}
	return values, nil
}

// toInput turns a decoded YAML or JSON document into Pulumi inputs.
func toInput(v any) pulumi.Input {
	switch x := v.(type) {
	case map[string]any:
		m := pulumi.Map{}
		for k, e := range x {
			m[k] = toInput(e)
		}
		return m
	case []any:
		a := pulumi.Array{}
		for _, e := range x {
			a = append(a, toInput(e))
		}
		return a
	case string:
		return pulumi.String(x)
	case bool:
		return pulumi.Bool(x)
	case int:
		return pulumi.Int(x)
	case float64:
		return pulumi.Float64(x)
	case nil:
		return pulumi.Map{}
	default:
		return pulumi.String(fmt.Sprint(x))
	}
}
