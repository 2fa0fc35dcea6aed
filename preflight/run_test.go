package preflight

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// fullInput exercises every kind of check.
func fullInput() Input {
	in := input()
	in.CallerARN = "arn:aws:sts::123456789012:assumed-role/deployer/ci"
	in.Agents = []Agent{
		{Name: "streaming-agent", Image: "public.ecr.aws/matillion/etl-agent:current", Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}},
		{Name: "orders-agent", Image: acct + ".dkr.ecr." + region + ".amazonaws.com/team/agent:v2", Subnets: []string{"subnet-a", "subnet-x"}, SecurityGroups: []string{"sg-1"}},
	}
	in.Cluster = Cluster{Name: "matillion-streaming", WillCreate: true}
	in.Secrets = []Secret{
		{ID: "agent-credentials", Ref: "matillion/x", Problem: `secret "matillion/x" not found (tried DescribeSecret with SecretId "matillion/x"); create it, or fix the name or ARN under secrets:`},
		{ID: "db", Ref: "db", ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"},
	}
	in.RoleARNs = []string{"arn:aws:iam::123456789012:role/task"}
	in.Actions = []ActionCheck{{Action: "ecs:CreateCluster"}}
	in.Sizes = []Size{{What: "trust policy of role task", Chars: 312, Limit: 2048}}
	in.ManagedPolicies = []ManagedPolicy{{Role: "exec", ARN: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}, {Role: "task", ARN: "arn:aws:iam::123456789012:policy/team/typo"}}
	return in
}

func fullClients() Clients {
	return Clients{
		EC2: &fakeEC2{subnets: map[string]string{"subnet-a": "vpc-123", "subnet-b": "vpc-123"}, groups: map[string]string{"sg-1": "vpc-123"}},
		ECR: &fakeECR{repos: []string{"team/agent"}, images: map[string]string{"team/agent:v1": "sha256:1"}},
		IAM: &fakeIAM{policies: []string{"arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}, fn: allow(func(a, r string) iamtypes.PolicyEvaluationDecisionType {
			if a == "iam:PassRole" {
				return iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
			}
			return iamtypes.PolicyEvaluationDecisionTypeAllowed
		})},
	}
}

func TestTreeGolden(t *testing.T) {
	res := Run(context.Background(), fullClients(), fullInput())
	if !res.Failed() || res.Err != nil {
		t.Fatalf("Failed() = %v, Err = %v; want a failure and no error", res.Failed(), res.Err)
	}
	golden := filepath.Join("testdata", "tree.golden")
	got := res.Tree()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./preflight -run TestTreeGolden -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Fatalf("tree (-want +got):\n%s", diff)
	}
}

func TestJSON(t *testing.T) {
	res := Result{Checks: []Check{{Name: "secrets", Status: Fail, Children: []Check{{Name: "a", Status: OK, Reason: "arn"}}}}, Err: errors.New("x")}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"checks":[{"name":"secrets","status":"FAIL","children":[{"name":"a","status":"OK","reason":"arn"}]}]}`
	if string(b) != want {
		t.Fatalf("JSON = %s\nwant   %s", b, want)
	}
}

func TestFailedAtAnyDepth(t *testing.T) {
	deep := Result{Checks: []Check{{Name: "p", Status: OK, Children: []Check{{Name: "c", Status: Fail}}}}}
	if !deep.Failed() {
		t.Fatal("a nested FAIL is not seen")
	}
	if (Result{Checks: []Check{{Status: OK}, {Status: Skip}}}).Failed() {
		t.Fatal("OK and SKIP count as failed")
	}
}

// slowEC2 answers after a random delay, so concurrent checks finish in any order.
type slowEC2 struct{ *fakeEC2 }

func (s slowEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, o ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	select {
	case <-time.After(time.Duration(rand.IntN(3000)) * time.Microsecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.fakeEC2.DescribeSubnets(ctx, in, o...)
}

func TestOrderIsDeterministic(t *testing.T) {
	in := input()
	in.Cluster = Cluster{Name: "c", Exists: true}
	f := &fakeEC2{subnets: map[string]string{}, groups: map[string]string{}}
	for i := range 20 {
		id := string(rune('a' + i))
		f.subnets["subnet-"+id] = "vpc-1"
		in.Agents = append(in.Agents, Agent{Name: "agent-" + id, Image: "nginx:" + id, Subnets: []string{"subnet-" + id}})
	}
	first := Run(context.Background(), Clients{EC2: slowEC2{f}}, in).Tree()
	for range 5 {
		if got := Run(context.Background(), Clients{EC2: slowEC2{f}}, in).Tree(); got != first {
			t.Fatalf("order changed between runs:\n%s\nvs\n%s", first, got)
		}
	}
}

func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := fullClients()
	c.EC2 = slowEC2{c.EC2.(*fakeEC2)}
	c.IAM = &fakeIAM{fn: func(*iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error) {
		t.Error("called after cancel")
		return nil, nil
	}}
	res := Run(ctx, c, fullInput())
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("Err = %v, want context.Canceled", res.Err)
	}
	if got := res.Checks[0]; got.Status != Fail || got.Reason != "interrupted" {
		t.Fatalf("network check = %+v, want FAIL interrupted", got)
	}
	if !res.Failed() {
		t.Fatal("an interrupted run does not count as failed")
	}
}
