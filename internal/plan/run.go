package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// Project is the Pulumi project name (Pulumi.yaml `name`).
const Project = "ci-agent"

// runMu serialises runs: the SDK reads stack config from the process-wide PULUMI_CONFIG.
var runMu sync.Mutex

// SecretPlaceholder stands in for a secure config value, which cannot be decrypted offline.
const SecretPlaceholder = "offline-plan-secret"

// LoadStackConfig reads Pulumi.<stack>.yaml from dir and returns its config as the
// "namespace:key" → string map that PULUMI_CONFIG carries: structured values as JSON, keys
// without a namespace under the project's. Secure values cannot be decrypted offline; they
// are present as SecretPlaceholder, so the plan builds what a stack with that secret builds
// (an alert route, an SMTP login) and the program's "X without the secret Y" checks see it.
func LoadStackConfig(dir, stack string) (map[string]string, error) {
	path := filepath.Join(dir, "Pulumi."+stack+".yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading stack config: %w", err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	out := map[string]string{}
	for key, value := range doc.Config {
		if !strings.Contains(key, ":") {
			key = Project + ":" + key
		}
		if m, ok := value.(map[string]any); ok {
			if _, secure := m["secure"]; secure && len(m) == 1 {
				out[key] = SecretPlaceholder
				continue
			}
		}
		switch v := value.(type) {
		case string:
			out[key] = v
		case bool, int, float64:
			out[key] = fmt.Sprint(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("config %s: %w", key, err)
			}
			out[key] = string(b)
		}
	}
	return out, nil
}

// Run executes program under the mocks with the given stack config and returns what it
// registered. Runs are serialised because the config travels in an environment variable.
func Run(stack string, config map[string]string, program pulumi.RunFunc) (*Mocks, error) {
	runMu.Lock()
	defer runMu.Unlock()

	encoded, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	previous, had := os.LookupEnv("PULUMI_CONFIG")
	if err := os.Setenv("PULUMI_CONFIG", string(encoded)); err != nil {
		return nil, err
	}
	defer func() {
		if had {
			os.Setenv("PULUMI_CONFIG", previous)
		} else {
			os.Unsetenv("PULUMI_CONFIG")
		}
	}()

	region := config["aws:region"]
	if region == "" {
		region = "us-east-1"
	}
	mocks := NewMocks(Project, stack, region)
	if err := pulumi.RunErr(program, pulumi.WithMocks(Project, stack, mocks)); err != nil {
		return mocks, fmt.Errorf("running stack %s under mocks: %w", stack, err)
	}
	return mocks, nil
}
