package ghactions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputsAndSummary(t *testing.T) {
	dir := t.TempDir()
	env := FromEnv(func(k string) string {
		return map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"), "GITHUB_OUTPUT": filepath.Join(dir, "output")}[k]
	})
	if err := env.SetOutputs(map[string]string{"b": "2", "a": "1", "multi": "x\ny"}); err != nil {
		t.Fatal(err)
	}
	if err := env.AppendSummary("# hello"); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "output"))
	lines := strings.Split(string(out), "\n")
	if lines[0] != "a=1" || lines[1] != "b=2" || !strings.HasPrefix(lines[2], "multi<<launch_") || lines[3] != "x" || lines[4] != "y" || lines[5] != strings.TrimPrefix(lines[2], "multi<<") {
		t.Errorf("outputs file:\n%s", out)
	}
	sum, _ := os.ReadFile(filepath.Join(dir, "summary"))
	if string(sum) != "# hello\n" {
		t.Errorf("summary %q", sum)
	}
}

func TestDisabledOutsideActions(t *testing.T) {
	dir := t.TempDir()
	env := FromEnv(func(k string) string {
		return map[string]string{"GITHUB_OUTPUT": filepath.Join(dir, "output")}[k]
	})
	if err := env.SetOutputs(map[string]string{"a": "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "output")); !os.IsNotExist(err) {
		t.Error("wrote outputs outside GitHub Actions")
	}
}

func TestErrorCommandEscapes(t *testing.T) {
	if got := ErrorCommand("50% failed\nsee below"); got != "::error::50%25 failed%0Asee below" {
		t.Errorf("got %q", got)
	}
}

func TestAnnotationPlacesAndEscapes(t *testing.T) {
	tests := map[string]Annotation{
		"::error file=deploy.yaml,line=3,col=5::agents[0].cpu: 100%25 wrong%0Aline two": {File: "deploy.yaml", Line: 3, Col: 5, Message: "agents[0].cpu: 100% wrong\nline two"},
		"::error file=a%3Ab%2Cc.yaml,line=7::m":                                         {File: "a:b,c.yaml", Line: 7, Message: "m"},
		"::error file=base.json::no line":                                               {File: "base.json", Col: 4, Message: "no line"},
		"::error::bad%0D%0A::warning::x":                                                {Message: "bad\r\n::warning::x"},
	}
	for want, a := range tests {
		if got := a.String(); got != want {
			t.Errorf("%+v: got %q, want %q", a, got, want)
		}
	}
}

// Text written through a Writer can never become a workflow command; what
// Command writes is passed as is.
func TestWriterMakesCommandsInert(t *testing.T) {
	var out strings.Builder
	w := NewWriter(&out)
	w.Write([]byte("12:00:01 error: bad\n::warning::pwned\n  ::set-output name=x::y\r::add-mask::z\n"))
	w.Write([]byte("a ##[error]b\n:"))
	w.Write([]byte(":warning::split across writes\n"))
	w.Command(Annotation{Message: "real"}.String())
	w.Write([]byte("{\"message\": \"##[x\"}"))
	w.Flush()
	want := "12:00:01 error: bad\n:%3Awarning::pwned\n  :%3Aset-output name=x::y\r:%3Aadd-mask::z\n" +
		"a ##\\u005berror]b\n:%3Awarning::split across writes\n::error::real\n{\"message\": \"##\\u005bx\"}"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}
