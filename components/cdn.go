package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AWS-managed CloudFront policies: no caching (the API's answers depend on the POSTed log) and
// every viewer header but Host forwarded (the ALB routes on the origin's own name).
const (
	cachePolicyCachingDisabled      = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	originPolicyAllViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// CDNArgs configures CloudFront in front of the ingress load balancer.
type CDNArgs struct {
	// Domain is the zone; the API is served at api.<Domain> and the ALB answers at origin.<Domain>. Required.
	Domain string
	// ZoneID of Domain's hosted zone. Required.
	ZoneID pulumi.StringInput
	// UsEast1 is an aws.Provider in us-east-1, where CloudFront's certificate must live. Required.
	UsEast1 *aws.Provider
}

// CDN is a CloudFront distribution with an ACM certificate from us-east-1 and a response
// headers policy that adds the security headers to every response.
type CDN struct {
	pulumi.ResourceState

	DomainName pulumi.StringOutput
	APIHost    string
	OriginHost string
}

// NewCDN creates the certificate, headers policy, distribution and api.<domain> alias.
func NewCDN(ctx *pulumi.Context, name string, args *CDNArgs, opts ...pulumi.ResourceOption) (*CDN, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.Domain == "" || args.ZoneID == nil || args.UsEast1 == nil {
		return nil, fmt.Errorf("cdn %s: Domain, ZoneID and UsEast1 are required", name)
	}
	c := &CDN{APIHost: "api." + args.Domain, OriginHost: "origin." + args.Domain}
	if err := ctx.RegisterComponentResource("ciagent:edge:CDN", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)
	in := pulumi.Provider(args.UsEast1)

	cert, err := NewValidatedCertificate(ctx, name+"-cert", c.APIHost, nil, args.ZoneID, child, in)
	if err != nil {
		return nil, err
	}
	headers, err := cloudfront.NewResponseHeadersPolicy(ctx, name+"-security-headers", &cloudfront.ResponseHeadersPolicyArgs{
		Comment: pulumi.String("security headers on every ci-agent response"),
		SecurityHeadersConfig: cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs{
			StrictTransportSecurity: cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs{
				AccessControlMaxAgeSec: pulumi.Int(63072000), IncludeSubdomains: pulumi.Bool(true),
				Preload: pulumi.Bool(true), Override: pulumi.Bool(true),
			},
			ContentTypeOptions: cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs{Override: pulumi.Bool(true)},
			FrameOptions: cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs{
				FrameOption: pulumi.String("DENY"), Override: pulumi.Bool(true),
			},
			ContentSecurityPolicy: cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs{
				ContentSecurityPolicy: pulumi.String(SecurityHeaders["Content-Security-Policy"]), Override: pulumi.Bool(true),
			},
			ReferrerPolicy: cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs{
				ReferrerPolicy: pulumi.String(SecurityHeaders["Referrer-Policy"]), Override: pulumi.Bool(true),
			},
		},
	}, child, in)
	if err != nil {
		return nil, err
	}
	dist, err := cloudfront.NewDistribution(ctx, name, &cloudfront.DistributionArgs{
		Enabled: pulumi.Bool(true), IsIpv6Enabled: pulumi.Bool(true), HttpVersion: pulumi.String("http2and3"),
		Comment: pulumi.String("ci-agent API"), PriceClass: pulumi.String("PriceClass_100"),
		Aliases: pulumi.StringArray{pulumi.String(c.APIHost)},
		Origins: cloudfront.DistributionOriginArray{cloudfront.DistributionOriginArgs{
			OriginId: pulumi.String("ingress"), DomainName: pulumi.String(c.OriginHost),
			CustomOriginConfig: cloudfront.DistributionOriginCustomOriginConfigArgs{
				HttpPort: pulumi.Int(80), HttpsPort: pulumi.Int(443),
				OriginProtocolPolicy: pulumi.String("https-only"), OriginSslProtocols: strs("TLSv1.2"),
				OriginReadTimeout: pulumi.Int(60),
			},
		}},
		DefaultCacheBehavior: cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId:          pulumi.String("ingress"),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          strs("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"),
			CachedMethods:           strs("GET", "HEAD"),
			CachePolicyId:           pulumi.String(cachePolicyCachingDisabled),
			OriginRequestPolicyId:   pulumi.String(originPolicyAllViewerExceptHost),
			ResponseHeadersPolicyId: headers.ID(),
			Compress:                pulumi.Bool(true),
		},
		Restrictions: cloudfront.DistributionRestrictionsArgs{GeoRestriction: cloudfront.DistributionRestrictionsGeoRestrictionArgs{
			RestrictionType: pulumi.String("none"),
		}},
		ViewerCertificate: cloudfront.DistributionViewerCertificateArgs{
			AcmCertificateArn: cert, SslSupportMethod: pulumi.String("sni-only"),
			MinimumProtocolVersion: pulumi.String("TLSv1.2_2021"),
		},
	}, child, in)
	if err != nil {
		return nil, err
	}
	c.DomainName = dist.DomainName
	if _, err := route53.NewRecord(ctx, name+"-alias", &route53.RecordArgs{
		ZoneId: args.ZoneID, Name: pulumi.String(c.APIHost), Type: pulumi.String("A"),
		Aliases: route53.RecordAliasArray{route53.RecordAliasArgs{
			Name: dist.DomainName, ZoneId: dist.HostedZoneId, EvaluateTargetHealth: pulumi.Bool(false),
		}},
	}, child); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"domainName": c.DomainName, "apiHost": pulumi.String(c.APIHost)}); err != nil {
		return nil, err
	}
	return c, nil
}
