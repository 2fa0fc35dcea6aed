package preflight

import (
	"context"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
)

const (
	acct   = "123456789012"
	region = "eu-west-1"
)

// httpErr is an AWS error as the SDK returns it: an API error inside a
// response error carrying the HTTP status.
func httpErr(status int, code, msg string) error {
	return &smithy.OperationError{ServiceID: "X", OperationName: "Op", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: msg},
	}}
}

func input() Input {
	return Input{Account: acct, Partition: "aws", Region: region, CallerARN: "arn:aws:iam::" + acct + ":user/deployer"}
}

func TestNetwork(t *testing.T) {
	ec2 := func() *fakeEC2 {
		return &fakeEC2{
			subnets: map[string]string{"subnet-a": "vpc-1", "subnet-b": "vpc-1", "subnet-c": "vpc-2"},
			groups:  map[string]string{"sg-1": "vpc-1", "sg-2": "vpc-2"},
		}
	}
	tests := map[string]struct {
		ec2            *fakeEC2
		subnets, group []string
		want           Check
	}{
		"one vpc": {ec2(), []string{"subnet-a", "subnet-b"}, []string{"sg-1"},
			Check{Status: OK, Reason: "2 subnets and 1 security group in vpc-1"}},
		"no security group": {ec2(), []string{"subnet-a"}, nil,
			Check{Status: OK, Reason: "1 subnet in vpc-1 (no security group: the VPC's default applies)"}},
		"missing subnets are all named": {ec2(), []string{"subnet-a", "subnet-x", "subnet-y"}, []string{"sg-1"},
			Check{Status: Fail, Reason: "subnets subnet-x, subnet-y do not exist in eu-west-1"}},
		"missing group": {ec2(), []string{"subnet-a"}, []string{"sg-9"},
			Check{Status: Fail, Reason: "security group sg-9 does not exist in eu-west-1"}},
		"fewer results than IDs": {&fakeEC2{short: true, subnets: map[string]string{"subnet-a": "vpc-1"}, groups: map[string]string{"sg-1": "vpc-1"}},
			[]string{"subnet-a", "subnet-x"}, []string{"sg-1"},
			Check{Status: Fail, Reason: "subnet subnet-x does not exist in eu-west-1"}},
		"two vpcs": {ec2(), []string{"subnet-a", "subnet-c"}, []string{"sg-1"},
			Check{Status: Fail, Reason: "subnets and security groups are in more than one VPC: vpc-1 (subnet-a, sg-1), vpc-2 (subnet-c); use one VPC"}},
		"no subnets": {ec2(), nil, []string{"sg-1"},
			Check{Status: Fail, Reason: "no subnets; a Fargate task needs at least one"}},
		"DescribeSubnets error": {&fakeEC2{err: httpErr(500, "InternalError", "boom")},
			[]string{"subnet-a"}, nil,
			Check{Status: Skip, Reason: "ec2:DescribeSubnets failed: InternalError, HTTP 500; launch cannot check the network"}},
		"DescribeSubnets denied": {&fakeEC2{err: httpErr(403, "UnauthorizedOperation", "You are not authorized")},
			[]string{"subnet-a"}, nil,
			Check{Status: Skip, Reason: "the deploying identity may not call ec2:DescribeSubnets (operation error X: Op, http response error StatusCode: 403, api error UnauthorizedOperation: You are not authorized); launch cannot check the network"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := input()
			in.Agents = []Agent{{Name: "agent", Image: "public.ecr.aws/x/y:1", Subnets: tc.subnets, SecurityGroups: tc.group}}
			in.Cluster = Cluster{Name: "c", Exists: true}
			res := Run(context.Background(), Clients{EC2: tc.ec2}, in)
			got := res.Checks[0]
			tc.want.Name = "network of agent agent"
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("check (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNetworkSharedByAgents(t *testing.T) {
	f := &fakeEC2{subnets: map[string]string{"subnet-a": "vpc-1", "subnet-b": "vpc-1"}, groups: map[string]string{"sg-1": "vpc-1"}}
	in := input()
	in.Cluster = Cluster{Name: "c", Exists: true}
	in.Agents = []Agent{
		{Name: "one", Image: "i", Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}},
		{Name: "two", Image: "i", Subnets: []string{"subnet-b", "subnet-a"}, SecurityGroups: []string{"sg-1"}},
		{Name: "three", Image: "i", Subnets: []string{"subnet-a"}, SecurityGroups: []string{"sg-1"}},
	}
	res := Run(context.Background(), Clients{EC2: f}, in)
	var names []string
	for _, c := range res.Checks[:2] {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"network of agents one, two", "network of agent three"}, names); diff != "" {
		t.Fatalf("network checks (-want +got):\n%s", diff)
	}
	if len(f.calls) != 4 {
		t.Fatalf("EC2 calls = %v, want one DescribeSubnets and one DescribeSecurityGroups per distinct network", f.calls)
	}
}

func TestCluster(t *testing.T) {
	tests := map[string]struct {
		in   Cluster
		want Check
	}{
		"exists":      {Cluster{Name: "c", Exists: true}, Check{Name: "cluster c", Status: OK, Reason: "exists"}},
		"will create": {Cluster{Name: "c", WillCreate: true}, Check{Name: "cluster c", Status: OK, Reason: "will be created"}},
		"missing":     {Cluster{Name: "c"}, Check{Name: "cluster c", Status: Fail, Reason: "does not exist; set cluster.create: true or fix cluster.name"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, clusterCheck(tc.in)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	got, ok := secretsCheck([]Secret{
		{ID: "creds", Ref: "matillion/creds", ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:matillion/creds-AbCdEf"},
		{ID: "gone", Ref: "old", Problem: `secret "old" (arn:…) is scheduled for deletion on 2026-01-01`},
		{ID: "same", Ref: "same", ARN: "arn:s"},
	})
	want := Check{Name: "secrets", Status: Fail, Children: []Check{
		{Name: "creds (matillion/creds)", Status: OK, Reason: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:matillion/creds-AbCdEf"},
		{Name: "gone (old)", Status: Fail, Reason: `secret "old" (arn:…) is scheduled for deletion on 2026-01-01`},
		{Name: "same", Status: OK, Reason: "arn:s"},
	}}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Fatalf("ok=%v (-want +got):\n%s", ok, diff)
	}
	if _, ok := secretsCheck(nil); ok {
		t.Fatal("a check for no secrets")
	}
}

func TestSizes(t *testing.T) {
	got, _ := sizesCheck([]Size{
		{What: "trust policy of role task", Chars: 2049, Limit: 2048},
		{What: "inline policies of role exec", Chars: 10240, Limit: 10240},
		{What: "odd", Chars: 5},
	})
	want := Check{Name: "policy sizes", Status: Fail, Children: []Check{
		{Name: "trust policy of role task", Status: Fail, Reason: "2049 characters, over IAM's limit of 2048"},
		{Name: "inline policies of role exec", Status: OK, Reason: "10240 of 10240 characters"},
		{Name: "odd", Status: Skip, Reason: "5 characters; IAM's limit is unknown"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestParseImage(t *testing.T) {
	tests := map[string]struct {
		want    imageRef
		wantErr bool
	}{
		"nginx":              {want: imageRef{"docker.io", "nginx", "latest", ""}},
		"library/nginx:1.27": {want: imageRef{"docker.io", "library/nginx", "1.27", ""}},
		"localhost:5000/a/b": {want: imageRef{"localhost:5000", "a/b", "latest", ""}},
		"localhost/a":        {want: imageRef{"localhost", "a", "latest", ""}},
		"public.ecr.aws/matillion/etl-agent:current": {want: imageRef{"public.ecr.aws", "matillion/etl-agent", "current", ""}},
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/agent@sha256:abc": {
			want: imageRef{"123456789012.dkr.ecr.eu-west-1.amazonaws.com", "team/agent", "", "sha256:abc"}},
		"r.io/a:t@sha256:abc": {want: imageRef{"r.io", "a", "t", "sha256:abc"}},
		"":                    {wantErr: true},
		"a b":                 {wantErr: true},
		"r.io/":               {wantErr: true},
		"a:":                  {wantErr: true},
		"a@nodigest":          {wantErr: true},
	}
	for s, tc := range tests {
		got, err := parseImage(s)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseImage(%q) = %+v, %v; want %+v, err %v", s, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestECRHost(t *testing.T) {
	tests := map[string][2]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com":      {"123456789012", "eu-west-1"},
		"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com": {"123456789012", "us-east-1"},
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn":  {"123456789012", "cn-north-1"},
		"123456789012.dkr-ecr.eu-west-1.on.aws":             {"123456789012", "eu-west-1"},
		"public.ecr.aws":                                    {},
		"12345.dkr.ecr.eu-west-1.amazonaws.com":             {},
		"123456789012.dkr.ecr.eu-west-1.evil.com":           {},
	}
	for host, want := range tests {
		a, r, ok := ecrHost(host)
		if ok != (want[0] != "") || a != want[0] || r != want[1] {
			t.Errorf("ecrHost(%q) = %q %q %v, want %v", host, a, r, ok, want)
		}
	}
}

func TestImages(t *testing.T) {
	own := acct + ".dkr.ecr." + region + ".amazonaws.com/"
	ecr := func() *fakeECR {
		return &fakeECR{repos: []string{"team/agent"}, images: map[string]string{
			"team/agent:v1": "sha256:111", "team/agent:latest": "sha256:222", "team/agent@sha256:333": "sha256:333",
		}}
	}
	where := "ECR repository team/agent (account 123456789012, eu-west-1)"
	tests := map[string]struct {
		ecr  *fakeECR
		want Check
	}{
		own + "team/agent:v1":         {ecr(), Check{Status: OK, Reason: "found in " + where + ", sha256:111"}},
		own + "team/agent":            {ecr(), Check{Status: OK, Reason: "found in " + where + ", sha256:222"}},
		own + "team/agent@sha256:333": {ecr(), Check{Status: OK, Reason: "found in " + where}},
		own + "team/agent:v2":         {ecr(), Check{Status: Fail, Reason: "tag v2 not found in " + where + "; push it or fix the image"}},
		own + "team/agent@sha256:999": {ecr(), Check{Status: Fail, Reason: "digest sha256:999 not found in " + where + "; push it or fix the image"}},
		own + "other:v1":              {ecr(), Check{Status: Fail, Reason: "ECR repository other (account 123456789012, eu-west-1) does not exist; create it and push the image, or fix the image"}},
		acct + ".dkr.ecr.us-east-1.amazonaws.com/team/agent:v1":      {ecr(), Check{Status: Skip, Reason: "in this account's ECR in us-east-1; launch checks only eu-west-1's"}},
		"999999999999.dkr.ecr.eu-west-1.amazonaws.com/team/agent:v1": {ecr(), Check{Status: Skip, Reason: "not in this account's ECR (ECR of account 999999999999); launch cannot check it"}},
		"public.ecr.aws/matillion/etl-agent:current":                 {ecr(), Check{Status: Skip, Reason: "not in this account's ECR (public registry); launch cannot check it"}},
		"nginx:1.27":                 {ecr(), Check{Status: Skip, Reason: "not in this account's ECR (Docker Hub); launch cannot check it"}},
		"ghcr.io/org/agent:1":        {ecr(), Check{Status: Skip, Reason: "not in this account's ECR (registry ghcr.io); launch cannot check it"}},
		own + "team/agent:v1 denied": {},
		own + "team/agent:v1 broken": {},
	}
	tests[own+"team/agent:v1 denied"] = struct {
		ecr  *fakeECR
		want Check
	}{&fakeECR{err: httpErr(400, "AccessDeniedException", "nope")}, Check{Status: Skip,
		Reason: "the deploying identity may not call ecr:DescribeImages (operation error X: Op, http response error StatusCode: 400, api error AccessDeniedException: nope); launch cannot check it"}}
	tests[own+"team/agent:v1 broken"] = struct {
		ecr  *fakeECR
		want Check
	}{&fakeECR{err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, Check{Status: Skip,
		Reason: "ecr:DescribeImages failed: connection refused; launch cannot check it"}}

	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			image, _, _ := strings.Cut(name, " ")
			in := input()
			in.Agents = []Agent{{Name: "a", Image: image}}
			in.Cluster = Cluster{Name: "c", Exists: true}
			res := Run(context.Background(), Clients{ECR: tc.ecr}, in)
			var got Check
			for _, c := range res.Checks {
				if strings.HasPrefix(c.Name, "image ") {
					got = c
				}
			}
			tc.want.Name = "image " + image
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageQuery(t *testing.T) {
	f := &fakeECR{repos: []string{"team/agent"}, images: map[string]string{"team/agent:latest": "sha256:1"}}
	in := input()
	img := acct + ".dkr.ecr." + region + ".amazonaws.com/team/agent"
	in.Agents = []Agent{{Name: "a", Image: img}, {Name: "b", Image: img}}
	Run(context.Background(), Clients{ECR: f}, in)
	if len(f.calls) != 1 {
		t.Fatalf("DescribeImages calls = %d, want 1 for one distinct image", len(f.calls))
	}
	c := f.calls[0]
	if aws.ToString(c.RegistryId) != acct || aws.ToString(c.RepositoryName) != "team/agent" || aws.ToString(c.ImageIds[0].ImageTag) != "latest" {
		t.Fatalf("DescribeImages input = %+v %+v", c, c.ImageIds)
	}
}
