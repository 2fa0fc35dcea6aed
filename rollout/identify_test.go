package rollout

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
)

type stsAnswer sts.GetCallerIdentityOutput

func (a stsAnswer) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	out := sts.GetCallerIdentityOutput(a)
	return &out, nil
}

// The partition comes from the caller's ARN (a China or GovCloud account
// writes arn:aws-cn: and arn:aws-us-gov: ARNs); an ARN that does not parse
// stops the run rather than guess one.
func TestIdentifyTakesThePartitionFromTheCallerARN(t *testing.T) {
	got, err := Identify(context.Background(), Clients{Region: "cn-north-1",
		STS: stsAnswer{Account: aws.String("123456789012"), Arn: aws.String("arn:aws-cn:sts::123456789012:assumed-role/deployer/ci")}})
	want := Identity{Account: "123456789012", CallerARN: "arn:aws-cn:sts::123456789012:assumed-role/deployer/ci", Region: "cn-north-1", Partition: "aws-cn"}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("Identify = %+v, %v; want %+v", got, err, want)
	}
	_, err = Identify(context.Background(), Clients{Region: "us-east-1", STS: stsAnswer{Account: aws.String("1"), Arn: aws.String("deployer")}})
	if err == nil || err.Error() != `identify the caller: sts:GetCallerIdentity answered with the ARN "deployer", which does not parse: arn: invalid prefix` {
		t.Errorf("Identify with an ARN that does not parse: %v", err)
	}
}
