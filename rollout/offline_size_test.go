package rollout_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// A task size Fargate does not run is refused offline with what to do: at
// the base file's line of the value (cpu or memory) the base writes, or,
// for a value launch filled in (its default memory, the base giving only
// cpu), at the agent in the spec.
func TestOfflineRefusesABaseSizeFargateDoesNotRun(t *testing.T) {
	tests := map[string]struct {
		size, want string // the base's cpu and memory members; the problem, relative to the directory
	}{
		"memory": {`"cpu": "256",` + "\n" + `  "memory": "8192"`, "base.json:5:3: memory: the task's memory 8192 does not fit cpu 256 on Fargate; use one of 512, 1024, 2048 (MiB), or change cpu"},
		"cpu":    {`"cpu": "300",` + "\n" + `  "memory": "1024"`, "base.json:4:3: cpu: the task's cpu 300 is not a Fargate task size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384 (CPU units, 1024 = 1 vCPU)"},
		"launch's default memory": {`"cpu": "4096"`, "deploy.yaml:6: agents[0]: task definition memory: the task's memory 4096 does not fit cpu 4096 on Fargate; use one of " +
			"8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456, 20480, 21504, 22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720 (MiB), or change cpu"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			base := "{\n  \"family\": \"agent\",\n  \"containerDefinitions\": [{\"name\": \"agent\", \"image\": \"x\", \"essential\": true}],\n  " + tc.size + "\n}\n"
			yaml := "region: us-east-1\ncluster: {name: apps}\ntaskRole: {name: t}\nexecutionRole: {name: e}\nagents:\n" +
				"  - name: agent\n    image: example.com/agent:1\n    baseTaskDefinition: base.json\n    network: {subnets: [subnet-0a1b2c3d]}\n"
			for file, data := range map[string]string{"base.json": base, "deploy.yaml": yaml} {
				if err := os.WriteFile(filepath.Join(dir, file), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sp, err := spec.Load(filepath.Join(dir, "deploy.yaml"), func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := rollout.CheckOffline(sp); err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(filepath.Join(dir, tc.want), got); diff != "" {
				t.Errorf("CheckOffline (-want +got):\n%s", diff)
			}
		})
	}
}
