package rollout

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/launchdeploy/launch/internal/awsconf"
	"github.com/launchdeploy/launch/preflight"
	"github.com/launchdeploy/launch/roles"
	"github.com/launchdeploy/launch/secrets"
)

// Report is what a run did, printed as JSON with --output json. Every field
// is filled as the run goes, so a failed run still reports what it changed.
type Report struct {
	Spec      string            `json:"spec"`
	Identity  Identity          `json:"identity"`
	Command   string            `json:"command"` // deploy or rollback
	Result    string            `json:"result"`  // succeeded, failed, rolled back, timed out, interrupted, invalid
	Error     string            `json:"error,omitempty"`
	Roles     []roles.Result    `json:"roles"`
	Secrets   []secrets.Secret  `json:"secrets"`
	Preflight *preflight.Result `json:"preflight,omitempty"`
	Cluster   ClusterReport     `json:"cluster"`
	Agents    []*AgentReport    `json:"agents"`
	// Waves are the rollout's waves, in order; empty without rollout.waves.
	Waves   []*WaveReport `json:"waves,omitempty"`
	Seconds float64       `json:"durationSeconds"`
	Calls   CallsReport   `json:"awsCalls"`

	mu        sync.Mutex
	startedAt time.Time
}

// ClusterReport is the cluster's part of a Report.
type ClusterReport struct {
	Name   string `json:"name"`
	ARN    string `json:"arn,omitempty"`
	Action string `json:"action"`
}

// AgentReport is one agent's part of a Report.
type AgentReport struct {
	Name           string         `json:"name"`
	LogGroup       LogGroupReport `json:"logGroup"`
	TaskDefinition TaskDefReport  `json:"taskDefinition"`
	Service        ServiceReport  `json:"service"`
	// Wave is the agent's wave (1-based; 0: in none, nothing to change);
	// EndedOn is the revision the agent was left on and Why says why. Set
	// only for a rollout in waves.
	Wave    int    `json:"wave,omitempty"`
	EndedOn string `json:"endedOn,omitempty"`
	Why     string `json:"why,omitempty"`
}

// WaveReport is one wave of a rollout.
type WaveReport struct {
	Index   int      `json:"index"` // 1-based
	Agents  []string `json:"agents"`
	Outcome string   `json:"outcome"` // pending, passed, failed, interrupted, not started, skipped
	// StartedAt is when the wave's first write started; PassedAt when it
	// passed its gate.
	StartedAt *time.Time `json:"startedAt,omitempty"`
	PassedAt  *time.Time `json:"passedAt,omitempty"`
}

func (r *Report) addWave(index int, agents []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if agents == nil {
		agents = []string{}
	}
	r.Waves = append(r.Waves, &WaveReport{Index: index, Agents: agents, Outcome: "pending"})
}

// ended records which revision agent name was left on, and why.
func (r *Report) ended(name string, wave int, arn, why string) {
	a := r.agent(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	a.Wave, a.EndedOn, a.Why = wave, arn, why
}

// LogGroupReport says what happened to a log group.
type LogGroupReport struct {
	Name          string `json:"name"`
	Action        string `json:"action"`
	RetentionDays int    `json:"retentionDays"`
}

// TaskDefReport says which revision the agent runs and whether it is new.
type TaskDefReport struct {
	Family   string `json:"family"`
	ARN      string `json:"arn"`
	Revision int    `json:"revision"`
	Action   string `json:"action"` // registered or reused
	Reused   bool   `json:"reused"`
}

// ServiceReport says what happened to a service and its deployment.
type ServiceReport struct {
	Name         string   `json:"name"`
	ARN          string   `json:"arn,omitempty"`
	Action       string   `json:"action"` // created, updated or unchanged
	Changes      []string `json:"changes,omitempty"`
	DeploymentID string   `json:"deploymentId,omitempty"`
	RolloutState string   `json:"rolloutState,omitempty"`
	RunningCount int      `json:"runningCount"`
	DesiredCount int      `json:"desiredCount"`
	Outcome      string   `json:"outcome,omitempty"` // completed, failed, rolled back, timed out, interrupted
	WaitSeconds  float64  `json:"waitSeconds"`
	// FailedTaskLogs is the failed deployment's newest stopped task that ran:
	// its stopped reason and last log lines.
	FailedTaskLogs *TaskLogs `json:"failedTaskLogs,omitempty"`
}

// CallsReport is the AWS calls the run made.
type CallsReport struct {
	Reads       map[string]int `json:"reads"`
	Writes      map[string]int `json:"writes"`
	TotalReads  int            `json:"totalReads"`
	TotalWrites int            `json:"totalWrites"`
	// Levels counts the calls that had to wait for one another (see
	// awsconf.Calls.Levels): the run's round trips to AWS one after another.
	Levels int `json:"levels"`
}

// NewReport starts a report for the spec at path.
func NewReport(path string) *Report {
	return &Report{Spec: path, startedAt: time.Now(), Roles: []roles.Result{}, Secrets: []secrets.Secret{}, Agents: []*AgentReport{}}
}

func (r *Report) addRole(res roles.Result) {
	if res.Name == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Roles = append(r.Roles, res)
}

// mergeRole adds a later change of an already reported role.
func (r *Report) mergeRole(res roles.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.Roles {
		if r.Roles[i].Name == res.Name {
			r.Roles[i].Put = append(r.Roles[i].Put, res.Put...)
			r.Roles[i].Deleted = append(r.Roles[i].Deleted, res.Deleted...)
			if r.Roles[i].Action == "unchanged" {
				r.Roles[i].Action = "updated"
			}
			return
		}
	}
	r.Roles = append(r.Roles, res)
}

// setCluster records what became of the cluster.
func (r *Report) setCluster(c ClusterReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Cluster = c
}

func (r *Report) agent(name string) *AgentReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.Agents {
		if a.Name == name {
			return a
		}
	}
	a := &AgentReport{Name: name}
	r.Agents = append(r.Agents, a)
	return a
}

// Finish records the result, the duration and the calls made.
func (r *Report) Finish(result string, err error, calls awsconf.Calls) {
	r.Result = result
	if err != nil {
		r.Error = err.Error()
	}
	r.Seconds = time.Since(r.startedAt).Seconds()
	r.Calls = CallsReport{Reads: calls.Reads, Writes: calls.Writes, TotalReads: calls.TotalReads(), TotalWrites: calls.TotalWrites(), Levels: calls.Levels}
}

// Summary writes the short human summary printed on stderr at the end.
func (r *Report) Summary(w io.Writer) {
	fmt.Fprintf(w, "\nlaunch %s %s: %s in %.1fs\n", cmp.Or(r.Command, "deploy"), r.Spec, r.Result, r.Seconds)
	for _, role := range r.Roles {
		fmt.Fprintf(w, "  role %-40s %s\n", role.Name, role.Action)
	}
	if r.Cluster.Name != "" {
		fmt.Fprintf(w, "  cluster %-37s %s\n", r.Cluster.Name, r.Cluster.Action)
	}
	for _, wv := range r.Waves {
		fmt.Fprintf(w, "  wave %d %-38s %s\n", wv.Index, strings.Join(wv.Agents, ","), wv.Outcome)
	}
	for _, a := range r.Agents {
		td := a.TaskDefinition
		line := fmt.Sprintf("  agent %-39s task definition %s:%d %s", a.Name, td.Family, td.Revision, td.Action)
		if td.ARN == "" && a.Why != "" { // a wave that did not start
			line = fmt.Sprintf("  agent %-39s untouched", a.Name)
		}
		if a.Service.Action != "" {
			line += fmt.Sprintf(", service %s", a.Service.Action)
		}
		if r.Command == "rollback" {
			line = fmt.Sprintf("  agent %-39s rolled back to %s:%d", a.Name, td.Family, td.Revision)
			if a.Service.Action == "unchanged" {
				line = fmt.Sprintf("  agent %-39s already on %s:%d", a.Name, td.Family, td.Revision)
			}
		}
		if a.Service.Outcome != "" {
			line += fmt.Sprintf(", deployment %s", a.Service.Outcome)
		}
		switch {
		case a.Why != "" && a.EndedOn == "": // a service never created
			line += "; " + a.Why
		case a.Why != "":
			line += fmt.Sprintf("; ends on %s: %s", shortARN(a.EndedOn), a.Why)
		}
		fmt.Fprintln(w, line)
	}
	var writes []string
	for _, k := range awsconf.Keys(r.Calls.Writes) {
		writes = append(writes, fmt.Sprintf("%s×%d", k, r.Calls.Writes[k]))
	}
	ws := "none"
	if len(writes) > 0 {
		ws = strings.Join(writes, " ")
	}
	fmt.Fprintf(w, "  AWS calls: %d reads, %d writes (%s)\n", r.Calls.TotalReads, r.Calls.TotalWrites, ws)
}
