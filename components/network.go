package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkArgs configures a Network. Counts and CIDRs are plain values because they decide how
// many resources exist.
type NetworkArgs struct {
	// CidrBlock is the VPC's IPv4 range, a /16 to /20. Required.
	CidrBlock string
	// AzCount is how many availability zones the subnets span. Default 3.
	AzCount int
	// NatGateways is 0 (no internet egress: a DR-only network), 1 (one shared NAT, the cheap dev
	// choice) or AzCount (one per AZ, so losing an AZ does not cut egress: prod). Default 1.
	NatGateways int
	// Region is the region the network lives in (the provider's), for endpoint service names
	// and the log key's policy. Required.
	Region string
	// AccountID is the AWS account, for the log key's policy. Required.
	AccountID string
	// FlowLogRetentionDays keeps VPC flow logs this long. Default 30.
	FlowLogRetentionDays int
	// Endpoints adds VPC endpoints for ECR (api, dkr), S3 and STS so image pulls and IRSA
	// token exchange stay off the NAT. Default false.
	Endpoints bool
}

// Network is a VPC with public, private (nodes) and database subnets across AZs, NAT, flow
// logs and VPC endpoints.
type Network struct {
	pulumi.ResourceState

	VpcID             pulumi.IDOutput
	CidrBlock         string
	PublicSubnetIDs   pulumi.StringArrayOutput
	PrivateSubnetIDs  pulumi.StringArrayOutput
	DatabaseSubnetIDs pulumi.StringArrayOutput
	PrivateCidrs      []string
	AvailabilityZones []string
	// PrivateRouteTableIDs (one per AZ) and DatabaseRouteTableID route the private and the
	// database subnets, for routes other components add (the DR peering).
	PrivateRouteTableIDs []pulumi.IDOutput
	DatabaseRouteTableID pulumi.IDOutput
	// LogsKeyArn is the KMS key of the flow-log group. Its policy lets CloudWatch Logs of the
	// network's region use it for any log group of the account, so the log groups of AWS
	// services in the network (the database's exports, its rotation Lambda) take it too.
	LogsKeyArn pulumi.StringOutput
}

// NewNetwork creates the VPC and everything in it.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.CidrBlock == "" || args.Region == "" || args.AccountID == "" {
		return nil, fmt.Errorf("network %s: CidrBlock, Region and AccountID are required", name)
	}
	if args.AzCount == 0 {
		args.AzCount = 3
	}
	if args.FlowLogRetentionDays == 0 {
		args.FlowLogRetentionDays = 30
	}
	if args.NatGateways < 0 || args.NatGateways > args.AzCount {
		return nil, fmt.Errorf("network %s: NatGateways %d must be between 0 and AzCount %d", name, args.NatGateways, args.AzCount)
	}

	c := &Network{CidrBlock: args.CidrBlock}
	if err := ctx.RegisterComponentResource("ciagent:infra:Network", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	zones, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{State: pulumi.StringRef("available")}, child)
	if err != nil {
		return nil, fmt.Errorf("network %s: listing availability zones: %w", name, err)
	}
	if len(zones.Names) < args.AzCount {
		return nil, fmt.Errorf("network %s: region %s has %d AZs, want %d", name, args.Region, len(zones.Names), args.AzCount)
	}
	c.AvailabilityZones = zones.Names[:args.AzCount]

	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(args.CidrBlock),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               pulumi.StringMap{"Name": pulumi.String(name)},
	}, child)
	if err != nil {
		return nil, err
	}
	c.VpcID = vpc.ID()

	// The default security group of a VPC allows all traffic between its members; adopting it
	// with no rules makes anything that forgets its own group isolated instead of open.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: vpc.ID(),
	}, child); err != nil {
		return nil, err
	}

	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{VpcId: vpc.ID()}, child)
	if err != nil {
		return nil, err
	}
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public-rt", &ec2.RouteTableArgs{VpcId: vpc.ID()}, child)
	if err != nil {
		return nil, err
	}
	if _, err := ec2.NewRoute(ctx, name+"-public-default", &ec2.RouteArgs{
		RouteTableId: publicRT.ID(), DestinationCidrBlock: pulumi.String("0.0.0.0/0"), GatewayId: igw.ID(),
	}, child); err != nil {
		return nil, err
	}

	// /20 subnets: public 0..n-1, private (nodes and pods, the VPC CNI gives pods VPC IPs so
	// they are the largest need) 4..4+n-1, database 8..8+n-1.
	var public, private, database pulumi.StringArray
	var privateRTs []pulumi.StringInput
	var natIDs []pulumi.IDOutput
	for i, az := range c.AvailabilityZones {
		tier := func(kind string, index int, extra pulumi.StringMap) (*ec2.Subnet, error) {
			cidr, err := subnetCIDR(args.CidrBlock, 20, index)
			if err != nil {
				return nil, fmt.Errorf("network %s: %w", name, err)
			}
			tags := pulumi.StringMap{"Name": pulumi.String(fmt.Sprintf("%s-%s-%s", name, kind, az)), "Tier": pulumi.String(kind)}
			for k, v := range extra {
				tags[k] = v
			}
			return ec2.NewSubnet(ctx, fmt.Sprintf("%s-%s-%d", name, kind, i), &ec2.SubnetArgs{
				VpcId: vpc.ID(), CidrBlock: pulumi.String(cidr), AvailabilityZone: pulumi.String(az),
				MapPublicIpOnLaunch: pulumi.Bool(false),
				Tags:                tags,
			}, child)
		}
		pub, err := tier("public", i, pulumi.StringMap{"kubernetes.io/role/elb": pulumi.String("1")})
		if err != nil {
			return nil, err
		}
		priv, err := tier("private", 4+i, pulumi.StringMap{"kubernetes.io/role/internal-elb": pulumi.String("1")})
		if err != nil {
			return nil, err
		}
		privCidr, _ := subnetCIDR(args.CidrBlock, 20, 4+i)
		c.PrivateCidrs = append(c.PrivateCidrs, privCidr)
		db, err := tier("database", 8+i, nil)
		if err != nil {
			return nil, err
		}
		public, private, database = append(public, pub.ID()), append(private, priv.ID()), append(database, db.ID())

		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-public-rta-%d", name, i), &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: publicRT.ID(),
		}, child); err != nil {
			return nil, err
		}
		if i < args.NatGateways {
			eip, err := ec2.NewEip(ctx, fmt.Sprintf("%s-nat-eip-%d", name, i), &ec2.EipArgs{Domain: pulumi.String("vpc")}, child)
			if err != nil {
				return nil, err
			}
			nat, err := ec2.NewNatGateway(ctx, fmt.Sprintf("%s-nat-%d", name, i), &ec2.NatGatewayArgs{
				AllocationId: eip.ID(), SubnetId: pub.ID(),
			}, child, pulumi.DependsOn([]pulumi.Resource{igw}))
			if err != nil {
				return nil, err
			}
			natIDs = append(natIDs, nat.ID())
		}
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-rt-%d", name, i), &ec2.RouteTableArgs{VpcId: vpc.ID()}, child)
		if err != nil {
			return nil, err
		}
		if len(natIDs) > 0 {
			// Each AZ uses its own NAT when there is one per AZ, else the shared one.
			nat := natIDs[min(i, len(natIDs)-1)]
			if _, err := ec2.NewRoute(ctx, fmt.Sprintf("%s-private-default-%d", name, i), &ec2.RouteArgs{
				RouteTableId: rt.ID(), DestinationCidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat,
			}, child); err != nil {
				return nil, err
			}
		}
		privateRTs = append(privateRTs, rt.ID())
		c.PrivateRouteTableIDs = append(c.PrivateRouteTableIDs, rt.ID())
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-rta-%d", name, i), &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		}, child); err != nil {
			return nil, err
		}
	}

	// Database subnets get a route table with no default route: the database never talks to
	// the internet.
	dbRT, err := ec2.NewRouteTable(ctx, name+"-database-rt", &ec2.RouteTableArgs{VpcId: vpc.ID()}, child)
	if err != nil {
		return nil, err
	}
	c.DatabaseRouteTableID = dbRT.ID()
	for i := range database {
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-database-rta-%d", name, i), &ec2.RouteTableAssociationArgs{
			SubnetId: database[i], RouteTableId: dbRT.ID(),
		}, child); err != nil {
			return nil, err
		}
	}
	c.PublicSubnetIDs = public.ToStringArrayOutput()
	c.PrivateSubnetIDs = private.ToStringArrayOutput()
	c.DatabaseSubnetIDs = database.ToStringArrayOutput()

	if err := c.flowLogs(ctx, name, vpc, args, child); err != nil {
		return nil, err
	}
	if args.Endpoints {
		if err := c.endpoints(ctx, name, vpc, args, append(privateRTs, dbRT.ID()), private, child); err != nil {
			return nil, err
		}
	}

	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"vpcId": c.VpcID, "publicSubnetIds": c.PublicSubnetIDs,
		"privateSubnetIds": c.PrivateSubnetIDs, "databaseSubnetIds": c.DatabaseSubnetIDs,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// flowLogs sends all VPC traffic records to a KMS-encrypted CloudWatch log group.
func (c *Network) flowLogs(ctx *pulumi.Context, name string, vpc *ec2.Vpc, args *NetworkArgs, child pulumi.ResourceOrInvokeOption) error {
	key, err := newKey(ctx, name+"-logs-kms", "CloudWatch Logs of "+name+": VPC flow logs and the log groups of AWS services in it",
		serviceKeyPolicy(args.AccountID, args.Region, true, false), child)
	if err != nil {
		return err
	}
	c.LogsKeyArn = key.Arn
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(args.FlowLogRetentionDays),
		KmsKeyId:        key.Arn,
	}, child)
	if err != nil {
		return err
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs-role", &iam.RoleArgs{
		AssumeRolePolicy: assumeRolePolicy("vpc-flow-logs.amazonaws.com"),
	}, child)
	if err != nil {
		return err
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs-policy", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: pulumi.JSONMarshal(pulumi.Map{
			"Version": pulumi.String("2012-10-17"),
			"Statement": pulumi.Array{pulumi.Map{
				"Effect": pulumi.String("Allow"),
				"Action": pulumi.ToStringArray([]string{"logs:CreateLogStream", "logs:PutLogEvents",
					"logs:DescribeLogGroups", "logs:DescribeLogStreams"}),
				"Resource": pulumi.Sprintf("%s:*", group.Arn),
			}},
		}),
	}, child); err != nil {
		return err
	}
	_, err = ec2.NewFlowLog(ctx, name+"-flow-log", &ec2.FlowLogArgs{
		VpcId:              vpc.ID(),
		TrafficType:        pulumi.String("ALL"),
		LogDestinationType: pulumi.String("cloud-watch-logs"),
		LogDestination:     group.Arn,
		IamRoleArn:         role.Arn,
	}, child)
	return err
}

// endpoints keeps ECR pulls, S3 layer downloads and STS (IRSA) inside the VPC.
func (c *Network) endpoints(ctx *pulumi.Context, name string, vpc *ec2.Vpc, args *NetworkArgs,
	routeTables []pulumi.StringInput, private pulumi.StringArray, child pulumi.ResourceOrInvokeOption) error {
	sg, err := ec2.NewSecurityGroup(ctx, name+"-endpoints-sg", &ec2.SecurityGroupArgs{
		VpcId:       vpc.ID(),
		Description: pulumi.String("HTTPS from inside the VPC to the interface endpoints"),
		Ingress: ec2.SecurityGroupIngressArray{ec2.SecurityGroupIngressArgs{
			Protocol: pulumi.String("tcp"), FromPort: pulumi.Int(443), ToPort: pulumi.Int(443),
			CidrBlocks: pulumi.StringArray{pulumi.String(args.CidrBlock)},
		}},
	}, child)
	if err != nil {
		return err
	}
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId: vpc.ID(), ServiceName: pulumi.String("com.amazonaws." + args.Region + ".s3"),
		VpcEndpointType: pulumi.String("Gateway"), RouteTableIds: pulumi.StringArray(routeTables),
	}, child); err != nil {
		return err
	}
	for _, svc := range []string{"ecr.api", "ecr.dkr", "sts"} {
		if _, err := ec2.NewVpcEndpoint(ctx, name+"-"+svc, &ec2.VpcEndpointArgs{
			VpcId: vpc.ID(), ServiceName: pulumi.String("com.amazonaws." + args.Region + "." + svc),
			VpcEndpointType: pulumi.String("Interface"), PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds: private, SecurityGroupIds: pulumi.StringArray{sg.ID()},
		}, child); err != nil {
			return err
		}
	}
	return nil
}
