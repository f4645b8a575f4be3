package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Report is what `make plan` prints.
type Report struct {
	Stack     string        `json:"stack"`
	Offline   string        `json:"offline"`
	Resources []ResourceRow `json:"resources"`
	Cost      Cost          `json:"cost"`
	Findings  []Finding     `json:"findings"`
	// Warnings are the program's own (stacks.Config.Warnings): a configuration that is valid
	// but will not do what its owner most likely wants. Pulumi's mocks drop ctx.Log, so the
	// caller passes them.
	Warnings []string `json:"warnings"`
}

// ResourceRow is one resource in the report.
type ResourceRow struct {
	Type   string         `json:"type"`
	Name   string         `json:"name"`
	Phase  string         `json:"phase"`
	Region string         `json:"region"`
	Inputs map[string]any `json:"inputs"`
	// Read: another stack's resource this one only reads (its id), never creates or changes.
	Read bool   `json:"read,omitempty"`
	ID   string `json:"id,omitempty"`
}

// NewReport assembles the report of one mocked run: resources (providers and the phase
// groupings left out), policy findings, the cost estimate and the program's warnings.
func NewReport(stack string, resources []*Resource, warnings ...string) Report {
	rep := Report{
		Stack:    stack,
		Offline:  "offline plan under Pulumi mocks: no AWS call was made; `make preview` runs the real engine",
		Findings: Check(resources),
		Cost:     Estimate(resources),
		Warnings: append([]string{}, warnings...),
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	for _, r := range resources {
		if r.Type == PhaseType || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		inputs := map[string]any{}
		for k, v := range r.Inputs {
			inputs[string(k)] = Plain(v)
		}
		row := ResourceRow{Type: r.Type, Name: r.Name, Phase: r.Phase, Region: r.Region, Inputs: inputs, Read: r.Read}
		if r.Read {
			row.ID = r.ID
		}
		rep.Resources = append(rep.Resources, row)
	}
	sort.SliceStable(rep.Resources, func(i, j int) bool {
		a, b := rep.Resources[i], rep.Resources[j]
		if a.Phase != b.Phase {
			return PhaseLess(a.Phase, b.Phase)
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Name < b.Name
	})
	return rep
}

// WriteJSON prints the report as one JSON object.
func (rep Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// keyInputs are the properties worth a glance per type in the text report.
var keyInputs = map[string][]string{
	"aws:ec2/vpc:Vpc":                                   {"cidrBlock"},
	"aws:ec2/subnet:Subnet":                             {"cidrBlock", "availabilityZone"},
	"aws:ec2/vpcEndpoint:VpcEndpoint":                   {"serviceName", "vpcEndpointType"},
	"eks:index:Cluster":                                 {"version", "authenticationMode", "endpointPublicAccess", "skipDefaultNodeGroup"},
	NodeGroupType:                                       {"instanceTypes", "capacityType", "amiType", "scalingConfig"},
	"aws:rds/instance:Instance":                         {"engine", "engineVersion", "instanceClass", "multiAz", "backupRetentionPeriod", "storageEncrypted", "replicateSourceDb"},
	"aws:ecr/repository:Repository":                     {"imageTagMutability"},
	"aws:backup/plan:Plan":                              {"rules"},
	"aws:route53/record:Record":                         {"name", "type", "setIdentifier"},
	"kubernetes:helm.sh/v3:Release":                     {"chart", "version", "namespace"},
	"aws:budgets/budget:Budget":                         {"limitAmount", "budgetType"},
	"aws:elasticache/replicationGroup:ReplicationGroup": {"nodeType", "numCacheClusters", "automaticFailoverEnabled"},
}

// WriteText prints the report for people: resources per phase, findings, cost.
func (rep Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "OFFLINE PLAN of stack %q (%s)\n", rep.Stack, rep.Offline)
	byPhase := map[string][]ResourceRow{}
	var phases []string
	for _, r := range rep.Resources {
		if _, ok := byPhase[r.Phase]; !ok {
			phases = append(phases, r.Phase)
		}
		byPhase[r.Phase] = append(byPhase[r.Phase], r)
	}
	sort.Slice(phases, func(i, j int) bool { return PhaseLess(phases[i], phases[j]) })
	for _, phase := range phases {
		rows := byPhase[phase]
		fmt.Fprintf(w, "\n== %s (%d resources, est. $%.2f/month)\n", orNone(phase), len(rows), rep.Cost.ByPhase[phase])
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range rows {
			var props []string
			if r.Read {
				props = append(props, "read (another stack's): id="+r.ID)
			}
			for _, k := range keyInputs[r.Type] {
				if v, ok := r.Inputs[k]; ok {
					b, _ := json.Marshal(v)
					s := string(b)
					if len(s) > 80 {
						s = s[:77] + "..."
					}
					props = append(props, k+"="+s)
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Type, r.Name, r.Region, strings.Join(props, " "))
		}
		tw.Flush()
	}

	fmt.Fprintf(w, "\n== policy findings: %d\n", len(rep.Findings))
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "\n== warnings: %d\n", len(rep.Warnings))
	for _, warning := range rep.Warnings {
		fmt.Fprintf(w, "  %s\n", warning)
	}

	c := rep.Cost
	fmt.Fprintf(w, "\n== estimated monthly cost (USD, prices as of %s)\n", c.PricesAsOf)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, phase := range phases {
		fmt.Fprintf(tw, "  %s\t$%.2f\t\n", orNone(phase), c.ByPhase[phase])
	}
	tw.Flush()
	fmt.Fprintln(w, "  by budget category vs the seed's targets:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, cat := range Categories {
		target := "-"
		if t, ok := c.Targets[cat]; ok {
			target = fmt.Sprintf("$%.0f", t)
		}
		fmt.Fprintf(tw, "  %s\t$%.2f\ttarget %s\t\n", cat, c.ByCategory[cat], target)
	}
	fmt.Fprintf(tw, "  total\t$%.2f\ttarget $%.0f\t\n", c.Total, c.Targets["total"])
	tw.Flush()
	if c.Total > c.Targets["total"] {
		fmt.Fprintf(w, "  OVER the seed's target by $%.2f/month; the largest items:\n", c.Total-c.Targets["total"])
		items := append([]LineItem(nil), c.Items...)
		sort.Slice(items, func(i, j int) bool { return items[i].USD > items[j].USD })
		for i := 0; i < len(items) && i < 8; i++ {
			it := items[i]
			fmt.Fprintf(w, "    $%8.2f  %s %s (%s, %s): %s\n", it.USD, it.Type, it.Name, it.Phase, it.Region, it.Basis)
		}
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	return nil
}

// PhaseLess orders phase names by their number (phase2 before phase10).
func PhaseLess(a, b string) bool {
	na, nb := phaseNumber(a), phaseNumber(b)
	if na != nb {
		return na < nb
	}
	return a < b
}

func phaseNumber(name string) int {
	n := 0
	for _, r := range strings.TrimPrefix(name, "phase") {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func orNone(phase string) string {
	if phase == "" {
		return "(no phase)"
	}
	return phase
}
