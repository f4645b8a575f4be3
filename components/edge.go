package components

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SecurityHeaders are the response headers every public response carries. The ALB adds the
// ones it can through the ingress class's listener attributes; CloudFront's response-headers
// policy adds all of them in front.
var SecurityHeaders = map[string]string{
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
	"X-Content-Type-Options":    "nosniff",
	"X-Frame-Options":           "DENY",
	"Content-Security-Policy":   "default-src 'none'; frame-ancestors 'none'",
	"Referrer-Policy":           "no-referrer",
}

// EdgeArgs configures DNS, TLS and ingress.
type EdgeArgs struct {
	// Domain of the hosted zone (ci-agent.tech in prod, a subdomain in dev). Required.
	Domain string
	// ClusterName, Region and VpcID of the cluster the controllers run in. Required.
	ClusterName, Region string
	VpcID               pulumi.StringInput
	// OidcProviderArn and OidcIssuer bind the controllers' IAM roles to their service accounts. Required.
	OidcProviderArn, OidcIssuer pulumi.StringInput
	// AcmeEmail receives Let's Encrypt expiry notices. Required.
	AcmeEmail string
	// Production makes external-dns upsert-only (it never deletes a record). Default false.
	Production bool

	// ExistingZoneID is a live public hosted zone of Domain that the component uses instead of
	// creating one (the recovery stack of region-failover.md uses prod's, the one the registrar
	// delegates to). It is looked up, and a zone of another name is an error. The component then
	// creates no zone and no delegation set, and keeps (RetainOnDelete) the certificate's
	// validation record when it is destroyed: ACM gives the same record for the same name in
	// every region, so it is the zone owner's record too. Its external-dns gets the owner id
	// <ClusterName>-<Region> instead of ClusterName, so that it never changes the zone owner's
	// records. Default "": create the zone.
	ExistingZoneID string
	// DelegationSetID is the reusable delegation set the created zone takes its name servers
	// from: the set the parent zone's stack made for this subdomain (DelegatedSubdomains), so
	// that the parent's NS record points at this zone before it exists. Default "": the
	// component creates a delegation set of its own (stable name servers for the registrar,
	// whatever happens to the zone).
	DelegationSetID string
	// DelegatedSubdomains are labels under Domain ("dev" for dev.<Domain>) whose zones other
	// stacks create: for each, a reusable delegation set, and an NS record in this zone with
	// the set's name servers. Not with ExistingZoneID. Default none.
	DelegatedSubdomains []string
}

// Edge is the public hosted zone, an ACM certificate for the load balancer, external-dns and
// cert-manager with IRSA roles scoped to the zone, Let's Encrypt ClusterIssuers (DNS-01) and the
// AWS Load Balancer Controller with an ingress class that adds the security headers.
type Edge struct {
	pulumi.ResourceState

	ZoneID         pulumi.StringOutput
	ZoneArn        pulumi.StringOutput
	NameServers    pulumi.StringArrayOutput
	CertificateArn pulumi.StringOutput
	IngressClass   string
	Controller     pulumi.Resource
	// DelegationSetID is the zone's reusable delegation set (its own or DelegationSetID);
	// empty with ExistingZoneID.
	DelegationSetID pulumi.StringOutput
	// SubdomainDelegationSetIDs maps each of DelegatedSubdomains to the delegation set its
	// zone must use (the subdomain stack's ci-agent:delegationSetId).
	SubdomainDelegationSetIDs pulumi.StringMapOutput
}

// dnsLabel is one label of a DNS name as Route 53 takes it for a public zone (lower case).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidSubdomain reports why sub is not a name relative to a zone (labels separated by dots),
// or nil.
func ValidSubdomain(sub string) error {
	for _, label := range strings.Split(sub, ".") {
		if !dnsLabel.MatchString(label) {
			return fmt.Errorf("%q is not a name relative to the zone (lower-case labels of letters, digits and '-', such as dev)", sub)
		}
	}
	return nil
}

// NewEdge creates the zone, certificate, roles and controllers. Pass the cluster's Kubernetes
// provider in opts (pulumi.Providers).
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.Domain == "" || args.ClusterName == "" || args.Region == "" || args.VpcID == nil || args.OidcProviderArn == nil || args.OidcIssuer == nil || args.AcmeEmail == "" {
		return nil, fmt.Errorf("edge %s: Domain, ClusterName, Region, VpcID, OidcProviderArn, OidcIssuer and AcmeEmail are required", name)
	}
	c := &Edge{IngressClass: "alb"}
	if err := ctx.RegisterComponentResource("ciagent:edge:Edge", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	sharedZone := args.ExistingZoneID != ""
	if sharedZone {
		if err := c.useZone(ctx, name, args); err != nil {
			return nil, err
		}
	} else if err := c.createZone(ctx, name, args, child); err != nil {
		return nil, err
	}

	cert, err := validatedCertificate(ctx, name+"-cert", args.Domain, []string{"*." + args.Domain}, c.ZoneID, sharedZone, child)
	if err != nil {
		return nil, err
	}
	c.CertificateArn = cert

	irsa := func(role, namespace, sa string, doc pulumi.StringOutput) (pulumi.StringOutput, error) {
		r, err := NewIrsaRole(ctx, name+"-"+role, &IrsaRoleArgs{
			OidcProviderArn: args.OidcProviderArn, OidcIssuer: args.OidcIssuer,
			Namespace: namespace, ServiceAccount: sa, Policy: doc,
		}, child)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		return r.Arn, nil
	}

	// external-dns may change records of this zone only.
	dnsRole, err := irsa("external-dns", "external-dns", "external-dns", policy(
		pulumi.Map{"Action": strs("route53:ChangeResourceRecordSets"), "Resource": pulumi.Array{c.ZoneArn}},
		pulumi.Map{"Action": strs("route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResources"), "Resource": pulumi.String("*")},
	))
	if err != nil {
		return nil, err
	}
	policyMode := "sync"
	if args.Production {
		policyMode = "upsert-only"
	}
	// external-dns claims each record it writes with TXT records naming its owner id, and
	// changes only records of its own id. A stack sharing the zone (the recovery stack in
	// prod's) runs a cluster of the zone owner's name and asks for the same origin.<domain>, so
	// with the owner's id both clusters' external-dns would point the name at their own load
	// balancer in turn, every minute, for a whole game day. Its own id (cluster and region)
	// leaves the owner's records alone until a person hands the name over
	// (region-failover.md). The zone owner's id stays the cluster name its records carry.
	ownerID := args.ClusterName
	if sharedZone {
		ownerID += "-" + args.Region
	}
	if _, err := release(ctx, name+"-external-dns", ChartExternalDNS, "external-dns", pulumi.Map{
		"provider":       pulumi.Map{"name": pulumi.String("aws")},
		"domainFilters":  strs(args.Domain),
		"extraArgs":      pulumi.Array{pulumi.Sprintf("--zone-id-filter=%s", c.ZoneID)},
		"txtOwnerId":     pulumi.String(ownerID),
		"policy":         pulumi.String(policyMode),
		"serviceAccount": pulumi.Map{"name": pulumi.String("external-dns"), "annotations": irsaAnnotation(dnsRole)},
	}, child); err != nil {
		return nil, err
	}

	// cert-manager answers DNS-01 challenges in this zone only.
	certRole, err := irsa("cert-manager", "cert-manager", "cert-manager", policy(
		pulumi.Map{"Action": strs("route53:GetChange"), "Resource": pulumi.String("arn:aws:route53:::change/*")},
		pulumi.Map{"Action": strs("route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"), "Resource": pulumi.Array{c.ZoneArn}},
		pulumi.Map{"Action": strs("route53:ListHostedZonesByName"), "Resource": pulumi.String("*")},
	))
	if err != nil {
		return nil, err
	}
	issuers := pulumi.Array{}
	for _, env := range []struct{ name, server string }{
		{"letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"},
		{"letsencrypt-prod", "https://acme-v02.api.letsencrypt.org/directory"},
	} {
		issuers = append(issuers, pulumi.Map{
			"apiVersion": pulumi.String("cert-manager.io/v1"), "kind": pulumi.String("ClusterIssuer"),
			"metadata": pulumi.Map{"name": pulumi.String(env.name)},
			"spec": pulumi.Map{"acme": pulumi.Map{
				"server": pulumi.String(env.server), "email": pulumi.String(args.AcmeEmail),
				"privateKeySecretRef": pulumi.Map{"name": pulumi.String(env.name + "-account")},
				"solvers": pulumi.Array{pulumi.Map{"dns01": pulumi.Map{"route53": pulumi.Map{
					"region": pulumi.String(args.Region), "hostedZoneID": c.ZoneID,
				}}}},
			}},
		})
	}
	certManager, err := release(ctx, name+"-cert-manager", ChartCertManager, "cert-manager", pulumi.Map{
		"crds":           pulumi.Map{"enabled": pulumi.Bool(true)},
		"serviceAccount": pulumi.Map{"name": pulumi.String("cert-manager"), "annotations": irsaAnnotation(certRole)},
		// The IRSA token must be readable by the controller's non-root user.
		"securityContext": pulumi.Map{"fsGroup": pulumi.Int(1001)},
	}, child)
	if err != nil {
		return nil, err
	}
	// The ClusterIssuers are a release of their own, after cert-manager's: with crds.enabled the
	// CRDs are templates of cert-manager's chart, so in the same release Helm cannot map kind
	// ClusterIssuer at install ("ensure CRDs are installed first", cert-manager#7096), and the
	// issuers are admitted only once cert-manager's webhook serves, which the atomic release
	// waits for (docs/decisions/infra-0006-cluster-issuers-in-their-own-release.md).
	if _, err := releaseNamed(ctx, name+"-cluster-issuers", "cluster-issuers", ChartRaw, "cert-manager", pulumi.Map{
		"resources": issuers,
	}, child, pulumi.DependsOn([]pulumi.Resource{certManager})); err != nil {
		return nil, err
	}

	lbRole, err := irsa("load-balancer-controller", "kube-system", "aws-load-balancer-controller", loadBalancerControllerPolicy())
	if err != nil {
		return nil, err
	}
	var attributes pulumi.Array
	for key, header := range map[string]string{
		"routing.http.response.strict_transport_security.header_value": "Strict-Transport-Security",
		"routing.http.response.x_content_type_options.header_value":    "X-Content-Type-Options",
		"routing.http.response.x_frame_options.header_value":           "X-Frame-Options",
		"routing.http.response.content_security_policy.header_value":   "Content-Security-Policy",
		"routing.http.response.server.enabled":                         "",
	} {
		value := "false"
		if header != "" {
			value = SecurityHeaders[header]
		}
		attributes = append(attributes, pulumi.Map{"key": pulumi.String(key), "value": pulumi.String(value)})
	}
	controller, err := release(ctx, name+"-load-balancer-controller", ChartLoadBalancerController, "kube-system", pulumi.Map{
		"clusterName": pulumi.String(args.ClusterName),
		// Given explicitly: IMDS is closed to pods (hop limit 1).
		"region": pulumi.String(args.Region), "vpcId": args.VpcID,
		"serviceAccount": pulumi.Map{"name": pulumi.String("aws-load-balancer-controller"), "annotations": irsaAnnotation(lbRole)},
		"replicaCount":   pulumi.Int(2),
		// The Service mutator webhook (failurePolicy Fail) intercepts every Service created in
		// the cluster; until the controller's pods serve it, the other releases' Services are
		// refused ("failed calling webhook mservice.elbv2.k8s.aws"). This platform never makes
		// LoadBalancer Services (ingress only; the app quota forbids them), so it is not needed.
		"enableServiceMutatorWebhook": pulumi.Bool(false),
		"ingressClass":                pulumi.String(c.IngressClass),
		"createIngressClassResource":  pulumi.Bool(true),
		"ingressClassParams": pulumi.Map{
			"create": pulumi.Bool(true),
			"spec": pulumi.Map{
				"scheme":         pulumi.String("internet-facing"),
				"certificateArn": pulumi.Array{cert},
				"sslPolicy":      pulumi.String("ELBSecurityPolicy-TLS13-1-2-2021-06"),
				"loadBalancerAttributes": pulumi.Array{
					pulumi.Map{"key": pulumi.String("routing.http.drop_invalid_header_fields.enabled"), "value": pulumi.String("true")},
				},
				// Every HTTPS listener of the class adds the security headers it supports;
				// Referrer-Policy, which ALB cannot set, comes from CloudFront and the app.
				"listeners": pulumi.Array{pulumi.Map{
					"protocol": pulumi.String("HTTPS"), "port": pulumi.Int(443),
					"listenerAttributes": attributes,
				}},
			},
		},
	}, child)
	if err != nil {
		return nil, err
	}
	c.Controller = controller

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"zoneId": c.ZoneID, "nameServers": c.NameServers, "certificateArn": c.CertificateArn,
		"delegationSetId": c.DelegationSetID, "subdomainDelegationSetIds": c.SubdomainDelegationSetIDs,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// useZone takes the live zone ExistingZoneID, after checking that it is Domain's.
func (c *Edge) useZone(ctx *pulumi.Context, name string, args *EdgeArgs) error {
	if args.DelegationSetID != "" || len(args.DelegatedSubdomains) > 0 {
		return fmt.Errorf("edge %s: ExistingZoneID excludes DelegationSetID and DelegatedSubdomains (the zone and its records are its owner's)", name)
	}
	zone, err := route53.LookupZone(ctx, &route53.LookupZoneArgs{ZoneId: pulumi.StringRef(args.ExistingZoneID)})
	if err != nil {
		return fmt.Errorf("edge %s: looking up the hosted zone %s: %w", name, args.ExistingZoneID, err)
	}
	if got := strings.TrimSuffix(strings.ToLower(zone.Name), "."); got != strings.ToLower(args.Domain) {
		return fmt.Errorf("edge %s: the hosted zone %s is %s, not %s", name, args.ExistingZoneID, got, args.Domain)
	}
	if zone.PrivateZone != nil && *zone.PrivateZone {
		return fmt.Errorf("edge %s: the hosted zone %s is private; the certificate and the public name need the public zone", name, args.ExistingZoneID)
	}
	c.ZoneID = pulumi.String(args.ExistingZoneID).ToStringOutput()
	c.ZoneArn = pulumi.String(zone.Arn).ToStringOutput()
	c.NameServers = pulumi.ToStringArray(zone.NameServers).ToStringArrayOutput()
	c.DelegationSetID = pulumi.String("").ToStringOutput()
	c.SubdomainDelegationSetIDs = pulumi.StringMap{}.ToStringMapOutput()
	return nil
}

// createZone creates Domain's zone on a reusable delegation set (its own, or DelegationSetID),
// and the delegation sets and NS records of DelegatedSubdomains.
func (c *Edge) createZone(ctx *pulumi.Context, name string, args *EdgeArgs, child pulumi.ResourceOption) error {
	setID := pulumi.String(args.DelegationSetID).ToStringOutput()
	if args.DelegationSetID == "" {
		// The zone's name servers are the set's: a zone that Pulumi replaces keeps them, so the
		// registrar's NS entries (set once, by hand) stay right.
		set, err := route53.NewDelegationSet(ctx, name+"-ns", &route53.DelegationSetArgs{
			ReferenceName: pulumi.String(args.Domain),
		}, child)
		if err != nil {
			return err
		}
		setID = set.ID().ToStringOutput()
	}
	// A zone's delegation set is fixed when the zone is created (a change replaces the zone).
	// A zone that exists from before the sets keeps its name servers: replacing it would give
	// the domain a zone the registrar does not name, and move every record into it. Such a zone
	// moves onto the set only by a deliberate `pulumi up --replace` (docs/infra.md).
	zone, err := route53.NewZone(ctx, name+"-zone", &route53.ZoneArgs{
		Name: pulumi.String(args.Domain), Comment: pulumi.String("public zone of ci-agent"),
		DelegationSetId: setID,
	}, child, pulumi.IgnoreChanges([]string{"delegationSetId"}))
	if err != nil {
		return err
	}
	// The set the zone really uses: empty for a zone from before the sets.
	c.ZoneID, c.ZoneArn, c.NameServers = zone.ZoneId, zone.Arn, zone.NameServers
	c.DelegationSetID = zone.DelegationSetId.Elem()

	ids := pulumi.StringMap{}
	for _, sub := range args.DelegatedSubdomains {
		if err := ValidSubdomain(sub); err != nil {
			return fmt.Errorf("edge %s: DelegatedSubdomains: %w", name, err)
		}
		fqdn, setName := sub+"."+args.Domain, name+"-ns-"+sub
		// A set of its own: Route 53 refuses a zone whose name servers overlap its parent's or
		// child's (ConflictingDomainExists), so the subdomain cannot share the parent's set.
		set, err := route53.NewDelegationSet(ctx, setName, &route53.DelegationSetArgs{
			ReferenceName: pulumi.String(fqdn),
		}, child)
		if err != nil {
			return err
		}
		ids[sub] = set.ID().ToStringOutput()
		// Two sets may happen to share a server; then the subdomain's zone could never be
		// created, so stop here, where replacing the set is the fix.
		records := pulumi.All(zone.NameServers, set.NameServers).ApplyT(func(v []any) ([]string, error) {
			parentNS, subNS := v[0].([]string), v[1].([]string)
			for _, ns := range subNS {
				if slices.Contains(parentNS, ns) {
					return nil, fmt.Errorf("the delegation set %s shares the name server %s with the zone %s: Route 53 would refuse the zone %s "+
						"(ConflictingDomainExists); replace the set (pulumi up --replace with its URN, from pulumi stack --show-urns)",
						setName, ns, args.Domain, fqdn)
				}
			}
			return subNS, nil
		}).(pulumi.StringArrayOutput)
		if _, err := route53.NewRecord(ctx, name+"-delegate-"+sub, &route53.RecordArgs{
			ZoneId: zone.ZoneId, Name: pulumi.String(fqdn), Type: pulumi.String("NS"),
			Records: records, Ttl: pulumi.Int(3600),
		}, child); err != nil {
			return err
		}
	}
	c.SubdomainDelegationSetIDs = ids.ToStringMapOutput()
	return nil
}

// NewValidatedCertificate requests an ACM certificate validated by DNS records in zoneID and
// returns its ARN once validated. The options decide the region (CloudFront needs us-east-1).
func NewValidatedCertificate(ctx *pulumi.Context, name, domain string, sans []string, zoneID pulumi.StringInput, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	return validatedCertificate(ctx, name, domain, sans, zoneID, false, opts...)
}

// validatedCertificate is NewValidatedCertificate; with sharedZone (a zone another stack owns)
// the validation record is left in place when this stack is destroyed: ACM asks for the same
// record for the same name in every region and account-wide, so the owner's certificate (whose
// renewal needs it) validated with the very same record.
func validatedCertificate(ctx *pulumi.Context, name, domain string, sans []string, zoneID pulumi.StringInput, sharedZone bool, opts ...pulumi.ResourceOption) (pulumi.StringOutput, error) {
	cert, err := acm.NewCertificate(ctx, name, &acm.CertificateArgs{
		DomainName: pulumi.String(domain), SubjectAlternativeNames: pulumi.ToStringArray(sans),
		ValidationMethod: pulumi.String("DNS"), KeyAlgorithm: pulumi.String("EC_prime256v1"),
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// A wildcard and its apex share one validation record, so one record covers both.
	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, name+"-validation", &route53.RecordArgs{
		ZoneId: zoneID, Name: option.ResourceRecordName().Elem(), Type: option.ResourceRecordType().Elem(),
		Records: pulumi.StringArray{option.ResourceRecordValue().Elem()}, Ttl: pulumi.Int(300),
		AllowOverwrite: pulumi.Bool(true),
	}, append(opts, pulumi.RetainOnDelete(sharedZone))...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	validation, err := acm.NewCertificateValidation(ctx, name+"-validated", &acm.CertificateValidationArgs{
		CertificateArn: cert.Arn, ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return validation.CertificateArn, nil
}

// loadBalancerControllerPolicy is the controller's IAM policy (the upstream iam_policy.json,
// condensed): read-only discovery everywhere; creating and changing load balancers, target
// groups and security groups only for resources it tags as its own.
func loadBalancerControllerPolicy() pulumi.StringOutput {
	owned := pulumi.Map{"Null": pulumi.Map{"aws:ResourceTag/elbv2.k8s.aws/cluster": pulumi.String("false")}}
	requestOwned := pulumi.Map{"Null": pulumi.Map{"aws:RequestTag/elbv2.k8s.aws/cluster": pulumi.String("false")}}
	return policy(
		pulumi.Map{"Action": strs("iam:CreateServiceLinkedRole"), "Resource": pulumi.String("*"),
			"Condition": pulumi.Map{"StringEquals": pulumi.Map{"iam:AWSServiceName": pulumi.String("elasticloadbalancing.amazonaws.com")}}},
		pulumi.Map{"Action": strs(
			"ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
			"ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
			"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
			"ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools",
			"ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
			"elasticloadbalancing:Describe*", "acm:ListCertificates", "acm:DescribeCertificate",
			"iam:ListServerCertificates", "iam:GetServerCertificate", "cognito-idp:DescribeUserPoolClient",
			"waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "wafv2:GetWebACL",
			"wafv2:GetWebACLForResource", "shield:GetSubscriptionState", "shield:DescribeProtection",
		), "Resource": pulumi.String("*")},
		pulumi.Map{"Action": strs("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:CreateSecurityGroup"),
			"Resource": pulumi.String("*")},
		pulumi.Map{"Action": strs("ec2:CreateTags"), "Resource": pulumi.String("arn:aws:ec2:*:*:security-group/*"),
			"Condition": pulumi.Map{"StringEquals": pulumi.Map{"ec2:CreateAction": pulumi.String("CreateSecurityGroup")}, "Null": requestOwned["Null"]}},
		pulumi.Map{"Action": strs("ec2:CreateTags", "ec2:DeleteTags", "ec2:DeleteSecurityGroup"),
			"Resource": pulumi.String("*"), "Condition": owned},
		pulumi.Map{"Action": strs("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"),
			"Resource": pulumi.String("*"), "Condition": requestOwned},
		pulumi.Map{"Action": strs("elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
			"elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"), "Resource": pulumi.String("*")},
		// Tag-on-create: CreateLoadBalancer/CreateTargetGroup with tags are also authorised as
		// AddTags on a resource that has no tags yet, so the "owned" condition below cannot
		// match; upstream iam_policy.json (v2.5+) grants it through elasticloadbalancing:CreateAction.
		pulumi.Map{"Action": strs("elasticloadbalancing:AddTags"),
			"Resource": strs("arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
				"arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*", "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*"),
			"Condition": pulumi.Map{
				"StringEquals": pulumi.Map{"elasticloadbalancing:CreateAction": strs("CreateTargetGroup", "CreateLoadBalancer")},
				"Null":         requestOwned["Null"],
			}},
		// The controller tags the listeners and rules it creates (CreateListener/CreateRule with
		// tags), which likewise have no tags yet.
		pulumi.Map{"Action": strs("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"),
			"Resource": strs("arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*", "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
				"arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*", "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*")},
		pulumi.Map{"Action": strs("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
			"elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
			"elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
			"elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
			"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
			"elasticloadbalancing:ModifyListenerAttributes"),
			"Resource": pulumi.String("*"), "Condition": owned},
		pulumi.Map{"Action": strs("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"),
			"Resource": pulumi.String("arn:aws:elasticloadbalancing:*:*:targetgroup/*/*")},
		pulumi.Map{"Action": strs("elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
			"elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
			"elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"), "Resource": pulumi.String("*")},
	)
}
