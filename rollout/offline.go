package rollout

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/launchdeploy/launch/secrets"
	"github.com/launchdeploy/launch/spec"
	"github.com/launchdeploy/launch/taskdef"
)

// CheckOffline builds every agent's task definition the way Render does
// (offline: roles by name, secrets as written) and checks it against what
// ECS and Fargate refuse, so validate, render, plan and deploy all stop
// before the first AWS call on a task definition AWS would reject after the
// roles were already written. Its error is a spec.Errors (exit code 2)
// listing every problem: one in a base task definition names the base file,
// the JSON path and its line:column; one in a value launch set names the
// spec and the agent.
func CheckOffline(sp *spec.Spec) error {
	var errs spec.Errors
	for i, a := range sp.Agents {
		errs = append(errs, checkAgentOffline(sp, i, a)...)
	}
	if len(errs) == 0 {
		return nil
	}
	return sortProblems(errs)
}

func checkAgentOffline(sp *spec.Spec, i int, a spec.Agent) spec.Errors {
	var errs spec.Errors
	agentPath := fmt.Sprintf("agents[%d]", i)
	var file taskdef.BaseFile
	var baseName string
	var baseProblems []taskdef.Problem
	var base *ecs.RegisterTaskDefinitionInput
	if len(a.BaseTaskDefinitionJSON) > 0 {
		baseName = a.BaseTaskDefinition
		if !filepath.IsAbs(baseName) {
			baseName = filepath.Join(sp.Dir, baseName)
		}
		var err error
		base, err = taskdef.DecodeBase(a.BaseTaskDefinitionJSON)
		if err != nil {
			var de *taskdef.DecodeError
			if !errors.As(err, &de) {
				return spec.Errors{{File: baseName, Message: err.Error()}}
			}
			for _, p := range de.Problems {
				errs = append(errs, spec.Problem{File: baseName, Line: p.Line, Column: p.Column, Path: p.Path, Message: p.Message})
			}
			return errs
		}
		file = taskdef.LocateBase(a.BaseTaskDefinitionJSON)
		baseProblems = taskdef.CheckBase(base)
	}

	in, err := taskDefInput(sp, a, sp.Region, sp.TaskRole.Name, sp.ExecutionRole.Name, func(ref spec.SecretRef) string {
		return secrets.ValueFrom(sp.Secrets[ref.Secret], ref.Key)
	})
	if err != nil {
		return spec.Errors{{File: sp.Path, Line: a.Line, Path: agentPath, Message: err.Error()}}
	}
	td, err := taskdef.Build(in)
	if err != nil {
		return spec.Errors{{File: sp.Path, Line: a.Line, Path: agentPath, Message: err.Error()}}
	}
	problems := append(baseProblems, taskdef.Check(td)...)
	if cpu, err := strconv.Atoi(aws.ToString(td.Cpu)); err == nil {
		if mem, err := strconv.Atoi(aws.ToString(td.Memory)); err == nil {
			os := ""
			if td.RuntimePlatform != nil {
				os = string(td.RuntimePlatform.OperatingSystemFamily)
			}
			if msg := spec.FargateSize(os, cpu, mem); msg != "" {
				path := "memory"
				if strings.HasPrefix(msg, "cpu") {
					path = "cpu"
				}
				problems = append(problems, taskdef.Problem{Path: path, Message: "the task's " + msg})
			}
		}
	}

	for i, p := range problems {
		if i >= len(baseProblems) { // a path in the built definition, whose lists launch orders by name
			p.Path = inBase(p.Path, td, base)
		}
		if baseName != "" {
			if line, col, ok := locateNearest(file, p.Path); ok {
				errs = append(errs, spec.Problem{File: baseName, Line: line, Column: col, Path: file.Path(p.Path), Message: p.Message})
				continue
			}
		}
		// A value launch set from the spec (or a task without a base).
		errs = append(errs, spec.Problem{File: sp.Path, Line: a.Line, Path: agentPath,
			Message: fmt.Sprintf("task definition %s: %s", p.Path, p.Message)})
	}
	return errs
}

// inBase turns a path into the built task definition into the same path
// into the base: Build orders containers and volumes by name, so the index
// of a container or volume is looked up by its name. A path to something
// the base does not have is returned as it is.
func inBase(path string, built, base *ecs.RegisterTaskDefinitionInput) string {
	if base == nil {
		return path
	}
	var list string
	var i int
	if _, err := fmt.Sscanf(path, "containerDefinitions[%d]", &i); err == nil {
		list = "containerDefinitions"
	} else if _, err := fmt.Sscanf(path, "volumes[%d]", &i); err == nil {
		list = "volumes"
	} else {
		return path
	}
	prefix := fmt.Sprintf("%s[%d]", list, i)
	var names, baseNames []string
	if list == "containerDefinitions" {
		for _, c := range built.ContainerDefinitions {
			names = append(names, aws.ToString(c.Name))
		}
		for _, c := range base.ContainerDefinitions {
			baseNames = append(baseNames, aws.ToString(c.Name))
		}
	} else {
		for _, v := range built.Volumes {
			names = append(names, aws.ToString(v.Name))
		}
		for _, v := range base.Volumes {
			baseNames = append(baseNames, aws.ToString(v.Name))
		}
	}
	// i is in range: path comes from checking built itself.
	j := slices.Index(baseNames, names[i]) // an unnamed one: the base's first unnamed one
	if j < 0 {
		return path
	}
	return fmt.Sprintf("%s[%d]", list, j) + strings.TrimPrefix(path, prefix)
}

// locateNearest finds path in the base file, or else the nearest enclosing
// container or volume (the value was added by launch inside something the
// base wrote), never the whole document.
func locateNearest(file taskdef.BaseFile, path string) (int, int, bool) {
	for path != "" {
		if line, col, ok := file.Locate(path); ok {
			return line, col, true
		}
		// Up one level: "a.b[2].c", "a.b[2]", "a.b", "a", then none.
		path = path[:max(strings.LastIndexAny(path, ".["), 0)]
	}
	return 0, 0, false
}

// sortProblems orders problems by file, line and column and drops exact
// repeats (two agents sharing one base file report its problems once).
func sortProblems(errs spec.Errors) spec.Errors {
	seen := map[spec.Problem]bool{}
	out := errs[:0]
	for _, p := range errs {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}
