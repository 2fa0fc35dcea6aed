package preflight

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Kinds of Reference.
const (
	RefSecret    = "secret"
	RefParameter = "parameter"
	RefS3Object  = "s3 object"
)

// Reference is one thing the task definitions make ECS read with the
// execution role, as the orchestrator collected it. Secrets come resolved
// (DescribeSecret): Problem says why one cannot be used, Unchecked why it
// could not be looked at. Parameters and S3 objects are checked here.
type Reference struct {
	Kind   string   // RefSecret, RefParameter or RefS3Object
	Ref    string   // secret ARN or name, parameter name, or "<bucket>/<key>"
	ARN    string   // what the grant names
	Region string   // the parameter's region ("" for S3)
	Where  []string // the places that read it
	// Problem and Unchecked, when set, decide the check without a call.
	Problem, Unchecked string
}

// SSMAPI is the part of SSM preflight reads: DescribeParameters lists a
// parameter's metadata and never its value.
type SSMAPI interface {
	DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
}

// S3API is the part of S3 preflight reads: HeadObject returns an object's
// metadata, not its content.
type S3API interface {
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// referencesCheck has one child per reference; ok is false when there is none.
func (r *run) referencesCheck(ctx context.Context) (Check, bool) {
	refs := r.in.References
	if len(refs) == 0 {
		return Check{}, false
	}
	children := make([]Check, len(refs))
	done := make(chan struct{}, len(refs))
	sem := make(chan struct{}, concurrency)
	for i, ref := range refs {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem; done <- struct{}{} }()
			children[i] = r.reference(ctx, ref)
		}()
	}
	for range refs {
		<-done
	}
	return group("what the task definitions read (execution role)", children), true
}

func (r *run) reference(ctx context.Context, ref Reference) Check {
	name := ref.Kind + " " + ref.Ref
	if len(ref.Where) > 0 {
		name += " (" + strings.Join(ref.Where, ", ") + ")"
	}
	switch {
	case ref.Problem != "":
		return Check{Name: name, Status: Fail, Reason: oneLine(ref.Problem)}
	case ref.Unchecked != "":
		return Check{Name: name, Status: Skip, Reason: oneLine(ref.Unchecked)}
	}
	switch ref.Kind {
	case RefSecret:
		return Check{Name: name, Status: OK, Reason: ref.ARN}
	case RefParameter:
		return r.parameter(ctx, name, ref)
	case RefS3Object:
		return r.s3Object(ctx, name, ref)
	}
	return Check{Name: name, Status: Skip, Reason: "unknown kind " + ref.Kind}
}

func (r *run) parameter(ctx context.Context, name string, ref Reference) Check {
	switch {
	case r.c.SSM == nil:
		return Check{Name: name, Status: Skip, Reason: "no SSM client"}
	case ref.Region != "" && ref.Region != r.in.Region:
		return Check{Name: name, Status: Skip, Reason: fmt.Sprintf("in %s; launch checks parameters in %s only", ref.Region, r.in.Region)}
	}
	out, err := r.c.SSM.DescribeParameters(ctx, &ssm.DescribeParametersInput{
		ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{ref.Ref}}},
	})
	switch {
	case err != nil && isInterrupted(ctx, err):
		return r.interruptedCheck(name)
	case err != nil && isDenied(err):
		return Check{Name: name, Status: Skip, Reason: "cannot look: ssm:DescribeParameters denied"}
	case err != nil:
		return Check{Name: name, Status: Skip, Reason: "cannot look: " + errText(err)}
	}
	for _, p := range out.Parameters {
		if aws.ToString(p.Name) == ref.Ref {
			return Check{Name: name, Status: OK, Reason: ref.ARN}
		}
	}
	return Check{Name: name, Status: Fail, Reason: fmt.Sprintf("SSM parameter %s does not exist in %s; create it (aws ssm put-parameter), or fix the reference", ref.Ref, r.in.Region)}
}

func (r *run) s3Object(ctx context.Context, name string, ref Reference) Check {
	if r.c.S3 == nil {
		return Check{Name: name, Status: Skip, Reason: "no S3 client"}
	}
	bucket, key, _ := strings.Cut(ref.Ref, "/")
	_, err := r.c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nf *s3types.NotFound
	var nk *s3types.NoSuchKey
	var nb *s3types.NoSuchBucket
	switch {
	case err == nil:
		return Check{Name: name, Status: OK, Reason: ref.ARN}
	case isInterrupted(ctx, err):
		return r.interruptedCheck(name)
	case errors.As(err, &nf) || errors.As(err, &nk) || errors.As(err, &nb) || httpStatus(err) == 404:
		return Check{Name: name, Status: Fail, Reason: fmt.Sprintf("S3 object %s does not exist; upload it, or fix environmentFiles", ref.ARN)}
	case isDenied(err):
		return Check{Name: name, Status: Skip, Reason: "cannot look: s3:GetObject (HeadObject) denied"}
	}
	return Check{Name: name, Status: Skip, Reason: "cannot look: " + errText(err)}
}
