package rollout

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/launchdeploy/launch/spec"
)

// platform.os written in the spec wins over the base task definition's
// operating system (the architecture, not written, stays the base's).
func TestRenderTakesTheSpecsOperatingSystemOverTheBase(t *testing.T) {
	base, err := filepath.Abs(filepath.Join("..", "taskdef", "testdata", "base", "windows-iis-2019-core.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc := "cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\ndefaults:\n  network: {subnets: [subnet-1]}\nagents:\n" +
		"  - name: agent\n    image: i:1\n    baseTaskDefinition: " + base + "\n    platform: {os: WINDOWS_SERVER_2022_CORE}\n"
	sp, err := spec.Parse("deploy.yaml", []byte(doc), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := Render(sp, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	rp := rendered[0].Input.RuntimePlatform
	if rp == nil || rp.OperatingSystemFamily != "WINDOWS_SERVER_2022_CORE" || rp.CpuArchitecture != "X86_64" {
		t.Errorf("runtimePlatform %+v, want WINDOWS_SERVER_2022_CORE (the spec's) on X86_64 (the base's)", rp)
	}
}

// Render refuses a base task definition that does not decode (a misspelt
// key spec.Load lets through; cmd/launch runs CheckOffline first), naming
// the agent, the base file and the key, rather than rendering without it.
func TestRenderRefusesABaseThatDoesNotDecode(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "base.json"), []byte(`{"family":"x","containerDefinitions":[{"name":"agent","image":"x","essentail":true}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := "cluster: {name: c}\ntaskRole: {name: t}\nexecutionRole: {name: e}\ndefaults:\n  network: {subnets: [subnet-1]}\nagents:\n" +
		"  - name: agent\n    image: i:1\n    baseTaskDefinition: base.json\n"
	sp, err := spec.Parse(filepath.Join(dir, "deploy.yaml"), []byte(doc), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := Render(sp, "eu-west-1")
	want := "agent agent: base task definition base.json: decode base task definition: 1:67: containerDefinitions[0].essentail: unknown key; did you mean essential?"
	if err == nil || err.Error() != want {
		t.Errorf("Render: %v, %v\nwant the error %s", rendered, err, want)
	}
}
