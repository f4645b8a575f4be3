package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/budgets"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/costexplorer"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BudgetLine is one monthly budget: its limit and, empty for the total, the AWS services it
// covers (Cost Explorer's SERVICE dimension names).
type BudgetLine struct {
	Name     string
	LimitUSD float64
	Services []string
}

// SeedBudgetServices maps the seed's cost table to AWS services.
var SeedBudgetServices = map[string][]string{
	"compute":  {"Amazon Elastic Compute Cloud - Compute", "Amazon Elastic Container Service for Kubernetes", "EC2 - Other", "Amazon Elastic Load Balancing", "Amazon Virtual Private Cloud"},
	"database": {"Amazon Relational Database Service", "Amazon ElastiCache"},
	"storage":  {"Amazon Simple Storage Service", "Amazon EC2 Container Registry (ECR)", "AWS Backup"},
	"transfer": {"AWS Data Transfer", "Amazon CloudFront"},
}

// CostControlsArgs configures budgets and anomaly detection.
type CostControlsArgs struct {
	// Environment scopes the budgets and the anomaly monitor to this stack's tagged resources. Required.
	Environment string
	// Budgets are the monthly lines; each alerts at 80 % and 100 % of actual spend and at 100 %
	// of forecast. Required.
	Budgets []BudgetLine
	// Email receives budget and anomaly alerts. Required.
	Email string
	// AnomalyThresholdUSD alerts on anomalies whose total impact exceeds this. Default 20.
	AnomalyThresholdUSD float64
}

// CostControls are AWS Budgets per cost line and Cost Anomaly Detection for the environment.
type CostControls struct{ pulumi.ResourceState }

// NewCostControls creates the budgets, the anomaly monitor and its subscription.
func NewCostControls(ctx *pulumi.Context, name string, args *CostControlsArgs, opts ...pulumi.ResourceOption) (*CostControls, error) {
	if args == nil {
		return nil, errNilArgs
	}
	if args.Environment == "" || args.Email == "" || len(args.Budgets) == 0 {
		return nil, fmt.Errorf("cost controls %s: Environment, Email and Budgets are required", name)
	}
	if args.AnomalyThresholdUSD == 0 {
		args.AnomalyThresholdUSD = 20
	}
	c := &CostControls{}
	if err := ctx.RegisterComponentResource("ciagent:cost:CostControls", name, c, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(c)

	// Budgets filter on the Environment cost-allocation tag (activate it once in Billing), so
	// dev and prod in one account each see their own spend.
	envFilter := budgets.BudgetCostFilterArgs{Name: pulumi.String("TagKeyValue"), Values: strs("user:Environment$" + args.Environment)}
	for _, line := range args.Budgets {
		filters := budgets.BudgetCostFilterArray{envFilter}
		if len(line.Services) > 0 {
			filters = append(filters, budgets.BudgetCostFilterArgs{Name: pulumi.String("Service"), Values: pulumi.ToStringArray(line.Services)})
		}
		var notes budgets.BudgetNotificationArray
		for _, n := range []struct {
			kind      string
			threshold float64
		}{{"ACTUAL", 80}, {"ACTUAL", 100}, {"FORECASTED", 100}} {
			notes = append(notes, budgets.BudgetNotificationArgs{
				ComparisonOperator: pulumi.String("GREATER_THAN"), NotificationType: pulumi.String(n.kind),
				Threshold: pulumi.Float64(n.threshold), ThresholdType: pulumi.String("PERCENTAGE"),
				SubscriberEmailAddresses: strs(args.Email),
			})
		}
		if _, err := budgets.NewBudget(ctx, name+"-"+line.Name, &budgets.BudgetArgs{
			Name:       pulumi.String(fmt.Sprintf("ci-agent-%s-%s", args.Environment, line.Name)),
			BudgetType: pulumi.String("COST"), TimeUnit: pulumi.String("MONTHLY"),
			LimitAmount: pulumi.String(fmt.Sprintf("%.2f", line.LimitUSD)), LimitUnit: pulumi.String("USD"),
			CostFilters: filters, Notifications: notes,
		}, child); err != nil {
			return nil, err
		}
	}

	spec, err := toJSON(map[string]any{"Tags": map[string]any{
		"Key": "Environment", "Values": []string{args.Environment}, "MatchOptions": []string{"EQUALS"},
	}})
	if err != nil {
		return nil, err
	}
	monitor, err := costexplorer.NewAnomalyMonitor(ctx, name+"-anomalies", &costexplorer.AnomalyMonitorArgs{
		Name: pulumi.String("ci-agent-" + args.Environment), MonitorType: pulumi.String("CUSTOM"),
		MonitorSpecification: pulumi.String(spec),
	}, child)
	if err != nil {
		return nil, err
	}
	if _, err := costexplorer.NewAnomalySubscription(ctx, name+"-anomaly-alerts", &costexplorer.AnomalySubscriptionArgs{
		Name: pulumi.String("ci-agent-" + args.Environment), Frequency: pulumi.String("DAILY"),
		MonitorArnLists: pulumi.StringArray{monitor.Arn},
		Subscribers: costexplorer.AnomalySubscriptionSubscriberArray{costexplorer.AnomalySubscriptionSubscriberArgs{
			Type: pulumi.String("EMAIL"), Address: pulumi.String(args.Email),
		}},
		ThresholdExpression: costexplorer.AnomalySubscriptionThresholdExpressionArgs{
			Dimension: costexplorer.AnomalySubscriptionThresholdExpressionDimensionArgs{
				Key: pulumi.String("ANOMALY_TOTAL_IMPACT_ABSOLUTE"), MatchOptions: strs("GREATER_THAN_OR_EQUAL"),
				Values: strs(fmt.Sprintf("%g", args.AnomalyThresholdUSD)),
			},
		},
	}, child); err != nil {
		return nil, err
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{}); err != nil {
		return nil, err
	}
	return c, nil
}

// NamespaceLimitsArgs bounds what one namespace may consume.
type NamespaceLimitsArgs struct {
	// Namespace to bound. Required; it must exist.
	Namespace string
	// Quota caps the namespace's totals (requests.cpu, limits.memory, pods ...). Required.
	Quota map[string]string
	// DefaultRequest and DefaultLimit apply to containers that state none, so the quota never
	// rejects a pod for lacking them. Required.
	DefaultRequest, DefaultLimit map[string]string
}

// NewNamespaceLimits creates a ResourceQuota and a LimitRange in the namespace.
func NewNamespaceLimits(ctx *pulumi.Context, name string, args *NamespaceLimitsArgs, opts ...pulumi.ResourceOption) error {
	if args == nil || args.Namespace == "" || len(args.Quota) == 0 {
		return fmt.Errorf("namespace limits %s: Namespace and Quota are required", name)
	}
	meta := metav1.ObjectMetaArgs{Name: pulumi.String("ci-agent-limits"), Namespace: pulumi.String(args.Namespace)}
	if _, err := corev1.NewResourceQuota(ctx, name+"-quota", &corev1.ResourceQuotaArgs{
		Metadata: meta, Spec: corev1.ResourceQuotaSpecArgs{Hard: pulumi.ToStringMap(args.Quota)},
	}, opts...); err != nil {
		return err
	}
	_, err := corev1.NewLimitRange(ctx, name+"-limits", &corev1.LimitRangeArgs{
		Metadata: meta,
		Spec: corev1.LimitRangeSpecArgs{Limits: corev1.LimitRangeItemArray{corev1.LimitRangeItemArgs{
			Type:           pulumi.String("Container"),
			DefaultRequest: pulumi.ToStringMap(args.DefaultRequest),
			Default:        pulumi.ToStringMap(args.DefaultLimit),
		}}},
	}, opts...)
	return err
}

// NewClusterAutoscaler installs the cluster-autoscaler for the cluster's tagged node groups,
// using the IRSA role the Cluster component created.
func NewClusterAutoscaler(ctx *pulumi.Context, name, clusterName, region, kubernetesVersion string, roleArn pulumi.StringInput, opts ...pulumi.ResourceOption) error {
	_, err := release(ctx, name, ChartClusterAutoscaler, "kube-system", pulumi.Map{
		"autoDiscovery": pulumi.Map{"clusterName": pulumi.String(clusterName)},
		"awsRegion":     pulumi.String(region),
		// The autoscaler's minor version must match the control plane's.
		"image": pulumi.Map{"tag": pulumi.String("v" + kubernetesVersion + ".0")},
		"rbac": pulumi.Map{"serviceAccount": pulumi.Map{
			"name": pulumi.String("cluster-autoscaler"), "annotations": irsaAnnotation(roleArn),
		}},
		"extraArgs": pulumi.Map{
			"balance-similar-node-groups": pulumi.Bool(true),
			"skip-nodes-with-system-pods": pulumi.Bool(false),
			"expander":                    pulumi.String("priority,least-waste"),
			"scale-down-unneeded-time":    pulumi.String("10m"),
		},
		// Spot groups first when both fit: non-critical work lands on the cheap capacity.
		"expanderPriorities": pulumi.Map{"50": strs(".*spot.*"), "10": strs(".*")},
	}, opts...)
	return err
}

// NewMetricsServer installs metrics-server, which serves metrics.k8s.io (pod and node CPU and
// memory): EKS does not install it, and without it the app's HPA has no CPU or memory to scale on
// (and kubectl top answers nothing).
func NewMetricsServer(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) error {
	_, err := release(ctx, name, ChartMetricsServer, "kube-system", pulumi.Map{
		// Two replicas and a budget: with one, a node drain leaves every HPA blind.
		"replicas":            pulumi.Int(2),
		"podDisruptionBudget": pulumi.Map{"enabled": pulumi.Bool(true), "minAvailable": pulumi.Int(1)},
	}, opts...)
	return err
}
