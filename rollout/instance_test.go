package rollout

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/launchdeploy/launch/spec"
)

// whoami is an STS that answers with a fixed account; every other client
// of the tests below is nil, so any call past identification panics.
type whoami struct{ account string }

func (w whoami) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	out := &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:iam::" + w.account + ":user/ci")}
	if w.account != "" {
		out.Account = aws.String(w.account)
	}
	return out, nil
}

func TestAnUnknownInstanceStopsBeforeAnyOtherCall(t *testing.T) {
	sp := &spec.Spec{Path: "deploy.yaml"}
	sp.Cluster.Name = "prod"
	tests := map[string]struct {
		account, region, says string
	}{
		"no region":  {account: "123456789012", says: "no AWS region"},
		"no account": {region: "eu-west-1", says: "no AWS account"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.region == "" { // plan reads the account with everything else
				_, err := MakePlan(context.Background(), Clients{STS: whoami{tc.account}, Region: tc.region}, sp)
				if err == nil || !strings.Contains(err.Error(), "cannot tell which deployment instance") || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("plan: err = %v, want it to say %q", err, tc.says)
				}
			}
			items, err := Destroy(context.Background(), DestroyClients{STS: whoami{tc.account}, Region: tc.region}, sp, true, nopReporter{})
			if err == nil || !strings.Contains(err.Error(), tc.says) || len(items) != 0 {
				t.Errorf("destroy: items %v, err = %v, want it to say %q", items, err, tc.says)
			}
		})
	}
}

func TestInstanceTagsOnRegionalResources(t *testing.T) {
	sp := &spec.Spec{Tags: map[string]string{"team": "data"}}
	sp.Cluster.Name = "prod"
	inst := InstanceOf(Identity{Account: "123456789012", Region: "eu-west-1"}, sp)
	got := instanceTags(sp, inst)
	want := map[string]string{"team": "data", "launch:managed-by": "launch", "launch:instance": "123456789012/eu-west-1/prod"}
	if len(got) != len(want) {
		t.Fatalf("tags = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("tag %s = %q, want %q", k, got[k], v)
		}
	}
	if rec := roleRecord(inst); rec["launch:instance:eu-west-1/prod"] != "123456789012" || len(rec) != 1 {
		t.Errorf("role record = %v", rec)
	}
}

type nopReporter struct{}

func (nopReporter) Printf(string, ...any) {}
func (nopReporter) Warnf(string, ...any)  {}
func (nopReporter) Status(string)         {}
func (nopReporter) Done()                 {}
