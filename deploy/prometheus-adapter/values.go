// Package prometheusadapter carries values.yaml, the prometheus-adapter rules the app's HPA
// scales on, into the Pulumi program: components.NewObservability installs the adapter with it.
package prometheusadapter

import _ "embed" // for go:embed

// Values is values.yaml of this directory.
//
//go:embed values.yaml
var Values []byte
