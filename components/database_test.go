package components_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ci-agent/ci-agent/components"
	"github.com/ci-agent/ci-agent/internal/plan"
)

func databaseArgs(prod bool) *components.DatabaseArgs {
	return &components.DatabaseArgs{
		Identifier: "ci-agent-test", Region: "us-east-1", VpcID: pulumi.String("vpc-1"),
		SubnetIDs:              pulumi.ToStringArray([]string{"db1", "db2", "db3"}),
		RotationSubnetIDs:      pulumi.ToStringArray([]string{"priv1", "priv2", "priv3"}),
		ClientSecurityGroupIDs: pulumi.ToStringArray([]string{"sg-nodes"}),
		VpcCidr:                "10.0.0.0/16",
		MultiAz:                prod, Production: prod,
		LogKeyArn: pulumi.String("arn:aws:kms:us-east-1:" + account + ":key/logs"),
	}
}

func TestDatabase(t *testing.T) {
	for _, prod := range []bool{true, false} {
		name := map[bool]string{true: "prod", false: "dev"}[prod]
		t.Run(name, func(t *testing.T) {
			m := run(t, func(ctx *pulumi.Context) error {
				args := databaseArgs(prod)
				// prod creates the account's RDSOSMetrics, dev reads it (Pulumi.<stack>.yaml).
				args.OwnsOSMetricsLogGroup = prod
				_, err := components.NewDatabase(ctx, "db", args)
				return err
			})
			db := one(t, m, "aws:rds/instance:Instance", "db")
			key := one(t, m, "aws:kms/key:Key", "db-kms")
			eq(t, "key rotation", key.Input("enableKeyRotation"), true)
			for k, want := range map[string]any{
				"engine":                "postgres",
				"engineVersion":         "15",
				"multiAz":               prod,
				"backupRetentionPeriod": 30.0,
				"storageEncrypted":      true,
				"kmsKeyId":              key.Output("arn"),
				"allocatedStorage":      100.0,
				"maxAllocatedStorage":   200.0,
				"deletionProtection":    prod,
				"skipFinalSnapshot":     !prod,
				"publiclyAccessible":    false,
				"username":              "ciagent",
				"dbName":                "ciagent",
				// RDS cannot replicate an instance whose password Secrets Manager manages.
				"manageMasterUserPassword":    nil,
				"masterUserSecretKmsKeyId":    nil,
				"password":                    "[secret]",
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

			// The first password: random, PostgreSQL-safe, handed over as a secret, and never
			// pushed again once rotation owns it.
			pw := one(t, m, "random:index/randomPassword:RandomPassword", "db-master-password")
			if n, _ := pw.Input("length").(float64); n < 32 {
				t.Errorf("master password length = %v; want >= 32", pw.Input("length"))
			}
			if special, _ := pw.Input("overrideSpecial").(string); pw.Input("special") != true || special == "" || strings.ContainsAny(special, `:/@"' \`+"`") {
				t.Errorf("master password specials = %v %q; want punctuation without : / @ \" ' \\ space backtick", pw.Input("special"), pw.Input("overrideSpecial"))
			}
			if !isSecret(db.Inputs["password"]) {
				t.Errorf("rds password is not marked secret")
			}
			eq(t, "rds ignoreChanges", db.IgnoreChanges, []string{"password"})

			// The master secret: the component's own, under the database's key.
			secret := one(t, m, "aws:secretsmanager/secret:Secret", "db-master")
			eq(t, "secret kmsKeyId", secret.Input("kmsKeyId"), key.Output("arn"))
			version := one(t, m, "aws:secretsmanager/secretVersion:SecretVersion", "db-master-value")
			eq(t, "secret version secretId", version.Input("secretId"), secret.ID)
			eq(t, "secret version ignoreChanges", version.IgnoreChanges, []string{"secretString"})
			if !isSecret(version.Inputs["secretString"]) {
				t.Errorf("secret version secretString is not marked secret")
			}
			var value map[string]any
			if err := json.Unmarshal([]byte(reveal(version.Inputs["secretString"])), &value); err != nil {
				t.Fatalf("secretString is not JSON: %v", err)
			}
			eq(t, "secret JSON", value, map[string]any{
				"engine": "postgres", "host": "ci-agent-test.plan.us-east-1.rds.amazonaws.com", "port": 5432.0,
				"username": "ciagent", "password": reveal(pw.Outputs["result"]), "dbname": "ciagent",
			})
			eq(t, "secret host is the instance's", value["host"], db.Output("address"))
			if value["password"] == "" || value["password"] == nil {
				t.Errorf("secret JSON password is empty")
			}

			// Rotation: AWS's single-user PostgreSQL function from the Serverless Application
			// Repository, in the private subnets, allowed into the database.
			rotator := one(t, m, "aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "db-rotator")
			rotationSG := one(t, m, "aws:ec2/securityGroup:SecurityGroup", "db-rotation-sg")
			eq(t, "rotator application", rotator.Input("applicationId"),
				"arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser")
			eq(t, "rotator capabilities", rotator.Input("capabilities"), []any{"CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"})
			for k, want := range map[string]any{
				"functionName":        "ci-agent-test-secret-rotation",
				"endpoint":            "https://secretsmanager.us-east-1.amazonaws.com",
				"vpcSubnetIds":        "priv1,priv2,priv3",
				"vpcSecurityGroupIds": rotationSG.ID,
				"kmsKeyArn":           key.Output("arn"),
			} {
				eq(t, "rotator parameter "+k, get(rotator.Input("parameters"), k), want)
			}
			rotation := one(t, m, "aws:secretsmanager/secretRotation:SecretRotation", "db-rotation")
			eq(t, "rotation secret", rotation.Input("secretId"), secret.Output("arn"))
			eq(t, "rotation lambda", rotation.Input("rotationLambdaArn"), "arn:aws:lambda:us-east-1:"+account+":function:ci-agent-test-secret-rotation")
			eq(t, "rotation lambda is the stack's output", rotation.Input("rotationLambdaArn"), get(rotator.Output("outputs"), "RotationLambdaARN"))
			eq(t, "rotation days", get(rotation.Input("rotationRules"), "automaticallyAfterDays"), 7.0)
			eq(t, "rotation egress ports", []any{get(rotationSG.Input("egress"), 0, "fromPort"), get(rotationSG.Input("egress"), 1, "fromPort")}, []any{5432.0, 443.0})
			eq(t, "rotation ingress", rotationSG.Input("ingress"), nil)

			proxy := one(t, m, "aws:rds/proxy:Proxy", "db-proxy")
			eq(t, "proxy requireTls", proxy.Input("requireTls"), true)
			eq(t, "proxy engineFamily", proxy.Input("engineFamily"), "POSTGRESQL")
			eq(t, "proxy auth secret", get(proxy.Input("auths"), 0, "secretArn"), secret.Output("arn"))
			eq(t, "proxy target", one(t, m, "aws:rds/proxyTarget:ProxyTarget", "db-proxy-target").Input("dbInstanceIdentifier"), "ci-agent-test")
			statements := policyDoc(t, one(t, m, "aws:iam/rolePolicy:RolePolicy", "db-proxy-policy"), "policy")["Statement"]
			eq(t, "proxy reads the secret", get(statements, 0), map[string]any{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret.Output("arn")})
			eq(t, "proxy decrypts with the secret's key", get(statements, 1), map[string]any{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key.Output("arn")})
			// The key keeps the default key policy (the account administers it), which lets IAM
			// policies such as the proxy's grant its use.
			eq(t, "key policy", key.Input("policy"), nil)

			// The log groups RDS and Lambda would create on their own (no key, kept forever):
			// created first, encrypted and with a retention, and waited for.
			eq(t, "rds log exports", db.Input("enabledCloudwatchLogsExports"), []any{"postgresql", "upgrade"})
			eq(t, "proxy name", proxy.Input("name"), "ci-agent-test-proxy")
			for resourceName, want := range map[string]struct {
				group  string
				waiter *plan.Resource
			}{
				"db-postgresql-logs": {"/aws/rds/instance/ci-agent-test/postgresql", db},
				"db-upgrade-logs":    {"/aws/rds/instance/ci-agent-test/upgrade", db},
				"db-rotator-logs":    {"/aws/lambda/ci-agent-test-secret-rotation", rotator},
				"db-proxy-logs":      {"/aws/rds/proxy/ci-agent-test-proxy", proxy},
			} {
				group := one(t, m, "aws:cloudwatch/logGroup:LogGroup", resourceName)
				eq(t, resourceName+" name", group.Input("name"), want.group)
				eq(t, resourceName+" kmsKeyId", group.Input("kmsKeyId"), "arn:aws:kms:us-east-1:"+account+":key/logs")
				eq(t, resourceName+" retentionInDays", group.Input("retentionInDays"), 30.0)
				// AWS re-creates it anyway: an up that drops it (a rollback to a commit before the
				// groups, phase 6 left out) forgets it, keeping its logs, and the next import takes it back.
				eq(t, resourceName+" retained on delete", group.RetainOnDelete, true)
				if !want.waiter.DependsOn(group) {
					t.Errorf("%s %s does not wait for its log group %s: %v", want.waiter.Type, want.waiter.Name, resourceName, want.waiter.Dependencies)
				}
			}
			// Enhanced Monitoring's RDSOSMetrics is one group per account and region: the owner
			// creates it (and keeps it on delete, other stacks' instances write there), the
			// others read it; the instance waits for it either way.
			osMetrics := one(t, m, "aws:cloudwatch/logGroup:LogGroup", "db-os-metrics-logs")
			if !db.DependsOn(osMetrics) {
				t.Errorf("the instance does not wait for RDSOSMetrics: %v", db.Dependencies)
			}
			if prod {
				eq(t, "RDSOSMetrics name", osMetrics.Input("name"), "RDSOSMetrics")
				eq(t, "RDSOSMetrics kmsKeyId", osMetrics.Input("kmsKeyId"), "arn:aws:kms:us-east-1:"+account+":key/logs")
				eq(t, "RDSOSMetrics retentionInDays", osMetrics.Input("retentionInDays"), 30.0)
				eq(t, "RDSOSMetrics retained on delete", osMetrics.RetainOnDelete, true)
				eq(t, "RDSOSMetrics read", osMetrics.Read, false)
			} else {
				eq(t, "RDSOSMetrics read", osMetrics.Read, true)
				eq(t, "RDSOSMetrics read id", osMetrics.ID, "RDSOSMetrics")
			}
			for _, f := range plan.Check(m.Resources()) {
				if f.Rule == "logs" || f.Rule == "retention" || (f.Rule == "kms" && strings.Contains(f.Message, "log group")) {
					t.Errorf("policy: %s", f)
				}
			}

			sg := one(t, m, "aws:ec2/securityGroup:SecurityGroup", "db-sg")
			eq(t, "db ingress port", get(sg.Input("ingress"), 0, "fromPort"), 5432.0)
			eq(t, "db ingress sources", get(sg.Input("ingress"), 0, "securityGroups"), []any{"sg-nodes", "db-proxy-sg-id", "db-rotation-sg-id"})
			eq(t, "db ingress CIDRs", get(sg.Input("ingress"), 0, "cidrBlocks"), nil)
			eq(t, "db ingress rules", len(sg.Input("ingress").([]any)), 1)
			eq(t, "instance security groups", db.Input("vpcSecurityGroupIds"), []any{sg.ID})
		})
	}
}

func TestDatabaseRejectsMissingArgs(t *testing.T) {
	tests := []struct {
		name  string
		unset func(*components.DatabaseArgs)
		want  string
	}{
		{"no VPC, subnets or clients", func(a *components.DatabaseArgs) { *a = components.DatabaseArgs{Identifier: "x"} }, "VpcID"},
		{"no region", func(a *components.DatabaseArgs) { a.Region = "" }, "Region"},
		{"no subnets for the rotation Lambda", func(a *components.DatabaseArgs) { a.RotationSubnetIDs = nil }, "RotationSubnetIDs"},
		{"no key for the log groups", func(a *components.DatabaseArgs) { a.LogKeyArn = nil }, "LogKeyArn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := databaseArgs(false)
			tc.unset(args)
			err := runErr(func(ctx *pulumi.Context) error {
				_, err := components.NewDatabase(ctx, "db", args)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewDatabase error = %v; want one naming %s", err, tc.want)
			}
		})
	}
}

// isSecret reports whether a property reached the engine marked secret.
func isSecret(v resource.PropertyValue) bool {
	return v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret)
}

// reveal is the plain string inside a (possibly secret) property, for the assertions that must
// see what a secret holds.
func reveal(v resource.PropertyValue) string {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			v = v.OutputValue().Element
		case v.IsString():
			return v.StringValue()
		default:
			return ""
		}
	}
}
