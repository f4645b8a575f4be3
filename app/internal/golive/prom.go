package golive

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sample is one series of a Prometheus instant-query answer.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// ParseQuery reads the JSON of Prometheus' /api/v1/query for a vector or scalar result.
func ParseQuery(data []byte) ([]Sample, error) {
	var resp struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("reading the Prometheus answer: %w", err)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("prometheus: %s %s", resp.ErrorType, resp.Error)
	}
	switch resp.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(resp.Data.Result, &vec); err != nil {
			return nil, fmt.Errorf("reading the vector: %w", err)
		}
		out := make([]Sample, 0, len(vec))
		for _, v := range vec {
			f, err := promValue(v.Value[1])
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Labels: v.Metric, Value: f})
		}
		return out, nil
	case "scalar":
		var sc [2]any
		if err := json.Unmarshal(resp.Data.Result, &sc); err != nil {
			return nil, fmt.Errorf("reading the scalar: %w", err)
		}
		f, err := promValue(sc[1])
		if err != nil {
			return nil, err
		}
		return []Sample{{Value: f}}, nil
	}
	return nil, fmt.Errorf("unexpected result type %q", resp.Data.ResultType)
}

// promValue reads Prometheus' string-encoded sample values ("1", "NaN", "+Inf").
func promValue(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", v)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("sample value %q: %w", s, err)
	}
	return f, nil
}

// CheckScrape judges `up{namespace=NS, service=SVC}`: Prometheus scrapes at least min app
// pods and every scrape succeeds. The app's own series are checked by CheckMetricsPresent.
func CheckScrape(data []byte, min int) Result {
	const name = "prometheus scraping the app"
	samples, err := ParseQuery(data)
	if err != nil {
		return fail(name, "%v", err)
	}
	var down []string
	for _, s := range samples {
		if s.Value != 1 {
			down = append(down, s.Labels["pod"])
		}
	}
	switch {
	case len(samples) < min:
		return fail(name, "%d targets; want at least %d (is the ServiceMonitor selected?)", len(samples), min)
	case len(down) > 0:
		sort.Strings(down)
		return fail(name, "%d of %d targets down: %s", len(down), len(samples), strings.Join(down, ", "))
	}
	return pass(name, "%d targets up", len(samples))
}

// CheckMetricsPresent judges a query for the app's request counter: Prometheus has the series.
func CheckMetricsPresent(data []byte, metric string) Result {
	const name = "prometheus has app metrics"
	samples, err := ParseQuery(data)
	if err != nil {
		return fail(name, "%v", err)
	}
	if len(samples) == 0 {
		return fail(name, "no %s series", metric)
	}
	return pass(name, "%d %s series", len(samples), metric)
}

// CheckSLOValue judges one SLO query's single value against a maximum. No data (no traffic in
// the window, or NaN from 0/0) is a SKIP: there is nothing to judge yet.
func CheckSLOValue(name string, data []byte, max float64, unit string) Result {
	samples, err := ParseQuery(data)
	if err != nil {
		return fail(name, "%v", err)
	}
	if len(samples) == 0 || math.IsNaN(samples[0].Value) {
		return skip(name, "no traffic in the window")
	}
	v := samples[0].Value
	if v >= max {
		return fail(name, "%s; want < %s", formatUnit(v, unit), formatUnit(max, unit))
	}
	return pass(name, "%s < %s", formatUnit(v, unit), formatUnit(max, unit))
}

func formatUnit(v float64, unit string) string {
	switch unit {
	case "s":
		return (time.Duration(v * float64(time.Second))).Round(100 * time.Microsecond).String()
	case "%":
		return strconv.FormatFloat(100*v, 'f', 3, 64) + "%"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// CheckAlerts judges Prometheus' /api/v1/alerts: no firing alert of severity critical.
// Warnings are listed but do not fail the checklist.
func CheckAlerts(data []byte) Result {
	const name = "no critical alerts firing"
	var resp struct {
		Status string `json:"status"`
		Data   struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return fail(name, "reading the alerts: %v", err)
	}
	if resp.Status != "success" {
		return fail(name, "prometheus answered status %q", resp.Status)
	}
	var critical, warning []string
	for _, a := range resp.Data.Alerts {
		if a.State != "firing" {
			continue
		}
		id := a.Labels["alertname"]
		if ns := a.Labels["namespace"]; ns != "" {
			id += "{" + ns + "}"
		}
		switch a.Labels["severity"] {
		case "critical":
			critical = append(critical, id)
		case "warning":
			warning = append(warning, id)
		}
	}
	sort.Strings(critical)
	sort.Strings(warning)
	if len(critical) > 0 {
		return fail(name, "%d critical firing: %s", len(critical), strings.Join(critical, ", "))
	}
	if len(warning) > 0 {
		return pass(name, "none critical; %d warnings: %s", len(warning), strings.Join(warning, ", "))
	}
	return pass(name, "none firing above info")
}
