package rollout_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/launchdeploy/launch/rollout"
	"github.com/launchdeploy/launch/spec"
)

// A size problem in a value launch filled in (its default memory, the base
// giving only cpu) has no line in the base file: it is named against the
// agent in the spec, with the value and what to do.
func TestOfflineNamesTheSpecForASizeTheBaseDoesNotWrite(t *testing.T) {
	dir := t.TempDir()
	base := "{\n  \"family\": \"agent\",\n  \"containerDefinitions\": [{\"name\": \"agent\", \"image\": \"x\", \"essential\": true}],\n  \"cpu\": \"4096\"\n}\n"
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
	want := filepath.Join(dir, "deploy.yaml") + ":6: agents[0]: task definition memory: the task's memory 4096 does not fit cpu 4096 on Fargate; use one of " +
		"8192, 9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384, 17408, 18432, 19456, 20480, 21504, 22528, 23552, 24576, 25600, 26624, 27648, 28672, 29696, 30720 (MiB), or change cpu"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckOffline (-want +got):\n%s", diff)
	}
}
