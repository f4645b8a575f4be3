// Package plan runs the Pulumi program offline under Pulumi's mocks and reports what it would
// create: the resources per phase and region, the policy findings and an estimated monthly cost.
// The tests and cmd/plan share it so that there is one mock, one policy and one price table.
package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// AccountID is the AWS account the mocks pretend to run in.
const AccountID = "123456789012"

// LiveZones are the public hosted zones (ID → name) the plan's account already holds, which a
// route53.LookupZone finds: prod's and dev's, as the recovery stack of region-failover.md looks
// prod's up (ci-agent:existingZoneId).
var LiveZones = map[string]string{
	"Z0PLANCIAGENTTECH":    "ci-agent.tech",
	"Z0PLANDEVCIAGENTTECH": "dev.ci-agent.tech",
}

// PhaseType is the type token of the component that groups one roadmap phase; every resource
// below it belongs to that phase.
const PhaseType = "ciagent:stack:Phase"

// NodeGroupType is the type token of an EKS managed node group: the nodes the plan prices as
// node-hours and the policy checks for a launch template.
const NodeGroupType = "aws:eks/nodeGroup:NodeGroup"

// Resource is one resource registration the mocks saw.
type Resource struct {
	URN      string
	Type     string
	Name     string
	ID       string
	Phase    string
	Region   string
	Parent   string
	Custom   bool
	Remote   bool
	Inputs   resource.PropertyMap
	Outputs  resource.PropertyMap
	Provider string
	// IgnoreChanges are the properties the program told the engine to leave alone on update.
	IgnoreChanges []string
	// Dependencies are the URNs of the resources it waits for: pulumi.DependsOn and the
	// resources whose outputs its inputs take.
	Dependencies []string
	// Aliases are the URNs it may have had before (pulumi.Aliases), which the engine adopts
	// instead of creating it anew.
	Aliases []string
	// RetainOnDelete: the engine forgets the resource instead of deleting it.
	RetainOnDelete bool
	// Read: the program only reads the resource (a Get, ID its id), which exists outside this
	// stack; the engine never creates, changes or deletes it.
	Read bool
}

// DependsOn reports whether r waits for other explicitly (pulumi.DependsOn).
func (r *Resource) DependsOn(other *Resource) bool {
	return other != nil && slices.Contains(r.Dependencies, other.URN)
}

// Input returns the plain (secrets redacted) value of an input, or nil.
func (r *Resource) Input(key string) any {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return Plain(v)
}

// Output returns the plain value of an output the mock reported (inputs included), or nil.
func (r *Resource) Output(key string) any {
	v, ok := r.Outputs[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return Plain(v)
}

// Invoke is one provider function call the mocks answered.
type Invoke struct {
	Token  string
	Region string
}

// Mocks implements pulumi.MockResourceMonitor. It records every registration, works out the
// phase and region of each resource, and answers the invokes the program makes with
// well-shaped, region-aware values.
type Mocks struct {
	Project       string
	Stack         string
	DefaultRegion string

	mu             sync.Mutex
	resources      []*Resource
	byURN          map[string]*Resource
	providerRegion map[string]string
	invokes        []Invoke
}

// NewMocks returns mocks for project/stack whose default AWS provider is in region.
func NewMocks(project, stack, region string) *Mocks {
	return &Mocks{
		Project: project, Stack: stack, DefaultRegion: region,
		byURN: map[string]*Resource{}, providerRegion: map[string]string{},
	}
}

// Resources returns the recorded resources in registration order.
func (m *Mocks) Resources() []*Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Resource(nil), m.resources...)
}

// Invokes returns the recorded invokes in call order.
func (m *Mocks) Invokes() []Invoke {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Invoke(nil), m.invokes...)
}

// ByType returns the recorded resources of one type token, sorted by name.
func (m *Mocks) ByType(typ string) []*Resource {
	var out []*Resource
	for _, r := range m.Resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Named returns the resource of type typ and logical name name, or nil.
func (m *Mocks) Named(typ, name string) *Resource {
	for _, r := range m.ByType(typ) {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// urnOf mirrors the URN the SDK's mock monitor gives a registration.
func (m *Mocks) urnOf(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.Stack), tokens.PackageName(m.Project), parentType,
		tokens.Type(typ), name))
}

// aliasURN spells out an alias given as a spec: what it leaves empty is the resource's own.
// Another stack or project is not spelled out (the program uses neither).
func (m *Mocks) aliasURN(spec *pulumirpc.Alias_Spec, parent, typ, name string) string {
	if spec.GetName() != "" {
		name = spec.GetName()
	}
	if spec.GetType() != "" {
		typ = spec.GetType()
	}
	if spec.GetNoParent() {
		parent = ""
	} else if spec.GetParentUrn() != "" {
		parent = spec.GetParentUrn()
	}
	return m.urnOf(parent, typ, name)
}

// regionOfProvider turns a provider reference ("<urn>::<id>") into the region it was created
// for; the default provider (empty reference) is in the stack's region.
func (m *Mocks) regionOfProvider(ref string) string {
	if ref == "" {
		return m.DefaultRegion
	}
	urn := ref
	if i := strings.LastIndex(ref, "::"); i > 0 {
		urn = ref[:i]
	}
	if region, ok := m.providerRegion[urn]; ok {
		return region
	}
	return m.DefaultRegion
}

// NewResource records the registration and returns its state: the inputs plus the outputs the
// program reads (ARNs, endpoints, ids), shaped like the real provider's.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()

	parent := ""
	remote := false
	var ignore, deps, aliases []string
	retain := false
	if args.ReadRPC != nil {
		parent = args.ReadRPC.GetParent()
	}
	if args.RegisterRPC != nil {
		retain = args.RegisterRPC.GetRetainOnDelete()
		parent = args.RegisterRPC.GetParent()
		remote = args.RegisterRPC.GetRemote()
		ignore = args.RegisterRPC.GetIgnoreChanges()
		deps = args.RegisterRPC.GetDependencies()
		aliases = append(aliases, args.RegisterRPC.GetAliasURNs()...)
		for _, a := range args.RegisterRPC.GetAliases() {
			if spec := a.GetSpec(); spec != nil {
				aliases = append(aliases, m.aliasURN(spec, parent, args.TypeToken, args.Name))
			} else if a.GetUrn() != "" {
				aliases = append(aliases, a.GetUrn())
			}
		}
	}
	urn := m.urnOf(parent, args.TypeToken, args.Name)
	r := &Resource{
		URN: urn, Type: args.TypeToken, Name: args.Name, Parent: parent,
		Custom: args.Custom, Remote: remote, Inputs: args.Inputs, Provider: args.Provider,
		IgnoreChanges: ignore, Dependencies: deps, Aliases: aliases, RetainOnDelete: retain,
		Read: args.ReadRPC != nil,
	}
	if p, ok := m.byURN[parent]; ok {
		r.Phase = p.Phase
		if r.Provider == "" && !r.Custom {
			r.Provider = p.Provider
		}
	}
	if args.TypeToken == PhaseType {
		r.Phase = args.Name
	}
	r.Region = m.regionOfProvider(r.Provider)
	if p, ok := m.byURN[parent]; ok && args.Provider == "" && !strings.HasPrefix(args.TypeToken, "pulumi:providers:") {
		// Children without an explicit provider inherit their parent's region.
		r.Region = p.Region
	}
	if args.TypeToken == "pulumi:providers:aws" {
		if v, ok := args.Inputs["region"]; ok && v.IsString() {
			m.providerRegion[urn] = v.StringValue()
			r.Region = v.StringValue()
		}
	}

	id := args.Name + "-id"
	if args.ID != "" {
		id = args.ID
	}
	state := outputsFor(r, id)
	if v, ok := state["id"]; ok && v.IsString() {
		id = v.StringValue()
	}
	r.ID = id
	r.Outputs = state
	m.resources = append(m.resources, r)
	m.byURN[urn] = r
	return id, state, nil
}

// Call answers the invokes the program makes. An invoke nobody stubbed is an error, so a new
// data-source lookup cannot slip into the program without the tests noticing.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	region := m.regionOfProvider(args.Provider)
	m.invokes = append(m.invokes, Invoke{Token: args.Token, Region: region})
	m.mu.Unlock()

	switch args.Token {
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		return resource.NewPropertyMapFromMap(map[string]any{
			"names":   []string{region + "a", region + "b", region + "c"},
			"zoneIds": []string{region + "-az1", region + "-az2", region + "-az3"},
			"id":      region,
		}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": AccountID,
			"arn":       "arn:aws:iam::" + AccountID + ":user/plan",
			"userId":    "AIDAPLAN",
			"id":        AccountID,
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": region, "id": region}), nil
	case "aws:route53/getZone:getZone":
		id := ""
		if v, ok := args.Args["zoneId"]; ok && v.IsString() {
			id = v.StringValue()
		}
		name, ok := LiveZones[id]
		if !ok {
			return nil, fmt.Errorf("no matching Route 53 hosted zone found (zone id %q; the plan's account holds %v)", id, LiveZones)
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": id, "zoneId": id, "name": name, "privateZone": false,
			"arn":         "arn:aws:route53:::hostedzone/" + id,
			"nameServers": []string{"ns-1.live-" + id + ".awsdns-plan.org", "ns-2.live-" + id + ".awsdns-plan.net"},
		}), nil
	case "aws:eks/getCluster:getCluster":
		name := ""
		if v, ok := args.Args["name"]; ok && v.IsString() {
			name = v.StringValue()
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": name,
			"arn":  fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", region, AccountID, name),
			"identities": []any{map[string]any{"oidcs": []any{map[string]any{
				"issuer": fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/PLAN%s", region, strings.ToUpper(name)),
			}}}},
			"vpcConfig": map[string]any{"clusterSecurityGroupId": "sg-" + name + "-cluster"},
			"endpoint":  "https://" + name + ".eks.plan",
			"id":        name,
		}), nil
	}
	return nil, fmt.Errorf("plan mocks: no stub for invoke %q; add one in internal/plan/mocks.go", args.Token)
}

// outputsFor returns the state the mock provider reports for r: its inputs plus the computed
// outputs the program reads.
func outputsFor(r *Resource, id string) resource.PropertyMap {
	state := r.Inputs.Copy()
	set := func(k string, v any) {
		if _, ok := state[resource.PropertyKey(k)]; !ok {
			state[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	str := func(k string) string {
		if v, ok := r.Inputs[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	parts := strings.Split(r.Type, ":")
	service := r.Type
	if len(parts) == 3 {
		service = strings.Split(parts[1], "/")[0]
	}
	if strings.HasPrefix(r.Type, "aws:") {
		set("arn", fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", service, r.Region, AccountID, service, r.Name))
		set("name", r.Name)
	}
	switch r.Type {
	case "aws:kms/key:Key":
		set("keyId", r.Name+"-key-id")
	case "aws:ec2/launchTemplate:LaunchTemplate":
		set("latestVersion", 1)
	case NodeGroupType:
		set("nodeGroupName", r.Name)
		set("status", "ACTIVE")
	case "aws:ec2/vpc:Vpc":
		set("defaultSecurityGroupId", "sg-"+r.Name+"-default")
	case "aws:rds/instance:Instance":
		ident := str("identifier")
		if ident == "" {
			ident = r.Name
		}
		set("identifier", ident)
		set("address", ident+".plan."+r.Region+".rds.amazonaws.com")
		set("endpoint", ident+".plan."+r.Region+".rds.amazonaws.com:5432")
		set("resourceId", "db-"+strings.ToUpper(ident))
		state["arn"] = resource.NewProperty(fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", r.Region, AccountID, ident))
		if v, ok := r.Inputs["manageMasterUserPassword"]; ok && v.IsBool() && v.BoolValue() {
			set("masterUserSecrets", []any{map[string]any{
				"secretArn":    fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds!%s", r.Region, AccountID, ident),
				"kmsKeyId":     str("masterUserSecretKmsKeyId"),
				"secretStatus": "active",
			}})
		}
	case "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
		// The rotation applications publish their function as the RotationLambdaARN output.
		fn := ""
		if p, ok := r.Inputs["parameters"]; ok && p.IsObject() {
			if v, ok := p.ObjectValue()["functionName"]; ok && v.IsString() {
				fn = v.StringValue()
			}
		}
		set("outputs", map[string]any{
			"RotationLambdaARN": fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r.Region, AccountID, fn),
		})
	case "aws:rds/proxy:Proxy":
		set("endpoint", r.Name+".proxy-plan."+r.Region+".rds.amazonaws.com")
	case "aws:route53/record:Record":
		set("fqdn", str("name"))
	case "aws:route53/zone:Zone":
		set("zoneId", "Z"+strings.ToUpper(strings.ReplaceAll(r.Name, "-", "")))
		set("nameServers", []string{"ns-1.awsdns-plan.org", "ns-2.awsdns-plan.net"})
	case "aws:route53/delegationSet:DelegationSet":
		// Each set its own servers, as Route 53's (a parent's and a child's must not overlap).
		state["id"] = resource.NewProperty("N" + strings.ToUpper(strings.ReplaceAll(r.Name, "-", "")))
		set("nameServers", []string{"ns-1." + r.Name + ".awsdns-plan.org", "ns-2." + r.Name + ".awsdns-plan.net"})
	case "aws:s3/bucketV2:BucketV2":
		bucket := str("bucket")
		if bucket == "" {
			bucket = r.Name
		}
		set("bucket", bucket)
		set("bucketRegionalDomainName", bucket+".s3."+r.Region+".amazonaws.com")
		state["id"] = resource.NewProperty(bucket)
	case "aws:elasticache/replicationGroup:ReplicationGroup":
		set("primaryEndpointAddress", "master."+r.Name+".plan.cache.amazonaws.com")
	case "aws:cloudfront/distribution:Distribution":
		set("domainName", r.Name+".cloudfront.net")
		set("hostedZoneId", "Z2FDTNDATAQYW2")
	case "aws:acm/certificate:Certificate":
		domain := str("domainName")
		set("domainValidationOptions", []any{map[string]any{
			"domainName":          domain,
			"resourceRecordName":  "_plan." + domain + ".",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_plan.acm-validations.aws.",
		}})
	case "aws:ecr/repository:Repository":
		set("repositoryUrl", AccountID+".dkr.ecr."+r.Region+".amazonaws.com/"+str("name"))
	case "aws:lb/loadBalancer:LoadBalancer":
		set("dnsName", r.Name+".elb.plan")
	case "random:index/randomPassword:RandomPassword":
		set("result", "plan-password-not-a-secret")
	case "eks:index:Cluster":
		name := str("name")
		if name == "" {
			name = r.Name
		}
		kubeconfig := fmt.Sprintf(`{"apiVersion":"v1","kind":"Config","clusters":[{"name":%q,"cluster":{"server":"https://%s.eks.plan"}}]}`, name, name)
		set("kubeconfigJson", kubeconfig)
		set("kubeconfig", kubeconfig)
	}
	return state
}

// Plain converts a property value to plain Go values for reports and assertions. Secrets are
// redacted and unknowns spelled out, so nothing secret leaves the plan.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		out := make([]any, 0, len(v.ArrayValue()))
		for _, e := range v.ArrayValue() {
			out = append(out, Plain(e))
		}
		return out
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = Plain(e)
		}
		return out
	case v.IsSecret():
		return "[secret]"
	case v.IsComputed(), v.IsOutput():
		if v.IsOutput() && v.OutputValue().Known {
			if v.OutputValue().Secret {
				return "[secret]"
			}
			return Plain(v.OutputValue().Element)
		}
		return "[unknown]"
	case v.IsAsset():
		return "[asset]"
	case v.IsArchive():
		return "[archive]"
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return fmt.Sprint(v)
}
