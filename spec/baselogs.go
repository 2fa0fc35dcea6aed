package spec

import (
	"bytes"
	"encoding/json"
)

// baseLogGroup makes a.Logs.Group the log group the agent's final task
// definition logs to, when the spec does not set logs.group itself: the
// awslogs-group of the agent's container in the base, or "" when that
// container uses another log driver (FireLens, splunk, …) and the spec does
// not set logs.streamPrefix either (which switches it to awslogs). Everything
// that creates, reads, grants or deletes the agent's log group uses
// a.Logs.Group, so it follows the task definition taskdef.Build makes from
// the same precedence: explicit spec value > base > launch's default.
func baseLogGroup(a *Agent) {
	if a.IsSet("logs.group") {
		return
	}
	lc := baseLogConfiguration(a.BaseTaskDefinitionJSON, a.Container)
	switch {
	case lc == nil: // no logConfiguration: launch's awslogs default
	case lc.LogDriver == "awslogs":
		if g := lc.Options["awslogs-group"]; g != "" {
			a.Logs.Group = g
		}
	case !a.IsSet("logs.streamPrefix"):
		// The spec leaves the base's other driver as it is (logs.group or
		// logs.streamPrefix would switch it to awslogs; retentionDays alone
		// only concerns the log group).
		a.Logs.Group = ""
	}
}

type logConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

// baseLogConfiguration returns the logConfiguration of the container named
// container in a base task definition (the object itself or the
// {"taskDefinition": {…}} wrapper that describe-task-definition prints), or
// nil when it has none.
func baseLogConfiguration(data []byte, container string) *logConfiguration {
	type containerDef struct {
		Name             string            `json:"name"`
		LogConfiguration *logConfiguration `json:"logConfiguration"`
	}
	var td struct {
		TaskDefinition *struct {
			ContainerDefinitions []containerDef `json:"containerDefinitions"`
		} `json:"taskDefinition"`
		ContainerDefinitions []containerDef `json:"containerDefinitions"`
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if json.Unmarshal(data, &td) != nil {
		return nil
	}
	defs := td.ContainerDefinitions
	if td.TaskDefinition != nil {
		defs = td.TaskDefinition.ContainerDefinitions
	}
	for _, d := range defs {
		if d.Name == container {
			return d.LogConfiguration
		}
	}
	return nil
}
