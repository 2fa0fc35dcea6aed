// Package roles makes sure an IAM role exists with the trust, managed
// policies and inline policies a spec asks for, changing only what differs
// and never removing what launch did not put there.
package roles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

	"github.com/launchdeploy/launch/internal/policy"
)

// API is the part of IAM this package calls; *iam.Client satisfies it.
type API interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	PutRolePolicy(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	TagRole(context.Context, *iam.TagRoleInput, ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	DeleteRolePolicy(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
}

// Quotas IAM applies by default (IAM User Guide, "IAM and AWS STS quotas").
const (
	MaxInlinePolicyChars = 10240 // all inline policies of one role, whitespace not counted
	MaxTrustPolicyChars  = 2048
	MaxManagedPolicies   = 10
	MaxRoleTags          = 50
)

// OwnerTagKey marks a role as created by launch; destroy only deletes roles
// that carry it.
const (
	OwnerTagKey   = "launch:managed-by"
	OwnerTagValue = "launch"
)

// Desired is what a role must look like after launch has run.
type Desired struct {
	Name    string
	Trusted []TrustedService
	// ManagedPolicies are full policy ARNs to attach. Attached policies not
	// listed here are left attached.
	ManagedPolicies []string
	// InlinePolicies maps a policy name to its JSON. Inline policies not
	// listed here are left in place.
	InlinePolicies map[string]string
	// RemoveInline names inline policies launch owns that must not exist
	// any more (its secrets grant once no secret is left).
	RemoveInline []string
	// Tags go on the role when launch creates it, with the owner tag.
	Tags map[string]string
	// Record are tags that must be on the role, created or not: the
	// deployment instance using it (InstanceTag). Launch adds them when
	// missing and never removes one (destroy removes its own instance's).
	Record map[string]string
}

// State is what IAM has for a role.
type State struct {
	Exists   bool
	ARN      string
	Trust    *policy.Document
	Attached []string
	Inline   map[string]string // every inline policy: name → JSON
	Tags     map[string]string
}

// Read fetches the role's current state; a missing role is a State with
// Exists false, not an error. Every read starts at once: the role, its
// attached policies, the list of its inline policies and the inline
// policies named in known (launch's own, whose names it knows), so a role
// with no other inline policy costs one round trip. Inline policies the
// list shows beyond known are read once the list is in.
func Read(ctx context.Context, api API, name string, known ...string) (*State, error) {
	var (
		role     *types.Role
		attached []string
		listed   []string
		mu       sync.Mutex
		docs     = map[string]string{}
	)
	getInline := func(ctx context.Context, pn string) error {
		out, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
		if isNoSuchEntity(err) { // no such policy (or role): absent
			return nil
		}
		if err != nil {
			return fmt.Errorf("get inline policy %s: %w", pn, err)
		}
		mu.Lock()
		docs[pn] = policy.Decode(aws.ToString(out.PolicyDocument))
		mu.Unlock()
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		out, err := api.GetRole(gctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if err == nil {
			role = out.Role
		}
		return ignoreNoSuchEntity(err)
	})
	g.Go(func() (err error) { attached, err = listAttached(gctx, api, name); return ignoreNoSuchEntity(err) })
	g.Go(func() (err error) { listed, err = listInline(gctx, api, name); return ignoreNoSuchEntity(err) })
	for _, pn := range distinctNames(known) {
		g.Go(func() error { return getInline(gctx, pn) })
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("read role %s: %w", name, err)
	}
	if role == nil {
		return &State{Inline: map[string]string{}}, nil
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, pn := range listed {
		if !slices.Contains(known, pn) {
			g.Go(func() error { return getInline(gctx, pn) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("read role %s: %w", name, err)
	}
	st := &State{Exists: true, ARN: aws.ToString(role.Arn), Attached: attached, Inline: map[string]string{}, Tags: map[string]string{}}
	for _, pn := range listed { // a known policy the list does not show was deleted meanwhile
		if doc, ok := docs[pn]; ok {
			st.Inline[pn] = doc
		}
	}
	for _, t := range role.Tags {
		st.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if doc := aws.ToString(role.AssumeRolePolicyDocument); doc != "" {
		var err error
		if st.Trust, err = policy.Parse(doc); err != nil {
			return nil, fmt.Errorf("read role %s: trust policy: %w", name, err)
		}
	} else {
		st.Trust = &policy.Document{Version: policy.Version}
	}
	return st, nil
}

func isNoSuchEntity(err error) bool {
	var missing *types.NoSuchEntityException
	return errors.As(err, &missing)
}

func ignoreNoSuchEntity(err error) error {
	if isNoSuchEntity(err) {
		return nil
	}
	return err
}

func distinctNames(names []string) []string {
	var out []string
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func listAttached(ctx context.Context, api API, name string) ([]string, error) {
	var arns []string
	p := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list attached policies: %w", err)
		}
		for _, ap := range page.AttachedPolicies {
			arns = append(arns, aws.ToString(ap.PolicyArn))
		}
	}
	sort.Strings(arns)
	return arns, nil
}

func listInline(ctx context.Context, api API, name string) ([]string, error) {
	var names []string
	p := iam.NewListRolePoliciesPaginator(api, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list inline policies: %w", err)
		}
		names = append(names, page.PolicyNames...)
	}
	return names, nil
}

// Plan is what must change for a role to match a Desired.
type Plan struct {
	Name   string
	ARN    string // empty when the role is to be created
	Create bool
	// Trust is the trust policy the role must have; TrustBefore is the
	// current one (nil when creating). UpdateTrust is set when it differs.
	Trust       *policy.Document
	TrustBefore *policy.Document
	UpdateTrust bool
	// Attach lists managed policy ARNs to attach.
	Attach []string
	// Put maps inline policies to write (new or changed in meaning) to their
	// JSON; PutBefore holds the current JSON of the changed ones.
	Put       map[string]string
	PutBefore map[string]string
	// Delete lists inline policies (launch's own) to delete.
	Delete []string
	Tags   map[string]string
	// Record are the Desired's Record tags; AddTags those the existing
	// role lacks (TagRole).
	Record, AddTags map[string]string
	// Trusted is the desired trust, kept to re-apply it to a role that
	// appeared between planning and applying.
	Trusted []TrustedService
	// Warnings are things launch leaves as they are but a person should know.
	Warnings []string
	// Sizes after the change, as IAM's quotas count them.
	TrustChars, InlineChars, ManagedCount, TagCount int
}

// QuotaErrors lists every IAM quota the role would exceed after the change.
func (p Plan) QuotaErrors() []error {
	var errs []error
	if p.TrustChars > MaxTrustPolicyChars {
		errs = append(errs, &QuotaError{Role: p.Name, What: "the trust policy", Size: p.TrustChars, Limit: MaxTrustPolicyChars})
	}
	if p.InlineChars > MaxInlinePolicyChars {
		errs = append(errs, &QuotaError{Role: p.Name, What: "the role's inline policies together", Size: p.InlineChars, Limit: MaxInlinePolicyChars})
	}
	if p.TagCount > MaxRoleTags {
		errs = append(errs, fmt.Errorf("role %s: recording this deployment instance (%s) would give the role %d tags, over IAM's limit of %d; "+
			"remove tags of instances destroyed without --roles, or use another role name", p.Name, strings.Join(slices.Sorted(maps.Keys(p.AddTags)), ", "), p.TagCount, MaxRoleTags))
	}
	if p.ManagedCount > MaxManagedPolicies {
		errs = append(errs, fmt.Errorf("role %s: %d managed policies would be attached, over IAM's limit of %d; "+
			"detach those the role no longer needs, or merge some into one policy", p.Name, p.ManagedCount, MaxManagedPolicies))
	}
	return errs
}

// Changed reports whether applying the plan writes anything.
func (p Plan) Changed() bool {
	return p.Create || p.UpdateTrust || len(p.Attach) > 0 || len(p.Put) > 0 || len(p.Delete) > 0 || len(p.AddTags) > 0
}

// QuotaError is returned when a role would exceed an IAM quota.
type QuotaError struct {
	Role, What  string
	Size, Limit int
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("role %s: %s would be %d characters, over IAM's limit of %d; shorten or split the policies, or use managed policies", e.Role, e.What, e.Size, e.Limit)
}

// PlanFor compares d with st and returns the changes, with the sizes the
// role would have (Plan.QuotaErrors says which quotas they exceed), or an
// error when a document does not parse.
func PlanFor(d Desired, st *State) (Plan, error) {
	p := Plan{Name: d.Name, ARN: st.ARN, Create: !st.Exists, Put: map[string]string{}, PutBefore: map[string]string{}, Tags: d.Tags, Trusted: d.Trusted}
	p.Record, p.AddTags = d.Record, missingTags(d.Record, st.Tags)
	if p.Create {
		p.Tags = maps.Clone(d.Tags)
		if p.Tags == nil {
			p.Tags = map[string]string{}
		}
		maps.Copy(p.Tags, d.Record)
		p.AddTags = nil
		p.TagCount = len(p.Tags) + 1 // and the owner tag
		if _, ok := p.Tags[OwnerTagKey]; ok {
			p.TagCount--
		}
	} else {
		p.TagCount = len(st.Tags) + len(p.AddTags)
	}

	base := st.Trust
	if p.Create || base == nil {
		base = &policy.Document{Version: policy.Version}
	}
	trust := base
	for _, t := range d.Trusted {
		trust = EnsureTrusted(trust, t)
	}
	p.Trust = trust
	if !p.Create {
		p.TrustBefore = st.Trust
		p.UpdateTrust = trust.Canonical() != st.Trust.Canonical()
		for _, t := range d.Trusted {
			if why := TrustConflict(trust, t); why != "" {
				p.Warnings = append(p.Warnings, fmt.Sprintf("role %s: %s; launch never rewrites a statement it did not write: "+
					"change that statement yourself (the condition AWS recommends is ArnLike aws:SourceArn arn:<partition>:ecs:<region>:<account>:* per region, "+
					"StringEquals aws:SourceAccount), or set confusedDeputyProtection: false", d.Name, why))
			}
		}
	}
	p.TrustChars = policy.Size(trust.JSON())

	for _, arn := range d.ManagedPolicies {
		if !slices.Contains(st.Attached, arn) && !slices.Contains(p.Attach, arn) {
			p.Attach = append(p.Attach, arn)
		}
	}
	p.ManagedCount = len(st.Attached) + len(p.Attach)

	after := maps.Clone(st.Inline)
	if after == nil {
		after = map[string]string{}
	}
	for name, doc := range d.InlinePolicies {
		if _, err := policy.Parse(doc); err != nil {
			return Plan{}, fmt.Errorf("role %s: inline policy %s: %w", d.Name, name, err)
		}
		if cur, ok := st.Inline[name]; ok {
			if same, err := policy.Equal(cur, doc); err == nil && same {
				continue
			}
			p.PutBefore[name] = cur
		}
		p.Put[name] = doc
		after[name] = doc
	}
	for _, name := range d.RemoveInline {
		if _, ok := st.Inline[name]; ok {
			p.Delete = append(p.Delete, name)
			p.PutBefore[name] = st.Inline[name]
			delete(after, name)
		}
	}
	for _, doc := range after {
		p.InlineChars += policy.Size(doc)
	}
	return p, nil
}

// missingTags are the tags of want that have lacks or holds with another
// value.
func missingTags(want, have map[string]string) map[string]string {
	var out map[string]string
	for k, v := range want {
		if cur, ok := have[k]; !ok || cur != v {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

func iamTags(m map[string]string) []types.Tag {
	var tags []types.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return tags
}

// Result says what Apply did to a role.
type Result struct {
	Name    string   `json:"name"`
	ARN     string   `json:"arn"`
	Action  string   `json:"action"` // created, updated or unchanged
	Trust   bool     `json:"trustUpdated,omitempty"`
	Attach  []string `json:"attached,omitempty"`
	Put     []string `json:"inlinePoliciesPut,omitempty"`
	Deleted []string `json:"inlinePoliciesDeleted,omitempty"`
	Tagged  []string `json:"tagsAdded,omitempty"`
	Changed bool     `json:"-"`
}

// Apply makes the changes in p, in an order that a rerun converges from if
// it is interrupted: create the role, then its trust, then attach, then put.
func Apply(ctx context.Context, api API, p Plan) (Result, error) {
	res := Result{Name: p.Name, ARN: p.ARN, Action: "unchanged", Changed: p.Changed()}
	if errs := p.QuotaErrors(); len(errs) > 0 {
		return res, errors.Join(errs...)
	}
	if p.Create {
		tags := []types.Tag{{Key: aws.String(OwnerTagKey), Value: aws.String(OwnerTagValue)}}
		for _, k := range slices.Sorted(maps.Keys(p.Tags)) {
			if k != OwnerTagKey {
				tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(p.Tags[k])})
			}
		}
		out, err := api.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(p.Name),
			AssumeRolePolicyDocument: aws.String(p.Trust.JSON()),
			Description:              aws.String("Created by launch for ECS tasks"),
			Tags:                     tags,
		})
		var exists *types.EntityAlreadyExistsException
		switch {
		case errors.As(err, &exists):
			// A previous attempt created it (a retried call, or a rerun racing
			// an earlier one): converge by treating it as existing.
			got, gerr := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
			if gerr != nil {
				return res, fmt.Errorf("create role %s: %w", p.Name, err)
			}
			res.ARN = aws.ToString(got.Role.Arn)
			// Someone else's role may carry statements of its own: merge
			// into its trust as for any existing role, never replace it.
			have, perr := policy.Parse(aws.ToString(got.Role.AssumeRolePolicyDocument))
			if perr != nil {
				return res, fmt.Errorf("role %s appeared while launch was creating it, and its trust policy does not parse: %w", p.Name, perr)
			}
			want := have
			for _, t := range p.Trusted {
				want = EnsureTrusted(want, t)
			}
			haveTags := map[string]string{}
			for _, t := range got.Role.Tags {
				haveTags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			p.AddTags = missingTags(p.Record, haveTags)
			if want.Canonical() != have.Canonical() {
				if _, err := api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
					RoleName: aws.String(p.Name), PolicyDocument: aws.String(want.JSON()),
				}); err != nil {
					return res, fmt.Errorf("update trust policy of role %s: %w", p.Name, err)
				}
			}
		case err != nil:
			return res, fmt.Errorf("create role %s: %w", p.Name, err)
		default:
			res.ARN = aws.ToString(out.Role.Arn)
		}
		res.Action = "created"
	} else if p.UpdateTrust {
		if _, err := api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: aws.String(p.Name), PolicyDocument: aws.String(p.Trust.JSON()),
		}); err != nil {
			return res, fmt.Errorf("update trust policy of role %s: %w", p.Name, err)
		}
		res.Trust = true
		res.Action = "updated"
	}
	if len(p.AddTags) > 0 {
		if _, err := api.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(p.Name), Tags: iamTags(p.AddTags)}); err != nil {
			return res, fmt.Errorf("tag role %s with its deployment instance: %w", p.Name, err)
		}
		res.Tagged = slices.Sorted(maps.Keys(p.AddTags))
	}
	for _, arn := range p.Attach {
		if _, err := api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(p.Name), PolicyArn: aws.String(arn)}); err != nil {
			return res, fmt.Errorf("attach %s to role %s: %w", arn, p.Name, err)
		}
		res.Attach = append(res.Attach, arn)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Put)) {
		if _, err := api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
			RoleName: aws.String(p.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(p.Put[name]),
		}); err != nil {
			return res, fmt.Errorf("put inline policy %s on role %s: %w", name, p.Name, err)
		}
		res.Put = append(res.Put, name)
	}
	for _, name := range p.Delete {
		if _, err := api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.Name), PolicyName: aws.String(name)}); err != nil {
			var gone *types.NoSuchEntityException
			if !errors.As(err, &gone) {
				return res, fmt.Errorf("delete inline policy %s of role %s: %w", name, p.Name, err)
			}
		}
		res.Deleted = append(res.Deleted, name)
	}
	if res.Action == "unchanged" && p.Changed() {
		res.Action = "updated"
	}
	return res, nil
}

// InstanceTagPrefix starts the tag that records, on a role, one deployment
// instance using it. Roles are global and shared: the record says which
// instances still need the role, so destroy deletes it only after the last.
const InstanceTagPrefix = "launch:instance:"

// maxTagKey is IAM's limit on a tag key's length.
const maxTagKey = 128

// InstanceTag is the tag recording the instance (account, region, cluster)
// on a role: key "launch:instance:<region>/<cluster>", value the account.
// A key over IAM's 128 characters (cluster names may have 255) ends in a
// hash of the cluster name instead, so it stays stable and unique.
func InstanceTag(account, region, cluster string) (key, value string) {
	key = InstanceTagPrefix + region + "/" + cluster
	if len(key) > maxTagKey {
		sum := sha256.Sum256([]byte(cluster))
		key = InstanceTagPrefix + region + "/" + hex.EncodeToString(sum[:12])
	}
	return key, account
}

// RecordedInstances lists the instance tags on a role ("<region>/<cluster>"
// as the keys name them), sorted.
func RecordedInstances(tags map[string]string) []string {
	var out []string
	for k := range tags {
		if rest, ok := strings.CutPrefix(k, InstanceTagPrefix); ok {
			out = append(out, rest)
		}
	}
	slices.Sort(out)
	return out
}
