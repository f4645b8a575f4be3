// Package stacks wires the components into the roadmap's phases, one file per phase. Deploy
// runs the phases a stack enables, in order, each under a ciagent:stack:Phase component that
// stamps the Project/Environment/Phase/ManagedBy tags on everything below it.
package stacks

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

// phaseNames names the roadmap phases this program implements.
var phaseNames = map[int]string{
	1: "cluster", 2: "edge", 3: "observability", 4: "gitops", 5: "cicd", 6: "database", 7: "qa", 8: "scaling", 9: "dr", 10: "cost",
}

// phaseNeeds lists, per phase, the phases whose resources it builds on.
var phaseNeeds = map[int][]int{
	2: {1}, 3: {1, 2}, 4: {1}, 6: {1}, 7: {1}, 8: {1, 2}, 9: {6}, 10: {1},
}

// phaseOrder is the order phases run in: dependencies first.
var phaseOrder = []int{1, 2, 6, 3, 8, 4, 5, 7, 9, 10}

// Platform carries what one phase hands the next.
type Platform struct {
	Config    Config
	AccountID string
	Network   *components.Network
	Cluster   *components.Cluster
	Registry  *components.Registry
	Database  *components.Database
	DR        *components.DisasterRecovery
	K8s       *kubernetes.Provider
	Edge      *components.Edge
	Obs       *components.Observability
	Cache     *components.Cache
	CDN       *components.CDN
	GitOps    *components.GitOps
	App       *components.AppAccess
}

// Program is the Pulumi program: read the config once, deploy the enabled phases.
func Program(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	return Deploy(ctx, cfg)
}

// Deploy runs the phases cfg enables.
func Deploy(ctx *pulumi.Context, cfg Config) error {
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return fmt.Errorf("looking up the AWS account: %w", err)
	}
	for _, w := range cfg.Warnings() {
		if err := ctx.Log.Warn(w, nil); err != nil {
			return err
		}
	}
	p := &Platform{Config: cfg, AccountID: identity.AccountId}
	runners := map[int]func(*pulumi.Context, *Platform, pulumi.ResourceOption) error{
		1: phase1Cluster, 2: phase2Edge, 3: phase3Observability, 4: phase4GitOps, 5: phase5CICD,
		6: phase6Database, 7: phase7QA, 8: phase8Scaling, 9: phase9DR, 10: phase10Cost,
	}
	for _, n := range phaseOrder {
		if !cfg.Enabled(n) {
			continue
		}
		name := fmt.Sprintf("phase%d-%s", n, phaseNames[n])
		phase := &phaseComponent{}
		if err := ctx.RegisterComponentResource("ciagent:stack:Phase", name, phase,
			pulumi.Transformations([]pulumi.ResourceTransformation{Tagger(cfg.Tags(n))})); err != nil {
			return err
		}
		if err := runners[n](ctx, p, pulumi.Parent(phase)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := ctx.RegisterResourceOutputs(phase, pulumi.Map{}); err != nil {
			return err
		}
	}
	return nil
}

type phaseComponent struct{ pulumi.ResourceState }

// onCluster are the options of everything that runs in the cluster: its Kubernetes provider,
// and waiting for the cluster, its node group and its EBS CSI driver to exist.
func (p *Platform) onCluster(parent pulumi.ResourceOption) []pulumi.ResourceOption {
	return []pulumi.ResourceOption{parent, pulumi.Providers(p.K8s), pulumi.DependsOn(p.Cluster.WaitFor())}
}

// regionProvider returns an explicit provider for region, owned by the calling phase.
func (p *Platform) regionProvider(ctx *pulumi.Context, name, region string, phase int, parent pulumi.ResourceOption) (*aws.Provider, error) {
	return aws.NewProvider(ctx, name, &aws.ProviderArgs{
		Region:      pulumi.String(region),
		DefaultTags: aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(p.Config.Tags(phase))},
	}, parent)
}

// Tags are the tags every taggable resource of phase n carries.
func (c Config) Tags(n int) map[string]string {
	return map[string]string{
		"Project": c.Project, "Environment": c.Environment, "Phase": strconv.Itoa(n), "ManagedBy": "pulumi",
	}
}

var stringMapInputType = reflect.TypeOf((*pulumi.StringMapInput)(nil)).Elem()

// Tagger merges tags into the `Tags` input of every resource that has one. Children inherit
// their parent's transformations, so setting it on the phase reaches every resource of the
// phase, including the remote eks components' arguments. Explicit tags (Name, Tier) are kept;
// the four policy tags always win.
func Tagger(tags map[string]string) pulumi.ResourceTransformation {
	return func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		v := reflect.ValueOf(args.Props)
		if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return nil
		}
		field := v.Elem().FieldByName("Tags")
		if !field.IsValid() || !field.CanSet() || field.Type() != stringMapInputType {
			return nil
		}
		var merged pulumi.StringMapInput
		switch existing := field.Interface().(type) {
		case nil:
			merged = pulumi.ToStringMap(tags)
		case pulumi.StringMap:
			m := pulumi.StringMap{}
			for k, val := range existing {
				m[k] = val
			}
			for k, val := range tags {
				m[k] = pulumi.String(val)
			}
			merged = m
		default:
			merged = existing.(pulumi.StringMapInput).ToStringMapOutput().ApplyT(func(in map[string]string) map[string]string {
				out := map[string]string{}
				for k, val := range in {
					out[k] = val
				}
				for k, val := range tags {
					out[k] = val
				}
				return out
			}).(pulumi.StringMapOutput)
		}
		field.Set(reflect.ValueOf(&merged).Elem())
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: args.Opts}
	}
}
