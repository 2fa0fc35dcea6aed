package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/launchdeploy/launch/internal/imageref"
	"github.com/launchdeploy/launch/internal/suggest"
)

// Names and shapes AWS accepts.
var (
	iamNameRe     = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyNameRe  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	ecsNameRe     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)
	logGroupRe    = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
	envNameRe     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	regionRe      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	serviceRe     = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.amazonaws\.com(\.cn)?$`)
	policyARNRe   = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::(aws|[0-9]{12}):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$`)
	awsPolicyRe   = regexp.MustCompile(`^([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$`)
	secretNameRe  = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	secretARNRe   = regexp.MustCompile(`^arn:aws(-[a-z]+)*:secretsmanager:[a-z]{2}(-[a-z]+)+-[0-9]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	subnetRe      = regexp.MustCompile(`^subnet-[0-9a-zA-Z]+$`)
	securityGrpRe = regexp.MustCompile(`^sg-[0-9a-zA-Z]+$`)
)

// Fargate facts (see FIELD-NOTES.md and the ECS developer guide, "Task size").
var (
	fargateCPUs   = []int{256, 512, 1024, 2048, 4096, 8192, 16384}
	fargateMemory = map[int][]int{
		256:   {512, 1024, 2048},
		512:   steps(1024, 4096, 1024),
		1024:  steps(2048, 8192, 1024),
		2048:  steps(4096, 16384, 1024),
		4096:  steps(8192, 30720, 1024),
		8192:  steps(16384, 61440, 4096),
		16384: steps(32768, 122880, 8192),
	}
	windowsCPUs = []int{1024, 2048, 4096}
	// Operating system families Fargate runs (the ECS API accepts a few
	// older Windows values that Fargate does not).
	fargateOS = []string{
		"LINUX",
		"WINDOWS_SERVER_2019_FULL", "WINDOWS_SERVER_2019_CORE",
		"WINDOWS_SERVER_2022_FULL", "WINDOWS_SERVER_2022_CORE",
		"WINDOWS_SERVER_2025_FULL", "WINDOWS_SERVER_2025_CORE",
	}
	architectures = []string{"X86_64", "ARM64"}
	// Values CloudWatch Logs accepts for a log group's retention.
	retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

const (
	maxSubnets        = 16 // awsvpc network configuration limits
	maxSecurityGroups = 5
)

func steps(from, to, step int) []int {
	var out []int
	for m := from; m <= to; m += step {
		out = append(out, m)
	}
	return out
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// report adds a problem about the value at path, unless that value (or
// something above it) could not be read: it was reported already.
func (l *loader) report(path, format string, args ...any) {
	if l.isBad(path) {
		return
	}
	l.problemAt(l.at(path), path, fmt.Sprintf(format, args...))
}

// validate checks the decoded spec in one pass and reports every problem.
func (l *loader) validate(s *Spec) {
	if s.Region != "" && !regionRe.MatchString(s.Region) {
		l.report("region", "%s is not an AWS region name; write one such as eu-west-1, or leave region out to use the AWS SDK's default", quoteShort(s.Region))
	}

	switch {
	case s.Cluster.Name == "":
		l.report("cluster.name", "the cluster name is missing; set cluster.name to the ECS cluster the agents run in")
	case !ecsNameRe.MatchString(s.Cluster.Name):
		l.report("cluster.name", "%s is not a valid ECS cluster name; use 1–255 letters, digits, hyphens and underscores", quoteShort(s.Cluster.Name))
	}

	l.validateTags(s.Tags)

	l.validateRoleName("taskRole.name", "taskRole", s.TaskRole.Name)
	l.validateRoleName("executionRole.name", "executionRole", s.ExecutionRole.Name)
	if s.TaskRole.Name != "" && s.TaskRole.Name == s.ExecutionRole.Name {
		l.report("executionRole.name", "the execution role has the task role's name %q; give the two roles different names: launch manages each role's trust and policies separately", s.TaskRole.Name)
	}
	for i, svc := range s.TaskRole.TrustedServices {
		if !serviceRe.MatchString(svc) {
			l.report(joinIndex("taskRole.trustedServices", i), "%s is not an AWS service principal; write one such as ec2.amazonaws.com", quoteShort(svc))
		}
	}
	l.validateInlinePolicySize(s.TaskRole.InlinePolicies)
	l.validateManagedPolicies("taskRole.managedPolicies", s.TaskRole.ManagedPolicies)
	l.validateManagedPolicies("executionRole.managedPolicies", s.ExecutionRole.ManagedPolicies)
	policyNames := map[string]int{}
	for i, p := range s.TaskRole.InlinePolicies {
		path := joinIndex("taskRole.inlinePolicies", i)
		switch {
		case p.Name == "":
			l.report(path+".name", "the inline policy has no name; set name to 1–128 letters, digits and +=,.@_-")
		case !policyNameRe.MatchString(p.Name):
			l.report(path+".name", "%s is not a valid IAM policy name; use 1–128 letters, digits and +=,.@_-", quoteShort(p.Name))
		default:
			if first, dup := policyNames[p.Name]; dup {
				l.report(path+".name", "inline policy %q is already defined at taskRole.inlinePolicies[%d]; give each policy its own name", p.Name, first)
			} else {
				policyNames[p.Name] = i
			}
		}
	}

	for _, id := range sortedKeys(s.Secrets) {
		l.validateSecret(joinKey("secrets", id), s.Secrets[id])
	}

	if len(s.Agents) == 0 {
		l.report("agents", "there are no agents; add at least one under agents: with a name and an image")
	}
	names, groups := map[string]int{}, map[string]int{}
	for i := range s.Agents {
		a := &s.Agents[i]
		path := joinIndex("agents", i)
		if a.Name != "" {
			if first, dup := names[a.Name]; dup {
				l.report(path+".name", "agent name %q is already used by agents[%d] (line %d); give each agent its own name", a.Name, first, s.Agents[first].Line)
			} else {
				names[a.Name] = i
			}
		}
		// Agents may share a log group, but one group has one retention:
		// two values would make every run rewrite it.
		if first, shared := groups[a.Logs.Group]; shared && a.Logs.RetentionDays != s.Agents[first].Logs.RetentionDays && names[a.Name] == i {
			l.report(path+".logs.retentionDays", "log group %s is shared with agents[%d] (line %d), which keeps it %d days, not %d; give both the same retentionDays",
				a.Logs.Group, first, s.Agents[first].Line, s.Agents[first].Logs.RetentionDays, a.Logs.RetentionDays)
		} else if !shared && a.Logs.Group != "" {
			groups[a.Logs.Group] = i
		}
		l.validateAgent(s, a, path)
	}
	l.validateRollout(s)
}

func (l *loader) validateRoleName(path, what, name string) {
	switch {
	case name == "":
		l.report(path, "the %s name is missing; set %s.name to the IAM role launch creates or updates", what, what)
	case len(name) > 64:
		l.report(path, "%s is %d characters long; IAM role names have at most 64", quoteShort(name), len(name))
	case !iamNameRe.MatchString(name):
		l.report(path, "%s is not a valid IAM role name; use 1–64 letters, digits and +=,.@_-", quoteShort(name))
	}
}

func (l *loader) validateManagedPolicies(path string, arns []string) {
	for i, arn := range arns {
		p := joinIndex(path, i)
		if strings.HasPrefix(arn, "arn:") {
			if !policyARNRe.MatchString(arn) {
				l.report(p, "%s is not an IAM policy ARN; write arn:aws:iam::aws:policy/NAME, arn:aws:iam::123456789012:policy/NAME or an AWS-managed path such as service-role/AmazonECSTaskExecutionRolePolicy", quoteShort(arn))
			}
			continue
		}
		if !awsPolicyRe.MatchString(arn) {
			l.report(p, "%s is neither an IAM policy ARN nor an AWS-managed policy path; write a full ARN or a path such as service-role/AmazonECSTaskExecutionRolePolicy", quoteShort(arn))
		}
	}
}

func (l *loader) validateSecret(path, ref string) {
	switch {
	case ref == "":
		l.report(path, "the secret is empty; write the secret's name or ARN")
	case strings.HasPrefix(ref, "arn:"):
		if !secretARNRe.MatchString(ref) {
			l.report(path, "%s is not a Secrets Manager secret ARN; write arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, or just the secret's name", quoteShort(ref))
		}
	case !secretNameRe.MatchString(ref):
		l.report(path, "%s is not a Secrets Manager secret name; use 1–512 letters, digits and /_+=.@-", quoteShort(ref))
	}
}

func (l *loader) validateAgent(s *Spec, a *Agent, path string) {
	switch {
	case a.Name == "":
		l.report(path+".name", "the agent has no name; set name: it names the agent's ECS service and task definition family")
	case !ecsNameRe.MatchString(a.Name):
		l.report(path+".name", "%s is not a valid ECS service and task definition family name; use 1–255 letters, digits, hyphens and underscores", quoteShort(a.Name))
	}
	l.validateImage(path+".image", a.Image)
	if a.Container != "" && a.Container != a.Name && !ecsNameRe.MatchString(a.Container) { // a bad name is reported above
		l.report(path+".container", "%s is not a valid container name; use 1–255 letters, digits, hyphens and underscores", quoteShort(a.Container))
	}

	l.validatePlatform(a, path)

	for _, k := range sortedKeys(a.Environment) {
		if !envNameRe.MatchString(k) {
			l.report(joinKey(path+".environment", k), "%s is not a valid environment variable name; use letters, digits and underscores, not starting with a digit", quoteShort(k))
		}
	}
	for _, k := range sortedKeys(a.Secrets) {
		p := joinKey(path+".secrets", k)
		ref := a.Secrets[k]
		if !envNameRe.MatchString(k) {
			l.report(p, "%s is not a valid environment variable name; use letters, digits and underscores, not starting with a digit", quoteShort(k))
		}
		if _, both := a.Environment[k]; both {
			l.report(p, "%s is set both under environment and under secrets; keep one", k)
		}
		if strings.Contains(ref.Key, ":") {
			// valueFrom is <arn>:<json-key>:<version-stage>:<version-id>.
			l.report(p+".key", "JSON key %s contains \":\", which ECS reads as the separator in valueFrom; use a key without \":\"", quoteShort(ref.Key))
		}
		switch _, declared := s.Secrets[ref.Secret]; {
		case ref.Secret == "":
			l.report(p+".secret", "no secret is named; set secret to an ID declared under secrets:")
		case !declared:
			if near := suggest.Closest(ref.Secret, sortedKeys(s.Secrets)); near != "" {
				l.report(p+".secret", "uses secret %q which is not declared under secrets:; did you mean %q?", ref.Secret, near)
			} else {
				l.report(p+".secret", "uses secret %q which is not declared under secrets:; declare it, e.g. secrets: {%s: my/secret/name}", ref.Secret, ref.Secret)
			}
		}
	}

	lp := path + ".logs"
	// A group launch did not default is the spec's or the base's (whose
	// own checks cover it); "/ecs/<name>" is valid when the name is.
	if a.IsSet("logs.group") && !logGroupRe.MatchString(a.Logs.Group) {
		l.report(lp+".group", "%s is not a valid log group name; use 1–512 letters, digits and ._-/#", quoteShort(a.Logs.Group))
	}
	if !slices.Contains(retentionDays, a.Logs.RetentionDays) {
		l.report(lp+".retentionDays", "%d is not a retention CloudWatch Logs accepts; use one of %s", a.Logs.RetentionDays, joinInts(retentionDays))
	}
	switch {
	case a.Logs.StreamPrefix == "":
		l.report(lp+".streamPrefix", "the stream prefix is empty; Fargate's awslogs driver needs one: leave streamPrefix out for \"ecs\", or set a word")
	case strings.ContainsAny(a.Logs.StreamPrefix, ":*") || len(a.Logs.StreamPrefix) > 256:
		l.report(lp+".streamPrefix", "%s is not a valid log stream prefix; use up to 256 characters without : or *", quoteShort(a.Logs.StreamPrefix))
	}

	np := path + ".network"
	switch n := len(a.Network.Subnets); {
	case n == 0:
		l.report(np+".subnets", "the agent has no subnets; list at least one subnet ID under network.subnets, here or under defaults:")
	case n > maxSubnets:
		l.report(np+".subnets", "%d subnets are listed; an awsvpc service takes at most %d", n, maxSubnets)
	}
	for i, id := range a.Network.Subnets {
		if !subnetRe.MatchString(id) {
			l.report(joinIndex(np+".subnets", i), "%s is not a subnet ID; write an ID such as subnet-0123456789abcdef0", quoteShort(id))
		}
	}
	if n := len(a.Network.SecurityGroups); n > maxSecurityGroups {
		l.report(np+".securityGroups", "%d security groups are listed; an awsvpc service takes at most %d", n, maxSecurityGroups)
	}
	for i, id := range a.Network.SecurityGroups {
		if !securityGrpRe.MatchString(id) {
			l.report(joinIndex(np+".securityGroups", i), "%s is not a security group ID; write an ID such as sg-0123456789abcdef0", quoteShort(id))
		}
	}

	l.validateService(a.Service, path+".service")

	if a.WaitTimeout.Duration <= 0 {
		l.report(path+".waitTimeout", "waitTimeout %s is not positive; write how long to follow the deployment, such as 15m", a.WaitTimeout.Duration)
	}
}

func (l *loader) validatePlatform(a *Agent, path string) {
	osPath, archPath := path+".platform.os", path+".platform.architecture"
	osOK := slices.Contains(fargateOS, a.Platform.OS)
	if !osOK {
		l.report(osPath, "%s is not an operating system family Fargate runs; use one of %s", quoteShort(a.Platform.OS), strings.Join(fargateOS, ", "))
	}
	windows := osOK && a.Platform.OS != "LINUX"
	switch {
	case !slices.Contains(architectures, a.Platform.Architecture):
		l.report(archPath, "%s is not a CPU architecture Fargate runs; use X86_64 or ARM64", quoteShort(a.Platform.Architecture))
	case windows && a.Platform.Architecture == "ARM64":
		l.report(archPath, "ARM64 runs only on LINUX on Fargate, not on %s; use X86_64 or platform.os LINUX", a.Platform.OS)
	}

	// With a base task definition, a size the spec leaves out is the
	// base's, not launch's default: only what the spec writes is checked
	// here, and the pair only when the spec writes both (the final task
	// definition is checked as a whole after loading).
	base := a.BaseTaskDefinition != ""
	checkCPU := !base || a.IsSet("cpu")
	cpuPath, memPath := path+".cpu", path+".memory"
	mems, cpuOK := fargateMemory[a.CPU]
	switch {
	case !checkCPU:
	case !cpuOK:
		l.report(cpuPath, "cpu %d is not a Fargate task size; use one of %s (CPU units, 1024 = 1 vCPU)", a.CPU, joinInts(fargateCPUs))
		return
	case windows && !slices.Contains(windowsCPUs, a.CPU):
		l.report(cpuPath, "cpu %d is not available for %s on Fargate; use one of %s, or platform.os LINUX", a.CPU, a.Platform.OS, joinInts(windowsCPUs))
	}
	if base && !(a.IsSet("cpu") && a.IsSet("memory")) {
		return
	}
	if !slices.Contains(mems, a.Memory) && !l.isBad(cpuPath) {
		l.report(memPath, "memory %d does not fit cpu %d on Fargate; use one of %s (MiB), or change cpu", a.Memory, a.CPU, joinInts(mems))
	}
}

func (l *loader) validateService(s Service, path string) {
	dc, minP, maxP := path+".desiredCount", path+".minimumHealthyPercent", path+".maximumPercent"
	if s.DesiredCount < 0 {
		l.report(dc, "desiredCount %d is negative; use 0 to stop the agent, or 1 to run it", s.DesiredCount)
	}
	minOK := s.MinimumHealthyPercent >= 0 && s.MinimumHealthyPercent <= 100
	if !minOK {
		l.report(minP, "minimumHealthyPercent %d is outside 0–100; use 0 so a redeploy stops the old task before starting the new one", s.MinimumHealthyPercent)
	}
	maxOK := s.MaximumPercent >= 100 && s.MaximumPercent <= 200
	if !maxOK {
		l.report(maxP, "maximumPercent %d is outside 100–200; use 100 so a redeploy never runs two copies of the agent", s.MaximumPercent)
	}
	// A rolling deployment must be able to stop or start at least one task:
	// ECS keeps ceil(desired×min/100) tasks running and runs at most
	// floor(desired×max/100).
	if minOK && maxOK && s.DesiredCount > 0 && !l.isBad(dc) && !l.isBad(minP) {
		keep := (s.DesiredCount*s.MinimumHealthyPercent + 99) / 100
		most := s.DesiredCount * s.MaximumPercent / 100
		if most <= keep {
			l.report(maxP, "with desiredCount %d, minimumHealthyPercent %d keeps %d task(s) running and maximumPercent %d allows %d, so a deployment can never replace a task; lower minimumHealthyPercent or raise maximumPercent", s.DesiredCount, s.MinimumHealthyPercent, keep, s.MaximumPercent, most)
		}
	}
}

// Tag rules, from the IAM User Guide ("Tagging IAM resources": at most 50
// tags per resource, keys 1–128 and values 0–256 characters of
// [\p{L}\p{Z}\p{N}_.:/=+\-@], no aws: prefix). IAM's are the strictest of
// the services launch tags (ECS and CloudWatch Logs accept the same set).
var tagCharsRe = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

const (
	maxTags = 50
	// launchTags are the tags launch adds to what it creates besides the
	// spec's: launch:managed-by on everything and launch:instance on
	// regional resources (rollout/instance.go).
	launchTags = 2
)

// reservedTagKeys are launch's own tags: a spec value would be overwritten.
var reservedTagKeys = []string{"launch:managed-by", "launch:instance"}

func (l *loader) validateTags(tags map[string]string) {
	if n := len(tags); n > maxTags-launchTags {
		l.report("tags", "%d tags are set; AWS allows %d per resource and launch adds its own %d (%s), so use at most %d", n, maxTags, launchTags, strings.Join(reservedTagKeys, ", "), maxTags-launchTags)
	}
	for _, k := range sortedKeys(tags) {
		p := joinKey("tags", k)
		n := utf8.RuneCountInString(k)
		switch {
		case n == 0 || n > 128:
			l.report(p, "tag key %s is %d characters long; use 1–128", quoteShort(k), n)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			l.report(p, `tag key %s starts with "aws:", which AWS reserves; rename it`, quoteShort(k))
		case slices.Contains(reservedTagKeys, k):
			l.report(p, "tag key %s is launch's own tag, which launch sets itself; rename it", quoteShort(k))
		case strings.HasPrefix(k, "launch:"):
			// launch reads every launch: tag as its own (role instance
			// records, the revision comparison ignores them).
			l.report(p, `tag key %s starts with "launch:", which launch reserves for its own tags; rename it`, quoteShort(k))
		case !tagCharsRe.MatchString(k):
			l.report(p, "tag key %s has a character AWS does not allow in tags; use letters, digits, spaces and _.:/=+-@", quoteShort(k))
		}
		v := tags[k]
		switch {
		case utf8.RuneCountInString(v) > 256:
			l.report(p, "the value of tag %s is %d characters long; use at most 256", quoteShort(k), utf8.RuneCountInString(v))
		case !tagCharsRe.MatchString(v):
			l.report(p, "the value of tag %s, %s, has a character AWS does not allow in tags; use letters, digits, spaces and _.:/=+-@", quoteShort(k), quoteShort(v))
		}
	}
}

// validateImage checks the agent's image reference the way ECS and the
// registry will read it (internal/imageref: the OCI distribution reference
// grammar, at most 255 characters).
func (l *loader) validateImage(path, image string) {
	switch {
	case image == "":
		l.report(path, "the agent has no image; set image to the container image, such as the one Matillion Hub shows for the agent")
	case strings.IndexFunc(image, unicode.IsSpace) >= 0:
		l.report(path, "image %s contains whitespace; write the image reference alone, such as public.ecr.aws/org/name:tag", quoteShort(image))
	default:
		if msg := imageref.Check(image); msg != "" {
			l.report(path, "%s", msg)
		}
	}
}

// validateInlinePolicySize checks IAM's quota on a role's inline policies
// together: 10,240 characters, whitespace not counted (IAM User Guide, "IAM
// and AWS STS quotas"; FIELD-NOTES.md).
func (l *loader) validateInlinePolicySize(ps []InlinePolicy) {
	const maxInlineChars = 10240
	docs := make([]string, 0, len(ps))
	for _, p := range ps {
		docs = append(docs, p.Document)
	}
	if n := policyDocsSize(docs); n > maxInlineChars {
		l.report("taskRole.inlinePolicies", "the inline policies together are %d characters (whitespace not counted); IAM allows %d per role: shorten them, or move some into a managed policy and list its ARN under managedPolicies", n, maxInlineChars)
	}
}
