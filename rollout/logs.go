package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/launchdeploy/launch/internal/suggest"
	"github.com/launchdeploy/launch/loggroup"
	"github.com/launchdeploy/launch/service"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// LogsAPI is the part of CloudWatch Logs launch calls: the log groups'
// upkeep and reading the agents' log events. *cloudwatchlogs.Client
// satisfies it.
type LogsAPI interface {
	loggroup.API
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

var _ LogsAPI = (*cloudwatchlogs.Client)(nil)

// LogLine is one event an agent's container wrote.
type LogLine struct {
	Time    time.Time `json:"time"`
	Task    string    `json:"task"` // the task's ID, the stream name's last part
	Message string    `json:"message"`
}

// LogsReport is an agent's log lines, oldest first: what `launch logs` shows.
type LogsReport struct {
	Agent string `json:"agent"`
	// TaskDefinition is the revision whose awslogs configuration was read:
	// the one the service runs, else the family's newest.
	TaskDefinition string `json:"taskDefinition"`
	Group          string `json:"logGroup"`
	// StreamPrefix is what the container's streams start with:
	// <awslogs-stream-prefix>/<container>/ (each stream ends with a task ID).
	StreamPrefix string    `json:"streamPrefix"`
	Since        time.Time `json:"since,omitzero"` // zero: everything kept
	// Truncated is set when the window held more lines than the limit:
	// Lines are then the newest ones.
	Truncated bool      `json:"truncated"`
	Lines     []LogLine `json:"lines"`
}

// UnknownAgentError is a name that is no agent of the spec (a usage error).
type UnknownAgentError struct {
	Spec, Agent string
	Known       []string
}

func (e *UnknownAgentError) Error() string {
	msg := fmt.Sprintf("%s has no agent %q (agents: %s)", e.Spec, e.Agent, strings.Join(e.Known, ", "))
	if s := suggest.Closest(e.Agent, e.Known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// ErrNoAWSLogs is returned for an agent whose container does not log with
// the awslogs driver (a base's FireLens, splunk, …): launch cannot read it.
var ErrNoAWSLogs = errors.New("does not log to CloudWatch Logs (awslogs driver)")

// Logs reads the last limit lines (all when limit <= 0) the agent's container
// wrote in the last since (everything kept when since <= 0), from the
// awslogs group and streams of the task definition its service runs.
func Logs(ctx context.Context, c Clients, sp *spec.Spec, agent string, since time.Duration, limit int) (LogsReport, error) {
	a, err := findAgent(sp, agent)
	if err != nil {
		return LogsReport{}, err
	}
	rep := LogsReport{Agent: a.Name, Lines: []LogLine{}}
	td, err := liveTaskDefinition(ctx, c, sp, a)
	if err != nil {
		return rep, err
	}
	if td == nil {
		return rep, fmt.Errorf("agent %s has no task definition in %s yet: deploy it first", a.Name, c.Region)
	}
	rep.TaskDefinition = aws.ToString(td.Definition.TaskDefinitionArn)
	loc, ok := awslogsOf(taskdef.FromDescribed(td.Definition, nil), a.Container)
	if !ok {
		return rep, fmt.Errorf("agent %s (%s): container %s %w", a.Name, shortARN(rep.TaskDefinition), loc.container, ErrNoAWSLogs)
	}
	rep.Group, rep.StreamPrefix = loc.group, loc.streamPrefix()
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(loc.group), LogStreamNamePrefix: aws.String(rep.StreamPrefix)}
	if since > 0 {
		rep.Since = time.Now().Add(-since).UTC().Truncate(time.Millisecond)
		in.StartTime = aws.Int64(rep.Since.UnixMilli())
	}
	var lines []LogLine
	seen := map[string]bool{}
	for {
		out, err := c.Logs.FilterLogEvents(ctx, in)
		if err != nil {
			return rep, fmt.Errorf("read the logs of agent %s from log group %s: %w", a.Name, loc.group, err)
		}
		for _, e := range out.Events {
			stream := aws.ToString(e.LogStreamName)
			if !strings.HasPrefix(stream, rep.StreamPrefix) {
				continue // moto ignores logStreamNamePrefix
			}
			lines = append(lines, LogLine{Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Task: strings.TrimPrefix(stream, rep.StreamPrefix), Message: aws.ToString(e.Message)})
		}
		if limit > 0 && len(lines) > 2*limit { // keep memory bounded on a long window
			lines = newest(lines, limit)
			rep.Truncated = true
		}
		next := aws.ToString(out.NextToken)
		if next == "" || seen[next] {
			break
		}
		seen[next] = true
		in.NextToken = out.NextToken
	}
	if limit > 0 && len(lines) > limit {
		rep.Truncated = true
	}
	rep.Lines = newest(lines, limit)
	return rep, nil
}

// newest sorts lines by time (streams interleaved) and keeps the last limit.
func newest(lines []LogLine, limit int) []LogLine {
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	if limit > 0 && len(lines) > limit {
		lines = lines[len(lines)-limit:]
	}
	return lines
}

// Text renders the lines one per line: time, task ID, message.
func (r LogsReport) Text() string {
	var b strings.Builder
	for _, l := range r.Lines {
		fmt.Fprintf(&b, "%s %s %s\n", l.Time.Format("2006-01-02T15:04:05.000Z07:00"), shortTask(l.Task), l.Message)
	}
	return b.String()
}

// Summary says where the lines come from, for stderr.
func (r LogsReport) Summary() string {
	what := fmt.Sprintf("%d line(s)", len(r.Lines))
	if r.Truncated {
		what = "the newest " + what
	}
	window := "everything kept"
	if !r.Since.IsZero() {
		window = "since " + r.Since.Format(time.RFC3339)
	}
	return fmt.Sprintf("agent %s: %s from log group %s, streams %s* (%s), %s", r.Agent, what, r.Group, r.StreamPrefix, shortARN(r.TaskDefinition), window)
}

// shortTask is the first 8 characters of a task ID, as the ECS console shows.
func shortTask(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func findAgent(sp *spec.Spec, name string) (spec.Agent, error) {
	var known []string
	for _, a := range sp.Agents {
		if a.Name == name {
			return a, nil
		}
		known = append(known, a.Name)
	}
	return spec.Agent{}, &UnknownAgentError{Spec: sp.Path, Agent: name, Known: known}
}

// liveTaskDefinition is the revision the agent's service runs, else the
// family's newest ACTIVE one; nil when there is neither.
func liveTaskDefinition(ctx context.Context, c Clients, sp *spec.Spec, a spec.Agent) (*taskdef.Current, error) {
	svc, err := service.Read(ctx, c.ECS, sp.Cluster.Name, a.Name)
	if err != nil {
		return nil, err
	}
	if arn := service.RunningTaskDefinition(svc); arn != "" {
		return taskdef.Describe(ctx, c.ECS, arn)
	}
	return taskdef.Latest(ctx, c.ECS, a.Name)
}

// awslogsLocation is where the awslogs driver writes a container's output:
// stream <prefix>/<container>/<task ID> in group (AWS ECS developer guide,
// "Send Amazon ECS logs to CloudWatch").
type awslogsLocation struct {
	container, group, region, prefix string
}

func (l awslogsLocation) streamPrefix() string { return l.prefix + "/" + l.container + "/" }

func (l awslogsLocation) stream(taskID string) string { return l.streamPrefix() + taskID }

// awslogsOf finds the agent's container in td (the named one, else the only
// one) and its awslogs configuration; ok is false when it logs otherwise.
func awslogsOf(td *ecs.RegisterTaskDefinitionInput, container string) (awslogsLocation, bool) {
	loc := awslogsLocation{container: container}
	if td == nil {
		return loc, false
	}
	defs := td.ContainerDefinitions
	i := slices.IndexFunc(defs, func(d ecstypes.ContainerDefinition) bool { return aws.ToString(d.Name) == container })
	if i < 0 && len(defs) == 1 {
		i = 0
	}
	if i < 0 {
		return loc, false
	}
	loc.container = aws.ToString(defs[i].Name)
	lc := defs[i].LogConfiguration
	if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
		return loc, false
	}
	loc.group, loc.region, loc.prefix = lc.Options["awslogs-group"], lc.Options["awslogs-region"], lc.Options["awslogs-stream-prefix"]
	return loc, loc.group != "" && loc.prefix != ""
}

// FailureLogLines is how many of a failed task's last log lines deploy shows.
const FailureLogLines = 10

// TaskLogs is a stopped task's reason and its container's last log lines,
// shown when a deployment fails.
type TaskLogs struct {
	Task          string    `json:"task"` // task ID
	StoppedReason string    `json:"stoppedReason"`
	Container     string    `json:"container"`
	ExitCode      *int32    `json:"exitCode,omitempty"`
	Group         string    `json:"logGroup"`
	Stream        string    `json:"logStream"`
	Lines         []LogLine `json:"lines"`
	// Error says why the lines could not be read (best effort: it never
	// hides the deployment's own failure).
	Error string `json:"error,omitempty"`
}

// Text is the stopped reason and the lines indented below it.
func (t TaskLogs) Text(agent string) string {
	var b strings.Builder
	exit := ""
	if t.ExitCode != nil {
		exit = fmt.Sprintf(", exit code %d", *t.ExitCode)
	}
	fmt.Fprintf(&b, "service %s: task %s stopped: %s (container %s%s)", agent, shortTask(t.Task), t.StoppedReason, t.Container, exit)
	switch {
	case t.Error != "":
		fmt.Fprintf(&b, "\n  its log lines could not be read from %s %s: %s", t.Group, t.Stream, t.Error)
	case len(t.Lines) == 0:
		fmt.Fprintf(&b, "\n  its log stream %s in %s has no lines", t.Stream, t.Group)
	default:
		fmt.Fprintf(&b, "\n  last %d log line(s) of %s in %s:", len(t.Lines), t.Stream, t.Group)
		for _, l := range t.Lines {
			fmt.Fprintf(&b, "\n    %s %s", l.Time.Format("15:04:05.000"), l.Message)
		}
	}
	return b.String()
}

// failedTaskLogs reads the last FailureLogLines lines of the newest task of
// the failed deployment (err is a *service.RolloutError or
// *service.TimeoutError) whose container ran, reports them on out and
// returns them; nil when there is none or the container does not log to
// awslogs. It is best effort: a read failure is put in TaskLogs.Error.
func failedTaskLogs(ctx context.Context, c Clients, cluster string, ap AgentPlan, err error, out Reporter) *TaskLogs {
	var (
		re    *service.RolloutError
		te    *service.TimeoutError
		depID string
	)
	switch {
	case errors.As(err, &re):
		depID = re.DeploymentID
	case errors.As(err, &te):
		depID = te.DeploymentID
	default:
		return nil
	}
	loc, ok := awslogsOf(ap.TaskDef, ap.Agent.Container)
	if !ok {
		return nil
	}
	ctx = context.WithoutCancel(ctx) // also after a timeout
	task, ran := newestRanTask(ctx, c.ECS, cluster, ap.Agent.Name, depID)
	if !ran {
		return nil
	}
	tl := &TaskLogs{Task: taskID(task), StoppedReason: aws.ToString(task.StoppedReason), Container: loc.container,
		Group: loc.group, Stream: loc.stream(taskID(task)), Lines: []LogLine{}}
	for _, ct := range task.Containers {
		if aws.ToString(ct.Name) == loc.container {
			tl.ExitCode = ct.ExitCode
		}
	}
	got, gerr := c.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(loc.group),
		LogStreamName: aws.String(tl.Stream), StartFromHead: aws.Bool(false), Limit: aws.Int32(FailureLogLines)})
	if gerr != nil {
		tl.Error = gerr.Error()
	} else {
		for _, e := range got.Events {
			tl.Lines = append(tl.Lines, LogLine{Time: time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(), Task: tl.Task, Message: aws.ToString(e.Message)})
		}
		tl.Lines = newest(tl.Lines, FailureLogLines)
	}
	out.Printf("%s", tl.Text(ap.Agent.Name))
	return tl
}

// newestRanTask is the most recently stopped task of deployment depID whose
// containers started (a task that failed before, e.g. on a secret it could
// not read, has no logs).
func newestRanTask(ctx context.Context, api service.API, cluster, name, depID string) (ecstypes.Task, bool) {
	list, err := api.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(name), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil || len(list.TaskArns) == 0 {
		return ecstypes.Task{}, false
	}
	arns := list.TaskArns[:min(len(list.TaskArns), 100)]
	desc, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
	if err != nil {
		return ecstypes.Task{}, false
	}
	var best ecstypes.Task
	found := false
	for _, t := range desc.Tasks {
		if aws.ToString(t.StartedBy) != depID || t.StartedAt == nil {
			continue
		}
		if !found || aws.ToTime(t.StoppedAt).After(aws.ToTime(best.StoppedAt)) {
			best, found = t, true
		}
	}
	return best, found
}

func taskID(t ecstypes.Task) string {
	arn := aws.ToString(t.TaskArn)
	return arn[strings.LastIndex(arn, "/")+1:]
}
