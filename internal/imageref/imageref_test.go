package imageref

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	valid := []string{
		"busybox",
		"public.ecr.aws/x/y:tag",
		"public.ecr.aws/matillion/etl-agent:current",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/r@sha256:" + strings.Repeat("0a", 32),
		"localhost:5000/a/b",
		"mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019",
		"amazon/aws-for-fluent-bit:2.31.12",
	}
	for _, img := range valid {
		if msg := Check(img); msg != "" {
			t.Errorf("Check(%q) = %q, want valid", img, msg)
		}
	}
	invalid := map[string]string{
		"MyOrg/Agent::latest":           "invalid reference format",
		"Busybox":                       "repository name must be lowercase",
		"":                              "the image is empty",
		"a/" + strings.Repeat("b", 812): "814 characters long; ECS takes at most 255",
		"nginx:la test":                 "invalid reference format",
		"repo@sha256:abc":               "invalid",
	}
	for img, want := range invalid {
		if msg := Check(img); !strings.Contains(msg, want) {
			t.Errorf("Check(%q) = %q, want it to contain %q", img, msg, want)
		}
	}
}
