package spec

import (
	"fmt"
	"strings"
	"testing"
)

// spec builds a spec from a valid one: top replaces top-level keys (given
// whole, in flow style), agent adds keys to the one agent.
func specWith(top map[string]string, agent string) string {
	keys := []string{"region", "cluster", "tags", "taskRole", "executionRole", "secrets", "rollout"}
	vals := map[string]string{
		"cluster":       "{name: c}",
		"taskRole":      "{name: task}",
		"executionRole": "{name: exec}",
		"secrets":       "{creds: app/creds}",
	}
	for k, v := range top {
		vals[k] = v
	}
	var b strings.Builder
	for _, k := range keys {
		if v, ok := vals[k]; ok {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	a := "{name: a, image: i, network: {subnets: [subnet-1]}"
	if agent != "" {
		a += ", " + agent
	}
	b.WriteString("agents: [" + a + "}]\n")
	if v, ok := top["agents"]; ok {
		b.Reset()
		for _, k := range keys {
			if v, ok := vals[k]; ok {
				b.WriteString(k + ": " + v + "\n")
			}
		}
		b.WriteString("agents: " + v + "\n")
	}
	return b.String()
}

func TestValidationRules(t *testing.T) {
	tests := map[string]struct {
		top   map[string]string
		agent string
		path  string // the problem's path
		want  string // part of its message
	}{
		"cluster name missing":            {top: map[string]string{"cluster": "{create: true}"}, path: "cluster.name", want: "cluster name is missing"},
		"cluster name invalid":            {top: map[string]string{"cluster": "{name: a.b}"}, path: "cluster.name", want: `"a.b" is not a valid ECS cluster name`},
		"cluster name too long":           {top: map[string]string{"cluster": "{name: " + strings.Repeat("c", 256) + "}"}, path: "cluster.name", want: "not a valid ECS cluster name"},
		"region":                          {top: map[string]string{"region": "Ireland"}, path: "region", want: `"Ireland" is not an AWS region name`},
		"task role missing":               {top: map[string]string{"taskRole": "{}"}, path: "taskRole.name", want: "taskRole name is missing"},
		"task role invalid":               {top: map[string]string{"taskRole": "{name: 'a b'}"}, path: "taskRole.name", want: `"a b" is not a valid IAM role name`},
		"execution role too long":         {top: map[string]string{"executionRole": "{name: " + strings.Repeat("r", 65) + "}"}, path: "executionRole.name", want: "65 characters long"},
		"execution role missing":          {top: map[string]string{"executionRole": "{grantAllSecrets: true}"}, path: "executionRole.name", want: "executionRole name is missing"},
		"same role names":                 {top: map[string]string{"executionRole": "{name: task}"}, path: "executionRole.name", want: "different names"},
		"trusted service":                 {top: map[string]string{"taskRole": "{name: t, trustedServices: [ec2]}"}, path: "taskRole.trustedServices[0]", want: `"ec2" is not an AWS service principal`},
		"managed policy arn":              {top: map[string]string{"taskRole": "{name: t, managedPolicies: ['arn:aws:iam::1:policy/x']}"}, path: "taskRole.managedPolicies[0]", want: "is not an IAM policy ARN"},
		"managed policy path":             {top: map[string]string{"executionRole": "{name: e, managedPolicies: ['/x y']}"}, path: "executionRole.managedPolicies[0]", want: "neither an IAM policy ARN"},
		"inline policy name":              {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: "a b", document: '{"Statement":[]}'}]}`}, path: "taskRole.inlinePolicies[0].name", want: `"a b" is not a valid IAM policy name`},
		"inline policy name missing":      {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{document: '{"Statement":[]}'}]}`}, path: "taskRole.inlinePolicies[0].name", want: "has no name"},
		"inline policy duplicate":         {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement":[]}'}, {name: p, document: '{"Statement":[]}'}]}`}, path: "taskRole.inlinePolicies[1].name", want: "already defined"},
		"inline policy bad json":          {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement":'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "is not valid JSON: unexpected end of JSON input at line 1, column 13 of the document"},
		"inline policy both":              {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, file: p.json, document: '{}'}]}`}, path: "taskRole.inlinePolicies[0]", want: "both file and document"},
		"inline policy missing file":      {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, file: p.json}]}`}, path: "taskRole.inlinePolicies[0].file", want: "p.json does not exist"},
		"tag aws prefix":                  {top: map[string]string{"tags": "{'AWS:x': y}"}, path: `tags["AWS:x"]`, want: "AWS reserves"},
		"tag key too long":                {top: map[string]string{"tags": "{" + strings.Repeat("k", 129) + ": v}"}, path: "tags." + strings.Repeat("k", 129), want: "129 characters long; use 1–128"},
		"tag value too long":              {top: map[string]string{"tags": "{k: " + strings.Repeat("v", 257) + "}"}, path: "tags.k", want: "257 characters long; use at most 256"},
		"secret name":                     {top: map[string]string{"secrets": "{creds: 'a b'}"}, path: "secrets.creds", want: "is not a Secrets Manager secret name"},
		"secret arn":                      {top: map[string]string{"secrets": "{creds: 'arn:aws:secretsmanager:eu-west-1:1:secret:x'}"}, path: "secrets.creds", want: "is not a Secrets Manager secret ARN"},
		"secret empty":                    {top: map[string]string{"secrets": "{creds: ''}"}, path: "secrets.creds", want: "the secret is empty"},
		"no agents":                       {top: map[string]string{"agents": "[]"}, path: "agents", want: "there are no agents"},
		"duplicate agents":                {top: map[string]string{"agents": "[{name: a, image: i, network: {subnets: [subnet-1]}}, {name: a, image: i, network: {subnets: [subnet-1]}}]"}, path: "agents[1].name", want: `agent name "a" is already used by agents[0]`},
		"agent name missing":              {top: map[string]string{"agents": "[{image: i, network: {subnets: [subnet-1]}}]"}, path: "agents[0].name", want: "has no name"},
		"agent name invalid":              {top: map[string]string{"agents": "[{name: a.b, image: i, network: {subnets: [subnet-1]}}]"}, path: "agents[0].name", want: `"a.b" is not a valid ECS service`},
		"image missing":                   {top: map[string]string{"agents": "[{name: a, network: {subnets: [subnet-1]}}]"}, path: "agents[0].image", want: "has no image"},
		"image whitespace":                {top: map[string]string{"agents": "[{name: a, image: 'x y', network: {subnets: [subnet-1]}}]"}, path: "agents[0].image", want: "contains whitespace"},
		"container":                       {agent: "container: a/b", path: "agents[0].container", want: `"a/b" is not a valid container name`},
		"cpu":                             {agent: "cpu: 3000", path: "agents[0].cpu", want: "cpu 3000 is not a Fargate task size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384"},
		"memory 256":                      {agent: "cpu: 256, memory: 4096", path: "agents[0].memory", want: "use one of 512, 1024, 2048 (MiB)"},
		"memory 512":                      {agent: "cpu: 512, memory: 512", path: "agents[0].memory", want: "use one of 1024, 2048, 3072, 4096 (MiB)"},
		"memory 2048 step":                {agent: "cpu: 2048, memory: 4500", path: "agents[0].memory", want: "does not fit cpu 2048"},
		"memory 4096 top":                 {agent: "cpu: 4096, memory: 31744", path: "agents[0].memory", want: "does not fit cpu 4096"},
		"memory 8192 step":                {agent: "cpu: 8192, memory: 17408", path: "agents[0].memory", want: "16384, 20480"},
		"memory 16384 step":               {agent: "cpu: 16384, memory: 36864", path: "agents[0].memory", want: "32768, 40960"},
		"windows 8192":                    {agent: "cpu: 8192, memory: 16384, platform: {os: WINDOWS_SERVER_2019_CORE}", path: "agents[0].cpu", want: "not available for WINDOWS_SERVER_2019_CORE"},
		"windows 512":                     {agent: "cpu: 512, memory: 1024, platform: {os: WINDOWS_SERVER_2022_FULL}", path: "agents[0].cpu", want: "use one of 1024, 2048, 4096"},
		"os":                              {agent: "platform: {os: WINDOWS}", path: "agents[0].platform.os", want: `"WINDOWS" is not an operating system family`},
		"architecture":                    {agent: "platform: {architecture: arm64}", path: "agents[0].platform.architecture", want: `"arm64" is not a CPU architecture`},
		"arm64 windows":                   {agent: "platform: {os: WINDOWS_SERVER_2025_FULL, architecture: ARM64}", path: "agents[0].platform.architecture", want: "ARM64 runs only on LINUX"},
		"environment name":                {agent: "environment: {A-B: x}", path: "agents[0].environment.A-B", want: "not a valid environment variable name"},
		"secret variable name":            {agent: "secrets: {9A: {secret: creds}}", path: "agents[0].secrets.9A", want: "not a valid environment variable name"},
		"variable twice":                  {agent: "environment: {X: y}, secrets: {X: {secret: creds}}", path: "agents[0].secrets.X", want: "both under environment and under secrets"},
		"undeclared secret":               {agent: "secrets: {X: {secret: nope}}", path: "agents[0].secrets.X.secret", want: `uses secret "nope" which is not declared under secrets:; declare it, e.g. secrets: {nope: my/secret/name}`},
		"secret ref empty":                {agent: "secrets: {X: {key: k}}", path: "agents[0].secrets.X.secret", want: "no secret is named"},
		"log group":                       {agent: "logs: {group: 'a b'}", path: "agents[0].logs.group", want: "is not a valid log group name"},
		"log group too long":              {agent: "logs: {group: " + strings.Repeat("g", 513) + "}", path: "agents[0].logs.group", want: "is not a valid log group name"},
		"retention":                       {agent: "logs: {retentionDays: 0}", path: "agents[0].logs.retentionDays", want: "0 is not a retention CloudWatch Logs accepts"},
		"stream prefix empty":             {agent: "logs: {streamPrefix: ''}", path: "agents[0].logs.streamPrefix", want: "stream prefix is empty"},
		"stream prefix chars":             {agent: "logs: {streamPrefix: 'a:b'}", path: "agents[0].logs.streamPrefix", want: "not a valid log stream prefix"},
		"no subnets":                      {top: map[string]string{"agents": "[{name: a, image: i}]"}, path: "agents[0].network.subnets", want: "has no subnets"},
		"subnet id":                       {top: map[string]string{"agents": "[{name: a, image: i, network: {subnets: [vpc-1]}}]"}, path: "agents[0].network.subnets[0]", want: `"vpc-1" is not a subnet ID`},
		"too many subnets":                {top: map[string]string{"agents": "[{name: a, image: i, network: {subnets: [" + strings.Repeat("subnet-1, ", 16) + "subnet-1]}}]"}, path: "agents[0].network.subnets", want: "17 subnets"},
		"security group id":               {top: map[string]string{"agents": "[{name: a, image: i, network: {subnets: [subnet-1], securityGroups: [default]}}]"}, path: "agents[0].network.securityGroups[0]", want: `"default" is not a security group ID`},
		"desired count":                   {agent: "service: {desiredCount: -2}", path: "agents[0].service.desiredCount", want: "desiredCount -2 is negative"},
		"min percent":                     {agent: "service: {minimumHealthyPercent: -1}", path: "agents[0].service.minimumHealthyPercent", want: "outside 0–100"},
		"max percent low":                 {agent: "service: {maximumPercent: 99}", path: "agents[0].service.maximumPercent", want: "maximumPercent 99 is outside 100–200"},
		"max percent high":                {agent: "service: {maximumPercent: 201}", path: "agents[0].service.maximumPercent", want: "outside 100–200"},
		"deployment stuck":                {agent: "service: {desiredCount: 3, minimumHealthyPercent: 100, maximumPercent: 133}", path: "agents[0].service.maximumPercent", want: "keeps 3 task(s) running and maximumPercent 133 allows 3"},
		"deployment stuck at scale":       {agent: "service: {desiredCount: 100, minimumHealthyPercent: 100, maximumPercent: 100}", path: "agents[0].service.maximumPercent", want: "keeps 100 task(s) running and maximumPercent 100 allows 100"},
		"wait timeout":                    {agent: "waitTimeout: 0s", path: "agents[0].waitTimeout", want: "is not positive"},
		"wait timeout as a mapping":       {agent: "waitTimeout: {minutes: 15}", path: "agents[0].waitTimeout", want: "a duration such as 15m"},
		"image grammar":                   {top: map[string]string{"agents": "[{name: a, image: 'MyOrg/Agent::latest', network: {subnets: [subnet-1]}}]"}, path: "agents[0].image", want: `"MyOrg/Agent::latest" is not a valid image reference (invalid reference format)`},
		"image uppercase":                 {top: map[string]string{"agents": "[{name: a, image: Busybox, network: {subnets: [subnet-1]}}]"}, path: "agents[0].image", want: "repository name must be lowercase"},
		"image too long":                  {top: map[string]string{"agents": "[{name: a, image: a/" + strings.Repeat("b", 812) + ", network: {subnets: [subnet-1]}}]"}, path: "agents[0].image", want: "814 characters long; ECS takes at most 255"},
		"49 tags":                         {top: map[string]string{"tags": "{" + manyTags(49) + "}"}, path: "tags", want: "49 tags are set; AWS allows 50 per resource and launch adds its own 2 (launch:managed-by, launch:instance), so use at most 48"},
		"tag value character":             {top: map[string]string{"tags": "{team: 'data;ops'}"}, path: "tags.team", want: `the value of tag "team", "data;ops", has a character AWS does not allow`},
		"tag key character":               {top: map[string]string{"tags": "{'team#1': data}"}, path: `tags["team#1"]`, want: `tag key "team#1" has a character AWS does not allow`},
		"launch's own tag":                {top: map[string]string{"tags": "{'launch:instance': x}"}, path: `tags["launch:instance"]`, want: "is launch's own tag"},
		"a launch: prefix":                {top: map[string]string{"tags": "{'launch:team': x}"}, path: `tags["launch:team"]`, want: `starts with "launch:", which launch reserves`},
		"policy without effect":           {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": [{"Action": "s3:GetObject", "Resource": "*"}]}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "the policy document at 1:16: Statement[0]: the statement has no Effect"},
		"policy without resource":         {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Allow", "Action": "s3:GetObject"}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "Statement: the statement has no Resource (or NotResource)"},
		"policy with principal":           {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "Statement.Principal: an inline role policy names no Principal"},
		"policy with notprincipal":        {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:*", "Resource": "*"}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "Statement.NotPrincipal: an inline role policy names no NotPrincipal: it applies to the role it is attached to; remove NotPrincipal"},
		"policy version":                  {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Version": "2012-10-18", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: `Version: "2012-10-18" is not a policy language version`},
		"policy unknown key":              {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, "Statement": []}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "statement: unknown key in an IAM policy (did you mean Statement?)"},
		"policy action and notaction":     {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Deny", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "the statement has both Action and NotAction"},
		"policy sid":                      {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Sid": "read-only", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: `Sid "read-only" is not made of letters and digits`},
		"policy condition":                {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": "x"}}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "condition operator StringEquals holds a string"},
		"policy statement as text":        {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Version": "2012-10-17", "Statement": "Allow s3:GetObject"}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "the policy document at 1:27: Statement: Statement is a string; write one statement object or a list of them"},
		"policy statement not an object":  {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Version": "2012-10-17", "Statement": ["s3:GetObject"]}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "Statement[0]: a statement is a string; write an object with Effect, Action and Resource"},
		"policy action as an object":      {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Allow", "Action": {"s3": "GetObject"}, "Resource": "*"}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "Statement.Action: the value is an object; write a string or a list of strings"},
		"rollout without waves":           {top: map[string]string{"rollout": "{bakeTime: 5m}"}, path: "rollout.waves", want: "the rollout has no waves; list them"},
		"wave just over 100%":             {top: map[string]string{"rollout": "{waves: [101%]}"}, path: "rollout.waves[0]", want: "101% is more than 100%"},
		"a number too large":              {top: map[string]string{"agents": `[{name: a, image: i, network: {subnets: [subnet-1]}, service: {desiredCount: 3000000000}}]`}, path: "agents[0].service.desiredCount", want: `"3000000000" is too large a number; every number in a spec is below 2147483648`},
		"a list for a single value":       {top: map[string]string{"agents": `[{name: a, image: [i, j], network: {subnets: [subnet-1]}}]`}, path: "agents[0].image", want: "want a single value, got a list; write it on the same line as its key"},
		"a list for true or false":        {top: map[string]string{"cluster": "{name: c, create: [true]}"}, path: "cluster.create", want: "want true or false, got a list"},
		"a list for a map":                {top: map[string]string{"tags": "[team, data]"}, path: "tags", want: "want a mapping, got a list; write key: value lines indented under the key"},
		"a number for a mapping":          {top: map[string]string{"agents": `[{name: a, image: i, network: 5}]`}, path: "agents[0].network", want: "want a mapping, got the number 5; write key: value lines indented under the key"},
		"a list as a key":                 {top: map[string]string{"tags": "{[a, b]: c}"}, path: "tags", want: "a key must be a plain word, got a list; write key: value"},
		"true for a mapping":              {top: map[string]string{"agents": `[{name: a, image: i, network: true}]`}, path: "agents[0].network", want: "want a mapping, got true;"},
		"a quoted << key is no merge key": {agent: `environment: {"<<": x}`, path: `agents[0].environment["<<"]`, want: `"<<" is not a valid environment variable name`},
		"policy number out of range":      {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": {"NumericLessThanEquals": {"s3:max-keys": 1e400}}}}'}]}`}, path: "taskRole.inlinePolicies[0].document", want: "the policy document is not valid JSON: json: cannot unmarshal number 1e400 into Go value of type float64; fix the JSON"},
		"inline policies one over":        {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": ["` + strings.Repeat("r", 10177) + `"]}}'}]}`}, path: "taskRole.inlinePolicies", want: "the inline policies together are 10241 characters"},
		"image with a leading space":      {top: map[string]string{"agents": `[{name: a, image: " nginx", network: {subnets: [subnet-1]}}]`}, path: "agents[0].image", want: `image " nginx" contains whitespace`},
		"inline policies too large":       {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": ["` + strings.Repeat("r", 10300) + `"]}}'}]}`}, path: "taskRole.inlinePolicies", want: "the inline policies together are 10364 characters"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			y := specWith(tt.top, tt.agent)
			_, err := Parse("t.yaml", []byte(y), t.TempDir(), nil)
			if err == nil {
				t.Fatalf("no error for\n%s", y)
			}
			errs := err.(Errors)
			for _, p := range errs {
				if p.Path == tt.path && strings.Contains(p.Message, tt.want) {
					if p.Line == 0 && tt.path != "agents" && !strings.HasPrefix(tt.path, "cluster") && !strings.HasPrefix(tt.path, "taskRole.name") && !strings.HasPrefix(tt.path, "executionRole.name") {
						t.Errorf("problem has no line: %s", p)
					}
					if len(errs) != 1 {
						t.Errorf("want exactly one problem, got:\n%v", err)
					}
					return
				}
			}
			t.Errorf("want a problem at %s containing %q, got:\n%v\nspec:\n%s", tt.path, tt.want, err, y)
		})
	}
}

// TestValidBoundaries checks values at the edges of what AWS accepts.
func TestValidBoundaries(t *testing.T) {
	tests := map[string]struct {
		top   map[string]string
		agent string
	}{
		"smallest task":                       {agent: "cpu: 256, memory: 512"},
		"largest task":                        {agent: "cpu: 16384, memory: 122880"},
		"8 vCPU":                              {agent: "cpu: 8192, memory: 61440"},
		"4 vCPU top":                          {agent: "cpu: 4096, memory: 30720"},
		"arm64":                               {agent: "platform: {architecture: ARM64}"},
		"windows":                             {agent: "cpu: 4096, memory: 8192, platform: {os: WINDOWS_SERVER_2025_CORE}"},
		"longest retention":                   {agent: "logs: {retentionDays: 3653}"},
		"a number with a plus sign":           {agent: "cpu: +1024, memory: 2048"},
		"core schema tags":                    {agent: "environment: {RATIO: !!float 1.5, COUNT: !!int 3, NAME: !!str x, ON: !!bool true}"},
		"inline policies at IAM's limit":      {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": ["` + strings.Repeat("r", 10176) + `"]}}'}]}`}},
		"log group shared with one retention": {top: map[string]string{"agents": "[{name: a, image: i, network: {subnets: [subnet-1]}, logs: {group: /ecs/shared, retentionDays: 30}}, {name: b, image: i, network: {subnets: [subnet-1]}, logs: {group: /ecs/shared, retentionDays: 30}}]"}},
		"two tasks rolling":                   {agent: "service: {desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 200}"},
		"stopped service":                     {agent: "service: {desiredCount: 0, minimumHealthyPercent: 100, maximumPercent: 100}"},
		"whole secret":                        {agent: "secrets: {TOKEN: {secret: creds}}"},
		"secret partial arn":                  {top: map[string]string{"secrets": "{creds: 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:app/creds'}"}},
		"policy arns":                         {top: map[string]string{"taskRole": "{name: t, managedPolicies: ['arn:aws-cn:iam::123456789012:policy/team/x', AdministratorAccess, service-role/AmazonECSTaskExecutionRolePolicy]}"}},
		"china principal":                     {top: map[string]string{"taskRole": "{name: t, trustedServices: [ecs-tasks.amazonaws.com.cn]}"}},
		"role name characters":                {top: map[string]string{"taskRole": "{name: 'a+b=c,d.e@f_g-h'}"}},
		"log group characters":                {agent: "logs: {group: '/a/b.c_d-e#f'}"},
		"tags":                                {top: map[string]string{"tags": "{team: data, empty: '', 'cost centre/é': 'a b_c.d:e/f=g+h-i@j'}"}},
		"48 tags":                             {top: map[string]string{"tags": "{" + manyTags(48) + "}"}},
		"image references":                    {top: map[string]string{"agents": "[{name: a, image: 'localhost:5000/a/b', network: {subnets: [subnet-1]}}, {name: b, image: busybox, network: {subnets: [subnet-1]}}, {name: c, image: 'public.ecr.aws/x/y:tag', network: {subnets: [subnet-1]}}, {name: d, image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/r@sha256:" + strings.Repeat("0a", 32) + "', network: {subnets: [subnet-1]}}]"}},
		// Policies written by the AWS Policy Generator and many public
		// examples give every statement "Sid": "": empty Sids never clash.
		"empty sids":     {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Allow", "Action": "es:ESHttpGet", "Resource": "*"}, {"Sid": "", "Effect": "Allow", "Action": "es:ESHttpHead", "Resource": "*"}]}'}]}`}},
		"policy grammar": {top: map[string]string{"taskRole": `{name: t, inlinePolicies: [{name: p, document: '{"Version": "2008-10-17", "Id": "x", "Statement": [{"Sid": "Read1", "Effect": "Deny", "NotAction": ["s3:Get*"], "NotResource": "*", "Condition": {"Bool": {"aws:SecureTransport": false}, "StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-west-2"]}}}]}'}, {name: q, document: '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}'}]}`}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			y := specWith(tt.top, tt.agent)
			if _, err := Parse("t.yaml", []byte(y), t.TempDir(), nil); err != nil {
				t.Errorf("Parse:\n%v\nspec:\n%s", err, y)
			}
		})
	}
}

// manyTags is n tags in YAML flow style: t0: v, t1: v, …
func manyTags(n int) string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%d: v", i)
	}
	return strings.Join(tags, ", ")
}

// A policy value quoted in a message is cut after 57 characters of its JSON
// when the whole is longer than 60, so a message stays one line.
func TestJSONShortCutsLongValues(t *testing.T) {
	sixty := strings.Repeat("a", 58) // "aaa…" is 60 characters of JSON
	sixtyOne := strings.Repeat("a", 59)
	if got := jsonShort(sixty); got != `"`+sixty+`"` {
		t.Errorf("60 characters: %q", got)
	}
	if got := jsonShort(sixtyOne); got != `"`+sixtyOne[:56]+"…" {
		t.Errorf("61 characters: %q", got)
	}
}
