package cli

import (
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/spf13/cobra"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// loadSpec loads the spec at path and runs the offline checks on what it
// would register (each agent's final task definition against the ECS and
// Fargate rules), so every command refuses, with exit 2 and before
// connecting to AWS, what AWS would refuse halfway through a deploy.
func loadSpec(path string) (*spec.Spec, error) {
	sp, err := spec.Load(path, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if err := rollout.CheckOffline(sp); err != nil {
		return nil, err
	}
	return sp, nil
}

func (a *app) validateCmd() *cobra.Command {
	return fileCommand("validate FILE", "Check FILE offline; no AWS call",
		"Checks FILE offline (no AWS call) and prints every problem with file:line.",
		func(_ *cobra.Command, path string) error {
			sp, err := loadSpec(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s is valid: %d agent(s) in cluster %s\n", sp.Path, len(sp.Agents), sp.Cluster.Name)
			return nil
		})
}

func (a *app) schemaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of deploy.yaml (for editors)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := spec.Schema()
			if err == nil {
				_, err = a.stdout.Write(b)
			}
			return err
		},
	}
	jsonOnly(cmd)
	return cmd
}

func (a *app) renderCmd() *cobra.Command {
	var agent, region, account, partition string
	cmd := fileCommand("render FILE", "Print each agent's RegisterTaskDefinition input (offline)",
		`Prints, per agent, the RegisterTaskDefinition input as JSON, offline, exactly as deploy sends it:
roles by name (by ARN with --account), secrets as written.`,
		func(_ *cobra.Command, path string) error {
			sp, err := loadSpec(path)
			if err != nil {
				return err
			}
			if region == "" {
				region = os.Getenv("AWS_REGION")
			}
			rendered, err := rollout.RenderIn(sp, rollout.Identity{Region: region, Account: account, Partition: partition})
			if err != nil {
				return usageError{err.Error()}
			}
			// One rendering path: taskdef's canonical JSON, the same bytes plan's
			// "desired" diff shows and the document RegisterTaskDefinition gets
			// (no HTML escaping).
			defs := map[string]*ecs.RegisterTaskDefinitionInput{}
			for _, rd := range rendered {
				if agent == "" || rd.Agent == agent {
					defs[rd.Agent] = rd.Input
				}
			}
			var b []byte
			switch {
			case len(defs) == 0:
				return usageError{fmt.Sprintf("no agent named %q in %s", agent, sp.Path)}
			case agent != "":
				b = taskdef.Canonical(defs[agent])
			default:
				b = taskdef.CanonicalByName(defs)
			}
			_, err = a.stdout.Write(b)
			return err
		})
	f := cmd.Flags()
	f.StringVar(&agent, "agent", "", "render only this agent")
	f.StringVar(&region, "region", "", "region for the awslogs configuration (default: the spec's region)")
	f.StringVar(&account, "account", "", "AWS account ID: name the roles by the ARNs deploy gives them")
	f.StringVar(&partition, "partition", "aws", "AWS partition of --account's role ARNs (aws, aws-cn, aws-us-gov)")
	jsonOnly(cmd)
	return cmd
}
