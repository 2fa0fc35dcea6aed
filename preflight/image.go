package preflight

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// imageRef is a parsed container image reference.
type imageRef struct {
	Registry   string // "docker.io" when the reference names none
	Repository string // "library/nginx", "team/agent"
	Tag        string // "latest" when neither tag nor digest is given
	Digest     string // "sha256:…", or ""
}

// parseImage splits a reference [registry/]repository[:tag][@digest]. The
// first path component is a registry when it has a "." or ":" or is
// "localhost", as Docker decides.
func parseImage(s string) (imageRef, error) {
	if s == "" {
		return imageRef{}, errors.New("no image")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return imageRef{}, fmt.Errorf("image reference %q contains white space", s)
	}
	var ref imageRef
	rest := s
	if i := strings.Index(rest, "@"); i >= 0 {
		ref.Digest, rest = rest[i+1:], rest[:i]
		if !strings.Contains(ref.Digest, ":") {
			return imageRef{}, fmt.Errorf("image reference %q: digest %q is not algorithm:hex", s, ref.Digest)
		}
	}
	ref.Registry = "docker.io"
	if i := strings.Index(rest, "/"); i >= 0 {
		if first := rest[:i]; strings.ContainsAny(first, ".:") || first == "localhost" {
			ref.Registry, rest = first, rest[i+1:]
		}
	}
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		ref.Tag, rest = rest[i+1:], rest[:i]
		if ref.Tag == "" {
			return imageRef{}, fmt.Errorf("image reference %q has an empty tag", s)
		}
	}
	if rest == "" || strings.HasPrefix(rest, "/") || strings.HasSuffix(rest, "/") || strings.Contains(rest, "//") {
		return imageRef{}, fmt.Errorf("image reference %q has no valid repository", s)
	}
	ref.Repository = rest
	if ref.Tag == "" && ref.Digest == "" {
		ref.Tag = "latest"
	}
	return ref, nil
}

// ecrRegistry matches a private ECR registry host: its account and region.
var ecrRegistry = regexp.MustCompile(`^([0-9]{12})\.dkr(?:\.ecr|-ecr)(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws)$`)

// ecrHost returns the account and region of a private ECR registry host.
func ecrHost(registry string) (account, region string, ok bool) {
	m := ecrRegistry.FindStringSubmatch(registry)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// imageUse is one distinct image reference and the agents that run it.
type imageUse struct {
	ref    string
	agents []string
}

// distinctImages lists each image reference once, in agent order.
func distinctImages(agents []Agent) []imageUse {
	var out []imageUse
	index := map[string]int{}
	for _, a := range agents {
		if i, ok := index[a.Image]; ok && a.Image != "" {
			out[i].agents = append(out[i].agents, a.Name)
			continue
		}
		index[a.Image] = len(out)
		out = append(out, imageUse{ref: a.Image, agents: []string{a.Name}})
	}
	return out
}

// image checks that an image in the caller's account's ECR, in the deploy's
// region, exists; any other registry is skipped with the reason.
func (r *run) image(ctx context.Context, u imageUse) Check {
	name := "image " + u.ref
	if u.ref == "" {
		name = "image of agent " + strings.Join(u.agents, ", ")
	}
	ref, err := parseImage(u.ref)
	if err != nil {
		return Check{Name: name, Status: Fail, Reason: err.Error()}
	}
	account, region, isECR := ecrHost(ref.Registry)
	cannot := func(why string) Check {
		return Check{Name: name, Status: Skip, Reason: "not in this account's ECR (" + why + "); launch cannot check it"}
	}
	switch {
	case ref.Registry == "public.ecr.aws":
		return cannot("public registry")
	case ref.Registry == "docker.io" || ref.Registry == "registry-1.docker.io" || ref.Registry == "index.docker.io":
		return cannot("Docker Hub")
	case !isECR:
		return cannot("registry " + ref.Registry)
	case account != r.in.Account:
		return cannot("ECR of account " + account)
	case region != r.in.Region:
		return Check{Name: name, Status: Skip, Reason: fmt.Sprintf("in this account's ECR in %s; launch checks only %s's", region, r.in.Region)}
	case r.c.ECR == nil:
		return Check{Name: name, Status: Skip, Reason: "no ECR client; launch cannot check it"}
	}

	id := ecrtypes.ImageIdentifier{ImageTag: aws.String(ref.Tag)}
	what := "tag " + ref.Tag
	if ref.Digest != "" {
		id = ecrtypes.ImageIdentifier{ImageDigest: aws.String(ref.Digest)}
		what = "digest " + ref.Digest
	}
	where := fmt.Sprintf("ECR repository %s (account %s, %s)", ref.Repository, account, region)
	out, err := r.c.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RegistryId:     aws.String(account),
		RepositoryName: aws.String(ref.Repository),
		ImageIds:       []ecrtypes.ImageIdentifier{id},
	})
	var noImage *ecrtypes.ImageNotFoundException
	var noRepo *ecrtypes.RepositoryNotFoundException
	switch {
	case err == nil:
	case isInterrupted(ctx, err):
		return r.interruptedCheck(name)
	case errors.As(err, &noImage):
		return Check{Name: name, Status: Fail, Reason: fmt.Sprintf("%s not found in %s; push it or fix the image", what, where)}
	case errors.As(err, &noRepo):
		return Check{Name: name, Status: Fail, Reason: fmt.Sprintf("%s does not exist; create it and push the image, or fix the image", where)}
	case isDenied(err):
		return Check{Name: name, Status: Skip, Reason: fmt.Sprintf("the deploying identity may not call ecr:DescribeImages (%s); launch cannot check it", errText(err))}
	default: // advisory: a throttled or failed lookup proves nothing about the image
		return Check{Name: name, Status: Skip, Reason: advisoryError("ecr:DescribeImages", err) + "; launch cannot check it"}
	}
	if len(out.ImageDetails) == 0 {
		return Check{Name: name, Status: Fail, Reason: fmt.Sprintf("%s not found in %s; push it or fix the image", what, where)}
	}
	reason := "found in " + where
	if d := aws.ToString(out.ImageDetails[0].ImageDigest); d != "" && ref.Digest == "" {
		reason += ", " + d
	}
	return Check{Name: name, Status: OK, Reason: reason}
}
