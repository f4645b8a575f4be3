package components

import "encoding/json"

// toJSON renders a policy or values document built from plain values inside an ApplyT.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
