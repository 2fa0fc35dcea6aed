package rollout_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

func renderSpec(t *testing.T, region, agents string) *spec.Spec {
	t.Helper()
	dir := t.TempDir()
	yaml := region + "cluster: {name: apps}\ntaskRole: {name: app-task}\nexecutionRole: {name: app-exec}\n" +
		"secrets: {creds: agent/creds}\nagents:\n" + agents
	path := filepath.Join(dir, "deploy.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := spec.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

const renderAgent = "  - name: agent-a\n    image: example.com/agent:1\n    network: {subnets: [subnet-0a1b2c3d]}\n    secrets: {ID: {secret: creds, key: client_id}}\n"

// render without AWS: roles by name and no instance tag when the account
// is unknown; with it, the role ARNs IAM will give them (in the given
// partition, "aws" by default) and the instance tag deploy writes. The
// region is the one given, else the spec's.
func TestRenderInAKnownAccount(t *testing.T) {
	sp := renderSpec(t, "region: eu-west-1\n", renderAgent)
	type got struct {
		TaskRole, ExecRole, LogRegion, ValueFrom, Instance string
	}
	render := func(id rollout.Identity) got {
		t.Helper()
		out, err := rollout.RenderIn(sp, id)
		if err != nil || len(out) != 1 || out[0].Agent != "agent-a" {
			t.Fatalf("RenderIn(%+v): %v, %+v", id, err, out)
		}
		in := out[0].Input
		g := got{TaskRole: aws.ToString(in.TaskRoleArn), ExecRole: aws.ToString(in.ExecutionRoleArn),
			LogRegion: in.ContainerDefinitions[0].LogConfiguration.Options["awslogs-region"],
			ValueFrom: aws.ToString(in.ContainerDefinitions[0].Secrets[0].ValueFrom)}
		for _, tag := range in.Tags {
			if aws.ToString(tag.Key) == rollout.InstanceTagKey {
				g.Instance = aws.ToString(tag.Value)
			}
		}
		return g
	}
	tests := map[string]struct {
		id   rollout.Identity
		want got
	}{
		"offline":        {rollout.Identity{}, got{"app-task", "app-exec", "eu-west-1", "agent/creds:client_id::", ""}},
		"another region": {rollout.Identity{Region: "us-east-2"}, got{"app-task", "app-exec", "us-east-2", "agent/creds:client_id::", ""}},
		"an account": {rollout.Identity{Account: "123456789012"},
			got{"arn:aws:iam::123456789012:role/app-task", "arn:aws:iam::123456789012:role/app-exec", "eu-west-1", "agent/creds:client_id::", "123456789012/eu-west-1/apps"}},
		"an account in GovCloud": {rollout.Identity{Account: "123456789012", Partition: "aws-us-gov", Region: "us-gov-west-1"},
			got{"arn:aws-us-gov:iam::123456789012:role/app-task", "arn:aws-us-gov:iam::123456789012:role/app-exec", "us-gov-west-1", "agent/creds:client_id::", "123456789012/us-gov-west-1/apps"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, render(tc.id)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if out, err := rollout.Render(sp, ""); err != nil || aws.ToString(out[0].Input.TaskRoleArn) != "app-task" {
		t.Errorf("Render: %v", err)
	}
}
