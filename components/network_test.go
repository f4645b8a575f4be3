package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

func TestNetwork(t *testing.T) {
	tests := []struct {
		name      string
		args      components.NetworkArgs
		wantNAT   int
		endpoints bool
	}{
		{"prod: NAT per AZ and endpoints", components.NetworkArgs{CidrBlock: "10.0.0.0/16", NatGateways: 3, Endpoints: true}, 3, true},
		{"dev: one shared NAT", components.NetworkArgs{CidrBlock: "10.0.0.0/16", NatGateways: 1}, 1, false},
		{"DR: no NAT", components.NetworkArgs{CidrBlock: "10.1.0.0/16", NatGateways: 0}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			args.Region, args.AccountID = "us-east-1", account
			m := run(t, func(ctx *pulumi.Context) error {
				_, err := components.NewNetwork(ctx, "net", &args)
				return err
			})
			eq(t, "VPC cidrBlock", one(t, m, "aws:ec2/vpc:Vpc", "net-vpc").Input("cidrBlock"), tc.args.CidrBlock)

			tiers := map[string]map[string]bool{}
			for _, s := range m.ByType("aws:ec2/subnet:Subnet") {
				tier, _ := s.Input("tags").(map[string]any)["Tier"].(string)
				if tiers[tier] == nil {
					tiers[tier] = map[string]bool{}
				}
				tiers[tier][s.Input("availabilityZone").(string)] = true
				eq(t, s.Name+" mapPublicIpOnLaunch", s.Input("mapPublicIpOnLaunch"), false)
			}
			for _, tier := range []string{"public", "private", "database"} {
				eq(t, tier+" subnets' AZs", len(tiers[tier]), 3)
			}
			eq(t, "NAT gateways", count(m, "aws:ec2/natGateway:NatGateway"), tc.wantNAT)

			// Only the public table and, with NAT, the private tables route to the internet.
			wantDefaultRoutes := 1
			if tc.wantNAT > 0 {
				wantDefaultRoutes += 3
			}
			eq(t, "default routes", count(m, "aws:ec2/route:Route"), wantDefaultRoutes)

			flow := one(t, m, "aws:ec2/flowLog:FlowLog", "net-flow-log")
			eq(t, "flow log trafficType", flow.Input("trafficType"), "ALL")
			logs := one(t, m, "aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
			eq(t, "flow log group kmsKeyId", logs.Input("kmsKeyId"), one(t, m, "aws:kms/key:Key", "net-logs-kms").Output("arn"))

			var services []string
			for _, e := range m.ByType("aws:ec2/vpcEndpoint:VpcEndpoint") {
				services = append(services, e.Input("serviceName").(string))
			}
			if tc.endpoints {
				eq(t, "endpoint services", strings.Join(services, ","),
					"com.amazonaws.us-east-1.ecr.api,com.amazonaws.us-east-1.ecr.dkr,com.amazonaws.us-east-1.s3,com.amazonaws.us-east-1.sts")
			} else {
				eq(t, "endpoints", len(services), 0)
			}
		})
	}
}

func TestNetworkRejectsBadArgs(t *testing.T) {
	tests := []struct {
		name string
		args *components.NetworkArgs
		want string
	}{
		{"nil args", nil, "args are required"},
		{"missing region", &components.NetworkArgs{CidrBlock: "10.0.0.0/16", AccountID: account}, "required"},
		{"more NATs than AZs", &components.NetworkArgs{CidrBlock: "10.0.0.0/16", Region: "us-east-1", AccountID: account, NatGateways: 4}, "NatGateways"},
		{"bad CIDR", &components.NetworkArgs{CidrBlock: "10.0.0.0/30", Region: "us-east-1", AccountID: account}, "cannot carve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := runErr(func(ctx *pulumi.Context) error {
				_, err := components.NewNetwork(ctx, "net", tc.args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewNetwork(%+v) error = %v; want one containing %q", tc.args, err, tc.want)
			}
		})
	}
}
