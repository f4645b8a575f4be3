package components_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
)

func databaseArgs(prod bool) *components.DatabaseArgs {
	return &components.DatabaseArgs{
		Identifier: "ci-agent-test", VpcID: pulumi.String("vpc-1"),
		SubnetIDs:              pulumi.ToStringArray([]string{"db1", "db2", "db3"}),
		ClientSecurityGroupIDs: pulumi.ToStringArray([]string{"sg-nodes"}),
		VpcCidr:                "10.0.0.0/16",
		MultiAz:                prod, Production: prod,
	}
}

func TestDatabase(t *testing.T) {
	for _, prod := range []bool{true, false} {
		name := map[bool]string{true: "prod", false: "dev"}[prod]
		t.Run(name, func(t *testing.T) {
			m := run(t, func(ctx *pulumi.Context) error {
				_, err := components.NewDatabase(ctx, "db", databaseArgs(prod))
				return err
			})
			db := one(t, m, "aws:rds/instance:Instance", "db")
			key := one(t, m, "aws:kms/key:Key", "db-kms")
			eq(t, "key rotation", key.Input("enableKeyRotation"), true)
			for k, want := range map[string]any{
				"engine":                      "postgres",
				"engineVersion":               "15",
				"multiAz":                     prod,
				"backupRetentionPeriod":       30.0,
				"storageEncrypted":            true,
				"kmsKeyId":                    key.Output("arn"),
				"allocatedStorage":            100.0,
				"maxAllocatedStorage":         200.0,
				"deletionProtection":          prod,
				"skipFinalSnapshot":           !prod,
				"publiclyAccessible":          false,
				"manageMasterUserPassword":    true,
				"masterUserSecretKmsKeyId":    key.Output("arn"),
				"performanceInsightsEnabled":  true,
				"performanceInsightsKmsKeyId": key.Output("arn"),
				"monitoringInterval":          60.0,
				"parameterGroupName":          one(t, m, "aws:rds/parameterGroup:ParameterGroup", "db-params").Output("name"),
			} {
				eq(t, "rds "+k, db.Input(k), want)
			}

			params := one(t, m, "aws:rds/parameterGroup:ParameterGroup", "db-params")
			eq(t, "parameter group family", params.Input("family"), "postgres15")
			if !contains(params.Input("parameters"), `{"name":"rds.force_ssl","value":"1"}`) {
				t.Errorf("parameters = %v; want rds.force_ssl=1", params.Input("parameters"))
			}

			rotation := one(t, m, "aws:secretsmanager/secretRotation:SecretRotation", "db-rotation")
			eq(t, "rotation secret", rotation.Input("secretId"), get(db.Output("masterUserSecrets"), 0, "secretArn"))
			eq(t, "rotation days", get(rotation.Input("rotationRules"), "automaticallyAfterDays"), 7.0)

			proxy := one(t, m, "aws:rds/proxy:Proxy", "db-proxy")
			eq(t, "proxy requireTls", proxy.Input("requireTls"), true)
			eq(t, "proxy engineFamily", proxy.Input("engineFamily"), "POSTGRESQL")
			eq(t, "proxy auth secret", get(proxy.Input("auths"), 0, "secretArn"), rotation.Input("secretId"))
			eq(t, "proxy target", one(t, m, "aws:rds/proxyTarget:ProxyTarget", "db-proxy-target").Input("dbInstanceIdentifier"), "ci-agent-test")

			sg := one(t, m, "aws:ec2/securityGroup:SecurityGroup", "db-sg")
			eq(t, "db ingress port", get(sg.Input("ingress"), 0, "fromPort"), 5432.0)
			eq(t, "db ingress sources", get(sg.Input("ingress"), 0, "securityGroups"), []any{"sg-nodes", "db-proxy-sg-id"})
			eq(t, "db ingress CIDRs", get(sg.Input("ingress"), 0, "cidrBlocks"), nil)
			eq(t, "db ingress rules", len(sg.Input("ingress").([]any)), 1)
			eq(t, "instance security groups", db.Input("vpcSecurityGroupIds"), []any{sg.ID})
		})
	}
}

func TestDatabaseRejectsMissingArgs(t *testing.T) {
	err := runErr(func(ctx *pulumi.Context) error {
		_, err := components.NewDatabase(ctx, "db", &components.DatabaseArgs{Identifier: "x"})
		return err
	})
	if err == nil {
		t.Fatalf("NewDatabase without VPC, subnets and clients succeeded; want an error")
	}
}
