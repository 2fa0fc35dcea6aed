// Package permissions computes the least-privilege IAM policy the deploying
// identity needs to run `launch deploy` for one spec: every action launch
// calls (and the ones AWS checks implicitly, such as iam:PassRole and tagging
// on create), scoped to the roles, secrets, log groups, cluster, services and
// task definition families the spec names.
package permissions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// Version is the IAM policy language version.
const Version = "2012-10-17"

// MaxManagedPolicyChars is IAM's size limit for a customer managed policy:
// 6,144 characters, whitespace not counted (IAM User Guide, "IAM and AWS STS
// quotas").
const MaxManagedPolicyChars = 6144

// Input is what the policy depends on. Partition, Region and Account come
// from flags or STS; an empty (or "*") Region or Account becomes "*" in every
// ARN, an empty Region first falls back to the spec's region, and an empty
// Partition means "aws".
type Input struct {
	Spec      *spec.Spec
	Partition string
	Region    string
	Account   string
}

// Statement is one IAM policy statement. Action and Resource are always
// lists, sorted; Condition maps an operator to keys and their values.
type Statement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Policy is an identity-based IAM policy document; its statements are sorted
// by Sid, so the same spec always gives the same bytes.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// ActionCheck is one action with the resources it is used on, for a
// simulation such as iam:SimulatePrincipalPolicy. Context holds the
// condition values the real request presents (e.g. iam:PassedToService),
// which a simulation must be given as context entries.
type ActionCheck struct {
	Action    string
	Resources []string
	Context   map[string]string
}

// TooLargeError is returned by JSON and Check when the policy does not fit
// in one managed policy.
type TooLargeError struct{ Size, Limit int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the deploy policy is %d characters (whitespace not counted), over IAM's managed-policy limit of %d; split the agents across specs or attach the policy in parts", e.Size, e.Limit)
}

// ECS service-linked role, created by ecs:CreateCluster the first time ECS is
// used in an account (ECS developer guide, "Using service-linked roles for
// Amazon ECS").
const (
	ecsServiceName   = "ecs.amazonaws.com"
	ecsTasksService  = "ecs-tasks.amazonaws.com"
	ecsLinkedRoleARN = "role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
)

// For returns the policy the deploying identity needs for in.Spec. Call
// Check (or JSON, which checks too) before using it.
func For(in Input) Policy {
	sp := in.Spec
	p := partOr(in.Partition, "aws")
	region := in.Region
	if region == "" || region == "*" {
		region = sp.Region
	}
	r := partOr(region, "*")
	a := partOr(in.Account, "*")
	arn := func(service, region, resource string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", p, service, region, a, resource)
	}

	var st []Statement
	add := func(s Statement) {
		s.Effect = "Allow"
		s.Action = sortedUnique(s.Action)
		s.Resource = sortedUnique(s.Resource)
		st = append(st, s)
	}

	// IAM: launch reads and converges both roles (roles.Read, roles.Apply).
	// Creating a role with tags also needs iam:TagRole (IAM User Guide,
	// "Permissions required to tag IAM entities"). Resource type: role.
	roleARNs := []string{arn("iam", "", "role/"+sp.TaskRole.Name), arn("iam", "", "role/"+sp.ExecutionRole.Name)}
	add(Statement{
		Sid: "IAMManageAgentRoles",
		Action: []string{
			"iam:AttachRolePolicy", "iam:CreateRole", "iam:GetRole", "iam:GetRolePolicy",
			"iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:PutRolePolicy",
			"iam:TagRole", "iam:UpdateAssumeRolePolicy",
		},
		Resource: roleARNs,
	})
	// launch deletes its own secrets grant from the execution role once the
	// spec grants nothing (IAM rejects an empty policy).
	add(Statement{Sid: "IAMRevokeSecretsGrant", Action: []string{"iam:DeleteRolePolicy"}, Resource: roleARNs[1:]})
	// The task definitions name both roles: passing them to ECS tasks only.
	add(Statement{
		Sid:       "IAMPassAgentRolesToECSTasks",
		Action:    []string{"iam:PassRole"},
		Resource:  roleARNs,
		Condition: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {ecsTasksService}}},
	})
	if sp.Cluster.Create {
		// CreateCluster creates ECS's service-linked role when the account
		// has none yet; an existing cluster implies it exists.
		add(Statement{
			Sid:       "IAMCreateECSServiceLinkedRole",
			Action:    []string{"iam:CreateServiceLinkedRole"},
			Resource:  []string{arn("iam", "", ecsLinkedRoleARN)},
			Condition: map[string]map[string][]string{"StringEquals": {"iam:AWSServiceName": {ecsServiceName}}},
		})
	}

	// Secrets Manager: DescribeSecret resolves every reference, the spec's
	// and those of the base task definitions; launch never calls
	// GetSecretValue. Resource type: secret, whose ARN ends in "-" and six
	// random characters that a name or partial ARN does not know.
	reads := baseReads(sp, secrets.Location{Partition: p, Region: r, Account: a})
	secretRefs := slices.Collect(maps.Values(sp.Secrets))
	var parameters bool
	var objects []string
	for _, ref := range reads {
		switch {
		case ref.Problem != "":
		case ref.Kind == secrets.KindSecret:
			secretRefs = append(secretRefs, ref.Ref)
		case ref.Kind == secrets.KindParameter:
			parameters = true
		case ref.Kind == secrets.KindS3Object:
			objects = append(objects, ref.ARN)
		}
	}
	if len(secretRefs) > 0 {
		var secretARNs, keyARNs []string
		for _, ref := range secretRefs {
			res, keys := secretResources(p, r, a, ref)
			secretARNs = append(secretARNs, res...)
			keyARNs = append(keyARNs, keys)
		}
		add(Statement{Sid: "SecretsDescribeAgentSecrets", Action: []string{"secretsmanager:DescribeSecret"}, Resource: secretARNs})
		// kms:DescribeKey is called only for a secret whose KMS key
		// DescribeSecret names by alias. Which key that is cannot be known
		// offline, so it is allowed on keys in the secrets' accounts and
		// regions, and only when the request names an alias.
		add(Statement{
			Sid:       "KMSResolveSecretKeyAliases",
			Action:    []string{"kms:DescribeKey"},
			Resource:  keyARNs,
			Condition: map[string]map[string][]string{"StringLike": {"kms:RequestAlias": {"alias/*"}}},
		})
	}

	// CloudWatch Logs. DescribeLogGroups has no resource type: AWS checks it
	// against arn:…:log-group::log-stream: (terraform-provider-aws#8804), so
	// "log-group:*" in this account and region is the narrowest that works.
	add(Statement{Sid: "LogsDescribeLogGroups", Action: []string{"logs:DescribeLogGroups"}, Resource: []string{arn("logs", r, "log-group:*")}})
	var groups []string
	for _, ag := range sp.Agents {
		if ag.Logs.Group == "" { // the agent logs with another driver: no group
			continue
		}
		groups = append(groups, arn("logs", r, "log-group:"+ag.Logs.Group), arn("logs", r, "log-group:"+ag.Logs.Group+":*"))
	}
	// CreateLogGroup with tags also needs logs:TagResource.
	if len(groups) > 0 {
		add(Statement{Sid: "LogsManageAgentLogGroups", Action: []string{"logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:TagResource"}, Resource: groups})
		// The last log lines of a failed task (deploy), and `launch logs`.
		add(Statement{Sid: "LogsReadAgentLogs", Action: []string{"logs:FilterLogEvents", "logs:GetLogEvents"}, Resource: groups})
	}

	// ECS.
	clusterARN := arn("ecs", r, "cluster/"+sp.Cluster.Name)
	clusterActions := []string{"ecs:DescribeClusters"}
	if sp.Cluster.Create {
		clusterActions = append(clusterActions, "ecs:CreateCluster")
	}
	add(Statement{Sid: "ECSCluster", Action: clusterActions, Resource: []string{clusterARN}})

	var families, services []string
	for _, ag := range sp.Agents {
		families = append(families, arn("ecs", r, "task-definition/"+ag.Name+":*"))
		services = append(services, arn("ecs", r, "service/"+sp.Cluster.Name+"/"+ag.Name))
	}
	// ListTaskDefinitions and DescribeTaskDefinition support no resource
	// type: they need "*".
	add(Statement{Sid: "ECSReadTaskDefinitions", Action: []string{"ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions"}, Resource: []string{"*"}})
	// DeregisterTaskDefinition: after a retried RegisterTaskDefinition (a
	// lost reply), launch deregisters the identical twin it just made.
	add(Statement{Sid: "ECSRegisterAgentTaskDefinitions", Action: []string{"ecs:DeregisterTaskDefinition", "ecs:RegisterTaskDefinition"}, Resource: families})
	add(Statement{Sid: "ECSAgentServices", Action: []string{"ecs:CreateService", "ecs:DescribeServices", "ecs:UpdateService"}, Resource: services})
	// launch rollback tags each service it moves with the revision it left
	// (launch:rolled-back-from), so a rerun does not go back further; a
	// rollout in waves tags the services it deploys (launch:rollout).
	add(Statement{Sid: "ECSMarkRollbacks", Action: []string{"ecs:TagResource"}, Resource: services})

	// Tag on create: launch tags the task definitions, the services and a
	// cluster it creates; ecs:TagResource only within those create calls.
	tagged := slices.Concat(families, services)
	createActions := []string{"CreateService", "RegisterTaskDefinition"}
	if sp.Cluster.Create {
		tagged = append(tagged, clusterARN)
		createActions = append(createActions, "CreateCluster")
	}
	slices.Sort(createActions)
	add(Statement{
		Sid:       "ECSTagOnCreate",
		Action:    []string{"ecs:TagResource"},
		Resource:  tagged,
		Condition: map[string]map[string][]string{"StringEquals": {"ecs:CreateAction": createActions}},
	})
	// A failed rollout is explained from the stopped tasks; a rollout in
	// waves reads the tasks for each wave's gate.
	add(Statement{Sid: "ECSListAgentTasks", Action: []string{"ecs:ListTasks"}, Resource: []string{arn("ecs", r, "container-instance/"+sp.Cluster.Name+"/*")}})
	add(Statement{Sid: "ECSDescribeAgentTasks", Action: []string{"ecs:DescribeTasks"}, Resource: []string{arn("ecs", r, "task/"+sp.Cluster.Name+"/*")}})

	// sts:GetCallerIdentity needs no permission and cannot be denied, so it
	// is not listed.

	slices.SortFunc(st, func(x, y Statement) int { return strings.Compare(x.Sid, y.Sid) })
	// Preflight reads, granted so its checks can run. They are optional: a
	// denied one turns its check into SKIP and the deploy goes on.
	// iam:SimulatePrincipalPolicy is left out on purpose: it would let the
	// pipeline read any principal's permissions; grant it yourself to get
	// the permission check. EC2's Describe* actions have no resource types.
	add(Statement{Sid: "PreflightReadNetwork", Action: []string{"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets"}, Resource: []string{"*"}})
	if repos := ownRepositories(sp, p, a); len(repos) > 0 {
		add(Statement{Sid: "PreflightReadAgentImages", Action: []string{"ecr:DescribeImages"}, Resource: repos})
	}
	// What the base task definitions read through the execution role:
	// preflight checks each exists. ssm:DescribeParameters has no resource
	// type ("*") and returns metadata, never a value; S3's HeadObject is
	// authorized as s3:GetObject on the object (launch reads no content).
	if parameters {
		add(Statement{Sid: "PreflightReadAgentParameters", Action: []string{"ssm:DescribeParameters"}, Resource: []string{"*"}})
	}
	if len(objects) > 0 {
		add(Statement{Sid: "PreflightReadAgentEnvironmentFiles", Action: []string{"s3:GetObject"}, Resource: objects})
	}
	// Preflight checks that each managed policy the roles get exists
	// (iam:GetPolicy, resource type policy).
	var managed []string
	for _, m := range slices.Concat(sp.TaskRole.ManagedPolicies, sp.ExecutionRole.ManagedPolicies) {
		if strings.HasPrefix(m, "arn:") {
			managed = append(managed, m)
		} else {
			managed = append(managed, fmt.Sprintf("arn:%s:iam::aws:policy/%s", p, strings.TrimPrefix(m, "/")))
		}
	}
	if len(managed) > 0 {
		add(Statement{Sid: "PreflightReadManagedPolicies", Action: []string{"iam:GetPolicy"}, Resource: managed})
	}
	return Policy{Version: Version, Statement: st}
}

// secretResources returns the ARN patterns DescribeSecret may be checked
// against for one reference, and the KMS key pattern for its account and
// region.
func secretResources(p, r, a, ref string) (secrets []string, keys string) {
	if !strings.HasPrefix(ref, "arn:") {
		return []string{fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-??????", p, r, a, ref)},
			fmt.Sprintf("arn:%s:kms:%s:%s:key/*", p, r, a)
	}
	parts := strings.SplitN(ref, ":", 7)
	if len(parts) == 7 {
		keys = fmt.Sprintf("arn:%s:kms:%s:%s:key/*", parts[1], parts[3], parts[4])
	} else {
		keys = fmt.Sprintf("arn:%s:kms:%s:%s:key/*", p, r, a)
	}
	name := ""
	if len(parts) == 7 {
		name = parts[6]
	}
	if looksFull(name) {
		// A full ARN, or a partial one whose name happens to end like a
		// suffix: allow both readings.
		return []string{ref, ref + "-??????"}, keys
	}
	return []string{ref + "-??????"}, keys
}

// looksFull reports whether a secret name ends in "-" and six characters,
// as the last part of a full secret ARN does.
func looksFull(name string) bool {
	i := len(name) - 7
	if i < 1 || name[i] != '-' {
		return false
	}
	for _, c := range name[i+1:] {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}

func partOr(v, def string) string {
	if v == "" || v == "*" {
		return def
	}
	return v
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// JSON returns the policy indented. When the policy is over
// MaxManagedPolicyChars it still returns the document, with a
// *TooLargeError.
func (p Policy) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	return b, p.Check()
}

// Size is the policy's size as IAM counts it: characters of the JSON
// document, whitespace not counted.
func (p Policy) Size() int {
	b, err := json.Marshal(p)
	if err != nil {
		return 0
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, b)
	n := 0
	for _, c := range buf.String() {
		if !unicode.IsSpace(c) {
			n++
		}
	}
	return n
}

// Check returns a *TooLargeError when the policy does not fit in one managed
// policy.
func (p Policy) Check() error {
	if n := p.Size(); n > MaxManagedPolicyChars {
		return &TooLargeError{Size: n, Limit: MaxManagedPolicyChars}
	}
	return nil
}

// Actions lists every action with the resources it is allowed on and the
// condition context a simulation needs, sorted by action.
func (p Policy) Actions() []ActionCheck {
	byAction := map[string]*ActionCheck{}
	for _, s := range p.Statement {
		for _, act := range s.Action {
			c := byAction[act]
			if c == nil {
				c = &ActionCheck{Action: act}
				byAction[act] = c
			}
			c.Resources = sortedUnique(append(c.Resources, s.Resource...))
			for _, keys := range s.Condition {
				for k, vals := range keys {
					if len(vals) == 0 {
						continue
					}
					if c.Context == nil {
						c.Context = map[string]string{}
					}
					// Any allowed value satisfies the condition; a simulation
					// needs one. StringLike patterns are made concrete.
					c.Context[k] = strings.ReplaceAll(vals[0], "*", "launch")
				}
			}
		}
	}
	out := make([]ActionCheck, 0, len(byAction))
	for _, k := range slices.Sorted(maps.Keys(byAction)) {
		out = append(out, *byAction[k])
	}
	return out
}

// Without returns a copy of p without action; statements left with no action
// are dropped. Tests use it to show an action is needed.
func (p Policy) Without(action string) Policy {
	out := Policy{Version: p.Version}
	for _, s := range p.Statement {
		s.Action = slices.DeleteFunc(slices.Clone(s.Action), func(a string) bool { return a == action })
		if len(s.Action) > 0 {
			out.Statement = append(out.Statement, s)
		}
	}
	return out
}

// ecrImage matches an image in a private ECR registry: account, region,
// partition suffix, repository.
var ecrImage = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)`)

// ownRepositories lists the ECR repository ARNs of the agents' images that
// live in the deploying account (account "*": any account), which is what
// preflight checks with ecr:DescribeImages.
func ownRepositories(sp *spec.Spec, partition, account string) []string {
	var out []string
	for _, ag := range sp.Agents {
		m := ecrImage.FindStringSubmatch(ag.Image)
		if m == nil || account != "*" && m[1] != account {
			continue
		}
		out = append(out, fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", partition, m[2], m[1], m[3]))
	}
	return out
}

// baseReads lists what the agents' base task definitions make the execution
// role read (secrets.References); a base that does not decode adds nothing
// (validate and deploy refuse it).
func baseReads(sp *spec.Spec, loc secrets.Location) []secrets.Reference {
	var out []secrets.Reference
	for _, ag := range sp.Agents {
		if len(ag.BaseTaskDefinitionJSON) == 0 {
			continue
		}
		base, err := taskdef.DecodeBase(ag.BaseTaskDefinitionJSON)
		if err != nil {
			continue
		}
		out = append(out, secrets.References(base, loc, nil)...)
	}
	return out
}
