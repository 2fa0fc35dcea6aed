// Package secrets resolves the spec's secret references (names, partial ARNs,
// full ARNs) to the full ARNs ECS and IAM need, and writes the one policy
// that lets the execution role read exactly those secrets. It never reads a
// secret's value.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"golang.org/x/sync/errgroup"
)

// API is the part of Secrets Manager this package calls.
type API interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// KeyAPI resolves a KMS key alias to its key ARN; only needed for secrets
// encrypted under a customer-managed key named by alias.
type KeyAPI interface {
	DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

// PolicyName is the single inline policy launch versions before per-instance
// grants put on the execution role; see InstancePolicyName and Uncovered.
const PolicyName = "launch-secrets-access"

// Secret is a resolved reference.
type Secret struct {
	Ref  string `json:"ref"`  // as written in the spec
	ARN  string `json:"arn"`  // full ARN, with the 6-character suffix
	Name string `json:"name"` // the secret's name
	// KMSKeyARN is the customer-managed key that encrypts the secret, or
	// empty for the AWS-managed key.
	KMSKeyARN string `json:"kmsKeyArn,omitempty"`
}

// ResolveError lists every reference that could not be resolved.
type ResolveError struct {
	// ByRef maps each failed reference to what is wrong with it.
	ByRef map[string]string
}

// Problems are the reasons, sorted.
func (e *ResolveError) Problems() []string {
	out := make([]string, 0, len(e.ByRef))
	for _, p := range e.ByRef {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (e *ResolveError) Error() string {
	ps := e.Problems()
	if len(ps) == 1 {
		return ps[0]
	}
	return fmt.Sprintf("%d secrets cannot be used:\n  %s", len(ps), strings.Join(ps, "\n  "))
}

// Resolve describes every reference concurrently and returns them by
// reference. A missing secret, one scheduled for deletion, or a reference
// that matched a different secret than it names is a *ResolveError naming
// all of them; the references that did resolve are returned with it.
func Resolve(ctx context.Context, api API, keys KeyAPI, refs []string) (map[string]Secret, error) {
	var (
		mu       sync.Mutex
		out      = make(map[string]Secret, len(refs))
		problems = map[string]string{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, ref := range refs {
		g.Go(func() error {
			s, problem, err := resolveOne(gctx, api, keys, ref)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if problem != "" {
				problems[ref] = problem
			} else {
				out[ref] = s
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return out, &ResolveError{ByRef: problems}
	}
	return out, nil
}

// resolveOne returns a problem (a user-facing reason) for references that
// cannot be used, and an error only for faults in AWS.
func resolveOne(ctx context.Context, api API, keys KeyAPI, ref string) (Secret, string, error) {
	out, err := api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ref)})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return Secret{}, fmt.Sprintf("secret %q not found (tried DescribeSecret with SecretId %q); create it, or fix the name or ARN under secrets:", ref, ref), nil
	}
	if err != nil {
		return Secret{}, "", fmt.Errorf("describe secret %q: %w", ref, err)
	}
	s := Secret{Ref: ref, ARN: aws.ToString(out.ARN), Name: aws.ToString(out.Name)}
	if out.DeletedDate != nil {
		return Secret{}, fmt.Sprintf("secret %q (%s) is scheduled for deletion on %s; restore it with `aws secretsmanager restore-secret --secret-id %s` or use another secret",
			ref, s.ARN, out.DeletedDate.UTC().Format("2006-01-02"), s.ARN), nil
	}
	if !matches(ref, s) {
		return Secret{}, fmt.Sprintf("secret reference %q is ambiguous: it resolved to %s (named %q); write the secret's exact name or full ARN", ref, s.ARN, s.Name), nil
	}
	if id := aws.ToString(out.KmsKeyId); id != "" {
		keyARN, err := keyARN(ctx, keys, s.ARN, id)
		if err != nil {
			return Secret{}, "", fmt.Errorf("secret %q: %w", ref, err)
		}
		s.KMSKeyARN = keyARN
	}
	return s, "", nil
}

// matches checks that DescribeSecret found the secret the reference names:
// Secrets Manager also matches a name to a partial ARN, so "db-AbCdEf" can
// find the secret "db" whose ARN ends in -AbCdEf.
func matches(ref string, s Secret) bool {
	if !strings.HasPrefix(ref, "arn:") {
		return ref == s.Name
	}
	if ref == s.ARN {
		return true
	}
	// A partial ARN: the full ARN is the reference plus "-" and six characters.
	return strings.HasPrefix(s.ARN, ref+"-") && len(s.ARN) == len(ref)+7
}

// awsManagedKeyAlias is the key Secrets Manager uses when a secret names none.
const awsManagedKeyAlias = "alias/aws/secretsmanager"

// keyARN turns DescribeSecret's KmsKeyId (a key ARN, key ID, alias name or
// alias ARN) into the key ARN a policy needs, or "" for the AWS-managed key.
func keyARN(ctx context.Context, keys KeyAPI, secretARN, id string) (string, error) {
	if id == awsManagedKeyAlias || strings.HasSuffix(id, ":"+awsManagedKeyAlias) {
		return "", nil
	}
	if a, err := arn.Parse(id); err == nil && strings.HasPrefix(a.Resource, "key/") {
		return id, nil
	}
	if !strings.HasPrefix(id, "alias/") && !strings.Contains(id, ":alias/") {
		sa, err := arn.Parse(secretARN)
		if err != nil {
			return "", fmt.Errorf("secret ARN %q does not parse: %w", secretARN, err)
		}
		return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", sa.Partition, sa.Region, sa.AccountID, id), nil
	}
	if keys == nil {
		return "", fmt.Errorf("KMS key %s is an alias and no KMS client was given to resolve it", id)
	}
	out, err := keys.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("resolve KMS key alias %s: %w", id, err)
	}
	if out.KeyMetadata.KeyManager == "AWS" {
		return "", nil
	}
	return aws.ToString(out.KeyMetadata.Arn), nil
}

// ValueFrom is what a task definition's secrets entry points at: the full
// ARN, and for a JSON key the ARN followed by ":<key>::" (json-key, then
// empty version-stage and version-id).
func ValueFrom(secretARN, jsonKey string) string {
	if jsonKey == "" {
		return secretARN
	}
	return secretARN + ":" + jsonKey + "::"
}

// ResolveReferences resolves the KindSecret references of refs with
// DescribeSecret, concurrently, and returns refs with each secret's full ARN
// and customer-managed key filled in. known are secrets already resolved
// (the spec's): a reference to one of them costs no call. A missing,
// deleted or ambiguous secret gets a Problem. When AWS does not answer
// (access denied, throttled), a full ARN is granted as written and marked
// Unchecked; a name or partial ARN cannot be granted exactly and gets a
// Problem. Only the context ending is an error.
func ResolveReferences(ctx context.Context, api API, keys KeyAPI, refs []Reference, known []Secret) ([]Reference, error) {
	out := slices.Clone(refs)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range out {
		r := &out[i]
		if r.Kind != KindSecret || r.Problem != "" {
			continue
		}
		if k := slices.IndexFunc(known, func(s Secret) bool { return s.ARN != "" && (s.ARN == r.Ref || s.Ref == r.Ref) }); k >= 0 {
			r.ARN, r.KMSKeyARN = known[k].ARN, known[k].KMSKeyARN
			continue
		}
		g.Go(func() error {
			s, problem, err := resolveOne(gctx, api, keys, r.Ref)
			switch {
			case gctx.Err() != nil:
				return gctx.Err()
			case err != nil && looksFullARN(r.Ref):
				r.ARN, r.Unchecked = r.Ref, "DescribeSecret failed ("+err.Error()+"); granted as written, without any customer-managed key"
			case err != nil:
				r.Problem = fmt.Sprintf("cannot resolve %q to a full secret ARN (%v); write the secret's full ARN, with its 6-character suffix", r.Ref, err)
			case strings.Contains(problem, "not found"):
				r.Problem = fmt.Sprintf("secret %q not found (DescribeSecret); create it, or fix the reference in the base task definition", r.Ref)
			case problem != "":
				r.Problem = problem
			default:
				r.ARN, r.KMSKeyARN = s.ARN, s.KMSKeyARN
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// looksFullARN reports whether ref is a secret ARN whose name ends in "-"
// and six letters or digits, as a full ARN does (a partial ARN may too).
func looksFullARN(ref string) bool {
	parts := strings.Split(ref, ":")
	if len(parts) != 7 {
		return false
	}
	name := parts[6]
	i := len(name) - 7
	if i < 1 || name[i] != '-' {
		return false
	}
	for _, c := range name[i+1:] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
