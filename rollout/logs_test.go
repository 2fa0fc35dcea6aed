package rollout

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func awslogs(group, prefix string) *ecstypes.LogConfiguration {
	return &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": group, "awslogs-stream-prefix": prefix, "awslogs-region": "eu-west-1"}}
}

func TestAWSLogsOf(t *testing.T) {
	two := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []ecstypes.ContainerDefinition{
		{Name: aws.String("sidecar"), LogConfiguration: awslogs("/side", "s")},
		{Name: aws.String("agent"), LogConfiguration: awslogs("/ecs/agent", "ecs")},
	}}
	one := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), LogConfiguration: awslogs("/app", "p")}}}
	firelens := &ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("agent"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwsfirelens}}}}
	for name, tc := range map[string]struct {
		td        *ecs.RegisterTaskDefinitionInput
		container string
		ok        bool
		stream    string
		group     string
	}{
		"named container":          {two, "agent", true, "ecs/agent/t1", "/ecs/agent"},
		"the only container":       {one, "agent", true, "p/app/t1", "/app"},
		"unknown among several":    {two, "other", false, "", ""},
		"another driver":           {firelens, "agent", false, "", ""},
		"no task definition":       {nil, "agent", false, "", ""},
		"awslogs without a prefix": {&ecs.RegisterTaskDefinitionInput{ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("agent"), LogConfiguration: awslogs("/g", "")}}}, "agent", false, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			loc, ok := awslogsOf(tc.td, tc.container)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, loc)
			}
			if ok && (loc.stream("t1") != tc.stream || loc.group != tc.group) {
				t.Errorf("stream %s in %s, want %s in %s", loc.stream("t1"), loc.group, tc.stream, tc.group)
			}
		})
	}
}

func TestNewestInterleavesAndKeepsTheLast(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(1700000000+int64(s), 0) }
	lines := []LogLine{{Time: at(3), Message: "c"}, {Time: at(1), Message: "a"}, {Time: at(4), Message: "d"}, {Time: at(2), Message: "b"}}
	if got := messagesOf(newest(append([]LogLine(nil), lines...), 2)); got != "c d" {
		t.Errorf("limit 2: %q", got)
	}
	if got := messagesOf(newest(append([]LogLine(nil), lines...), 0)); got != "a b c d" {
		t.Errorf("no limit: %q", got)
	}
}

func messagesOf(lines []LogLine) string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Message)
	}
	return strings.Join(out, " ")
}

func TestTaskLogsText(t *testing.T) {
	tl := TaskLogs{Task: "0123456789abcdef", StoppedReason: "Essential container in task exited", Container: "agent", ExitCode: aws.Int32(2),
		Group: "/ecs/agent", Stream: "ecs/agent/0123456789abcdef",
		Lines: []LogLine{{Time: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Message: "error: invalid client secret"}}}
	want := "service orders: task 01234567 stopped: Essential container in task exited (container agent, exit code 2)\n" +
		"  last 1 log line(s) of ecs/agent/0123456789abcdef in /ecs/agent:\n" +
		"    03:04:05.006 error: invalid client secret"
	if got := tl.Text("orders"); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	tl.Lines, tl.Error = nil, "AccessDeniedException: not authorized to perform logs:GetLogEvents"
	if got := tl.Text("orders"); !strings.HasSuffix(got, "its log lines could not be read from /ecs/agent ecs/agent/0123456789abcdef: AccessDeniedException: not authorized to perform logs:GetLogEvents") {
		t.Errorf("text with a read error:\n%s", got)
	}
}
