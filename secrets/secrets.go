// Package secrets resolves the spec's secret references (names, partial ARNs,
// full ARNs) to the full ARNs ECS and IAM need, and writes the one policy
// that lets the execution role read exactly those secrets. It never reads a
// secret's value.
package secrets

import (
	"context"
	"encoding/json"
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

	"github.com/launchdeploy/launch/internal/policy"
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

// PolicyName is the inline policy launch owns on the execution role.
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

// GrantPolicy is the execution role's inline policy: GetSecretValue on
// exactly the secrets' ARNs (or on "*" when allSecrets), and kms:Decrypt on
// the customer-managed keys those secrets use.
func GrantPolicy(secrets []Secret, allSecrets bool) string {
	var arns, keys []string
	for _, s := range secrets {
		if s.ARN != "" && !slices.Contains(arns, s.ARN) {
			arns = append(arns, s.ARN)
		}
		if s.KMSKeyARN != "" && !slices.Contains(keys, s.KMSKeyARN) {
			keys = append(keys, s.KMSKeyARN)
		}
	}
	sort.Strings(arns)
	sort.Strings(keys)
	var resource any = arns
	if allSecrets {
		resource = "*"
	}
	stmts := []map[string]any{}
	if allSecrets || len(arns) > 0 {
		stmts = append(stmts, map[string]any{
			"Sid": "ReadAgentSecrets", "Effect": "Allow",
			"Action": "secretsmanager:GetSecretValue", "Resource": resource,
		})
	}
	if len(keys) > 0 {
		stmts = append(stmts, map[string]any{
			"Sid": "DecryptAgentSecrets", "Effect": "Allow",
			"Action": "kms:Decrypt", "Resource": keys,
		})
	}
	doc := map[string]any{"Version": policy.Version, "Statement": stmts}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
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

// WidenGrant returns the grant that allows everything current and desired
// both allow, and whether it differs from desired (so desired removes
// something). While a deployment is in flight, the old revision's tasks and
// a circuit-breaker rollback still need the old secrets: launch puts the
// wider grant first and narrows it once the deployments completed.
func WidenGrant(current, desired string) (string, bool, error) {
	resources := func(doc string) (map[string][]string, error) {
		d, err := policy.Parse(doc)
		if err != nil {
			return nil, err
		}
		out := map[string][]string{}
		for _, s := range d.Statement {
			// Only launch's own shape can be merged: a Deny, a condition
			// or a NotResource (added by hand) must not turn into an Allow.
			if s["Effect"] != "Allow" || s["Condition"] != nil || s["NotResource"] != nil || s["Resource"] == nil {
				return nil, fmt.Errorf("statement %v is not one launch writes", s["Sid"])
			}
			for _, a := range policy.Strings(s["Action"]) {
				out[a] = append(out[a], policy.Strings(s["Resource"])...)
			}
		}
		return out, nil
	}
	cur, err := resources(current)
	if err != nil {
		return "", false, fmt.Errorf("current %s: %w", PolicyName, err)
	}
	want, err := resources(desired)
	if err != nil {
		return "", false, fmt.Errorf("desired %s: %w", PolicyName, err)
	}
	var all []Secret
	wide := false
	for _, arn := range union(cur["secretsmanager:GetSecretValue"], want["secretsmanager:GetSecretValue"]) {
		if arn == "*" {
			wide = true
			continue
		}
		all = append(all, Secret{ARN: arn})
	}
	for _, key := range union(cur["kms:Decrypt"], want["kms:Decrypt"]) {
		all = append(all, Secret{KMSKeyARN: key})
	}
	widened := GrantPolicy(all, wide)
	same, err := policy.Equal(widened, desired)
	if err != nil {
		return "", false, err
	}
	return widened, !same, nil
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
