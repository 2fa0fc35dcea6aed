package secrets

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Kind is what a task definition reads through its execution role.
type Kind string

const (
	// KindSecret is a Secrets Manager secret (secrets[].valueFrom,
	// logConfiguration.secretOptions, repositoryCredentials).
	KindSecret Kind = "secret"
	// KindParameter is an SSM Parameter Store parameter.
	KindParameter Kind = "parameter"
	// KindS3Object is an environment file in S3.
	KindS3Object Kind = "s3 object"
)

// Reference is one thing a task definition makes ECS read with the
// execution role (ECS developer guide, "Task execution IAM role"), once
// however many containers read it.
type Reference struct {
	Kind Kind `json:"kind"`
	// Ref is what DescribeSecret resolves (KindSecret: the ARN with its JSON
	// key and version parts stripped, or a secret name), the parameter's
	// name as SSM knows it (KindParameter), or "<bucket>/<key>" (KindS3Object).
	Ref string `json:"ref"`
	// ARN is what the grant names: the secret's full ARN (once resolved),
	// the parameter's ARN, or the S3 object's ARN.
	ARN string `json:"arn,omitempty"`
	// Region is where the parameter or secret lives (the task's region
	// unless an ARN names another); "" for S3.
	Region string `json:"region,omitempty"`
	// Where lists the places that read it: "container web secrets[DB_PASSWORD]".
	Where []string `json:"where"`
	// KMSKeyARN is the customer-managed key behind a secret, or "".
	KMSKeyARN string `json:"kmsKeyArn,omitempty"`
	// Problem says why the reference cannot be used (preflight FAILs it);
	// Unchecked says why launch could not look (preflight SKIPs it).
	Problem   string `json:"problem,omitempty"`
	Unchecked string `json:"unchecked,omitempty"`
}

// Bucket is the S3 bucket of a KindS3Object reference.
func (r Reference) Bucket() string { b, _, _ := strings.Cut(r.Ref, "/"); return b }

// Location says where launch found the values it checks: partition, region
// and account of the task, for names that are not ARNs.
type Location struct{ Partition, Region, Account string }

// References lists what the task definition's containers read through the
// execution role: secrets[].valueFrom, logConfiguration.secretOptions[].valueFrom,
// repositoryCredentials.credentialsParameter and environmentFiles of type s3.
// A valueFrom that is not an ARN is an SSM parameter in the task's region
// (ECS API reference, "Secret"); a credentialsParameter that is not an ARN
// is a secret's name. Each is listed once, in the order first met; one that
// names nothing ECS can read carries a Problem. valueFrom values in skip are
// left out (the spec's own secrets that did not resolve: preflight already
// reports them).
func References(td *ecs.RegisterTaskDefinitionInput, loc Location, skip map[string]bool) []Reference {
	var out []Reference
	add := func(r Reference, where string) {
		for i := range out {
			if out[i].Kind == r.Kind && out[i].Ref == r.Ref && out[i].Problem == r.Problem {
				if !slices.Contains(out[i].Where, where) {
					out[i].Where = append(out[i].Where, where)
				}
				return
			}
		}
		r.Where = []string{where}
		out = append(out, r)
	}
	for _, c := range td.ContainerDefinitions {
		name := "container " + aws.ToString(c.Name)
		for _, s := range c.Secrets {
			if skip[aws.ToString(s.ValueFrom)] {
				continue
			}
			add(valueFromRef(aws.ToString(s.ValueFrom), loc), fmt.Sprintf("%s secrets[%s]", name, aws.ToString(s.Name)))
		}
		if lc := c.LogConfiguration; lc != nil {
			for _, s := range lc.SecretOptions {
				add(valueFromRef(aws.ToString(s.ValueFrom), loc), fmt.Sprintf("%s logConfiguration.secretOptions[%s]", name, aws.ToString(s.Name)))
			}
		}
		if rc := c.RepositoryCredentials; rc != nil && aws.ToString(rc.CredentialsParameter) != "" {
			add(secretRef(aws.ToString(rc.CredentialsParameter), loc), name+" repositoryCredentials.credentialsParameter")
		}
		for i, f := range c.EnvironmentFiles {
			if f.Type != ecstypes.EnvironmentFileTypeS3 {
				continue
			}
			add(s3Ref(aws.ToString(f.Value)), fmt.Sprintf("%s environmentFiles[%d]", name, i))
		}
	}
	return out
}

// valueFromRef classifies a secrets[].valueFrom: a Secrets Manager ARN
// (optionally followed by ":<json-key>:<version-stage>:<version-id>"), an SSM
// parameter ARN, or an SSM parameter name in the task's region.
func valueFromRef(v string, loc Location) Reference {
	if !strings.HasPrefix(v, "arn:") {
		return parameterRef(v, loc)
	}
	a, err := arn.Parse(v)
	if err != nil {
		return Reference{Kind: KindSecret, Ref: v, Problem: fmt.Sprintf("valueFrom %q is not a valid ARN", v)}
	}
	switch {
	case a.Service == "secretsmanager":
		return secretRef(v, loc)
	case a.Service == "ssm" && strings.HasPrefix(a.Resource, "parameter/"):
		name := strings.TrimPrefix(a.Resource, "parameter")
		if strings.Count(name, "/") == 1 {
			name = name[1:] // a top-level name has no leading slash in SSM
		}
		return Reference{Kind: KindParameter, Ref: name, ARN: v, Region: a.Region}
	}
	return Reference{Kind: KindSecret, Ref: v, Problem: fmt.Sprintf("valueFrom %q is neither a Secrets Manager secret nor an SSM parameter", v)}
}

// parameterRef is an SSM parameter given by name in the task's region.
func parameterRef(name string, loc Location) Reference {
	if name == "" {
		return Reference{Kind: KindParameter, Ref: name, Problem: "valueFrom is empty"}
	}
	return Reference{Kind: KindParameter, Ref: name, Region: loc.Region,
		ARN: fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", loc.Partition, loc.Region, loc.Account, strings.TrimPrefix(name, "/"))}
}

// secretRef is a Secrets Manager secret by ARN (JSON key and version parts
// stripped: a secret's name holds no ':') or by name in the task's region.
func secretRef(v string, loc Location) Reference {
	if !strings.HasPrefix(v, "arn:") {
		return Reference{Kind: KindSecret, Ref: v, Region: loc.Region}
	}
	parts := strings.Split(v, ":")
	if len(parts) < 7 || parts[2] != "secretsmanager" || parts[5] != "secret" || parts[6] == "" {
		return Reference{Kind: KindSecret, Ref: v, Problem: fmt.Sprintf("%q is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)", v)}
	}
	return Reference{Kind: KindSecret, Ref: strings.Join(parts[:7], ":"), Region: parts[3]}
}

// s3Ref is an environment file: arn:<partition>:s3:::<bucket>/<key>.
func s3Ref(v string) Reference {
	a, err := arn.Parse(v)
	bucket, key, _ := strings.Cut(a.Resource, "/")
	if err != nil || a.Service != "s3" || bucket == "" || key == "" {
		return Reference{Kind: KindS3Object, Ref: v, Problem: fmt.Sprintf("environment file %q is not an S3 object ARN (arn:<partition>:s3:::<bucket>/<key>)", v)}
	}
	return Reference{Kind: KindS3Object, Ref: a.Resource, ARN: v}
}

// BucketARN is the bucket of a KindS3Object reference, for s3:GetBucketLocation.
func (r Reference) BucketARN() string {
	a, err := arn.Parse(r.ARN)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("arn:%s:s3:::%s", a.Partition, r.Bucket())
}
