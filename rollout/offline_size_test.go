package rollout_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// A task size Fargate does not run, from a base task definition, is refused
// offline at the base file's line of the value (cpu or memory), with what
// to do.
func TestOfflineRefusesABaseSizeFargateDoesNotRun(t *testing.T) {
	tests := map[string]struct {
		cpu, memory, want string
	}{
		"memory": {`"256"`, `"8192"`, "base.json:5:3: memory: the task's memory 8192 does not fit cpu 256 on Fargate; use one of 512, 1024, 2048 (MiB), or change cpu"},
		"cpu":    {`"300"`, `"1024"`, "base.json:4:3: cpu: the task's cpu 300 is not a Fargate task size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384 (CPU units, 1024 = 1 vCPU)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			base := "{\n  \"family\": \"agent\",\n  \"containerDefinitions\": [{\"name\": \"agent\", \"image\": \"x\", \"essential\": true}],\n" +
				"  \"cpu\": " + tc.cpu + ",\n  \"memory\": " + tc.memory + "\n}\n"
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
			err = rollout.CheckOffline(sp)
			got := ""
			if err != nil {
				got = err.Error()
			}
			want := filepath.Join(dir, tc.want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("CheckOffline (-want +got):\n%s", diff)
			}
		})
	}
}
