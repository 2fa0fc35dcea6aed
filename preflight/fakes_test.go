package preflight

import (
	"context"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// fakeEC2 knows subnets and security groups by ID → VPC ID. Like EC2, an
// unknown ID fails the whole call with *.NotFound, unless short is set, in
// which case it is just left out of the answer.
type fakeEC2 struct {
	subnets, groups map[string]string
	err             error // returned by every call when set
	short           bool

	mu    sync.Mutex
	calls []string
}

func (f *fakeEC2) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	f.record("DescribeSubnets")
	if f.err != nil {
		return nil, f.err
	}
	out := &ec2.DescribeSubnetsOutput{}
	for _, id := range in.SubnetIds {
		vpc, ok := f.subnets[id]
		if !ok && !f.short {
			return nil, &smithy.GenericAPIError{Code: "InvalidSubnetID.NotFound", Message: "The subnet ID '" + id + "' does not exist"}
		}
		if ok {
			out.Subnets = append(out.Subnets, ec2types.Subnet{SubnetId: aws.String(id), VpcId: aws.String(vpc)})
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	f.record("DescribeSecurityGroups")
	if f.err != nil {
		return nil, f.err
	}
	out := &ec2.DescribeSecurityGroupsOutput{}
	for _, id := range in.GroupIds {
		vpc, ok := f.groups[id]
		if !ok && !f.short {
			return nil, &smithy.GenericAPIError{Code: "InvalidGroup.NotFound", Message: "The security group '" + id + "' does not exist"}
		}
		if ok {
			out.SecurityGroups = append(out.SecurityGroups, ec2types.SecurityGroup{GroupId: aws.String(id), VpcId: aws.String(vpc)})
		}
	}
	return out, nil
}

// fakeECR holds images as "repository:tag" or "repository@digest" → digest.
type fakeECR struct {
	repos  []string
	images map[string]string
	err    error

	mu    sync.Mutex
	calls []*ecr.DescribeImagesInput
}

func (f *fakeECR) DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, _ ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	repo := aws.ToString(in.RepositoryName)
	if !slices.Contains(f.repos, repo) {
		return nil, &ecrtypes.RepositoryNotFoundException{Message: aws.String("no repository " + repo)}
	}
	id := in.ImageIds[0]
	key := repo + ":" + aws.ToString(id.ImageTag)
	if id.ImageDigest != nil {
		key = repo + "@" + aws.ToString(id.ImageDigest)
	}
	d, ok := f.images[key]
	if !ok {
		return nil, &ecrtypes.ImageNotFoundException{Message: aws.String("no image " + key)}
	}
	return &ecr.DescribeImagesOutput{ImageDetails: []ecrtypes.ImageDetail{{ImageDigest: aws.String(d), RepositoryName: aws.String(repo)}}}, nil
}

// fakeIAM answers SimulatePrincipalPolicy with fn and records the inputs;
// GetPolicy finds the ARNs in policies, or answers policyErr when set.
type fakeIAM struct {
	fn        func(*iam.SimulatePrincipalPolicyInput) (*iam.SimulatePrincipalPolicyOutput, error)
	policies  []string
	policyErr error

	mu    sync.Mutex
	calls []*iam.SimulatePrincipalPolicyInput
}

func (f *fakeIAM) SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return f.fn(in)
}

func (f *fakeIAM) GetPolicy(ctx context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.policyErr != nil {
		return nil, f.policyErr
	}
	if !slices.Contains(f.policies, aws.ToString(in.PolicyArn)) {
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("Policy " + aws.ToString(in.PolicyArn) + " was not found.")}
	}
	return &iam.GetPolicyOutput{Policy: &iamtypes.Policy{Arn: in.PolicyArn}}, nil
}
