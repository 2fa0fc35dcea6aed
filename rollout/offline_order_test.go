package rollout

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/launchdeploy/launch/spec"
)

// Offline problems are listed by file, then line, then column, and a
// problem two agents share (one base file) is listed once.
func TestOfflineProblemsInFileOrderOnce(t *testing.T) {
	base := spec.Problem{File: "base.json", Line: 4, Column: 9, Path: "cpu", Message: "not a valid Fargate size"}
	errs := spec.Errors{
		{File: "deploy.yaml", Line: 12, Column: 5, Message: "c"},
		base,
		{File: "deploy.yaml", Line: 3, Column: 7, Message: "b"},
		{File: "deploy.yaml", Line: 3, Column: 2, Message: "a"},
		base,
		{File: "base.json", Line: 10, Column: 1, Message: "d"},
	}
	want := spec.Errors{
		base,
		{File: "base.json", Line: 10, Column: 1, Message: "d"},
		{File: "deploy.yaml", Line: 3, Column: 2, Message: "a"},
		{File: "deploy.yaml", Line: 3, Column: 7, Message: "b"},
		{File: "deploy.yaml", Line: 12, Column: 5, Message: "c"},
	}
	if diff := cmp.Diff(want, sortProblems(errs)); diff != "" {
		t.Errorf("sortProblems (-want +got):\n%s", diff)
	}
}
