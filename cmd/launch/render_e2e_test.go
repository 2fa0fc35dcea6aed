package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
)

// recordingProxy forwards every request to the emulator and keeps the body of
// each RegisterTaskDefinition request exactly as the launch binary sent it
// (the harness's own request log keeps only service and action, never bodies).
type recordingProxy struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{}
	forward := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".RegisterTaskDefinition") {
			p.mu.Lock()
			p.bodies = append(p.bodies, body)
			p.mu.Unlock()
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *recordingProxy) registered() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.bodies...)
}

// render prints exactly the document deploy sends as RegisterTaskDefinition's
// body, on a real AWS task definition whose command and environment hold <, >
// and &: no HTML escaping, same keys, same list order, same values.
func TestRenderIsTheRegisteredRequest(t *testing.T) {
	w := newWorld(t)
	proxy := newRecordingProxy(t, w.env["AWS_ENDPOINT_URL"])
	dir := t.TempDir()

	// The AWS "Webserver" example (256/512, awslogs, a command with <html>
	// and &&) with environment values holding <, > and &.
	var base map[string]any
	if err := json.Unmarshal(mustRead(t, "../../taskdef/testdata/base/fargate-webserver-256.json"), &base); err != nil {
		t.Fatal(err)
	}
	c := base["containerDefinitions"].([]any)[0].(map[string]any)
	c["environment"] = []any{
		map[string]any{"name": "GREETING", "value": "<b>hello</b> & welcome"},
		map[string]any{"name": "CHECK", "value": "test -f /ok && echo 1 > /tmp/x"},
	}
	b, err := json.MarshalIndent(base, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "base.json"), b)
	spec := fmt.Sprintf(`cluster: {name: web, create: true}
taskRole: {name: web-task}
executionRole: {name: web-execution}
secrets:
  creds: %s
agents:
  - name: web
    image: public.ecr.aws/docker/library/httpd:2.4.62
    baseTaskDefinition: base.json
    environment: {MODE: "a<b && c>d"}
    secrets:
      CLIENT_ID: {secret: creds, key: client_id}
    network:
      subnets: [%s, %s]
      securityGroups: [%s]
`, w.secretARN, w.env["SUBNET_1"], w.env["SUBNET_2"], w.env["SECURITY_GROUP"])
	specPath := filepath.Join(dir, "deploy.yaml")
	write(t, specPath, []byte(spec))

	// render offline (no endpoint is contacted), with the account whose role
	// ARNs deploy will use: moto's default account.
	who, err := sts.NewFromConfig(w.cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	rendered := w.launch("render", specPath, "--agent", "web", "--account", aws.ToString(who.Account), "--region", w.cfg.Region)
	if rendered.code != 0 {
		t.Fatalf("render: exit %d\n%s", rendered.code, rendered.stderr)
	}
	out := []byte(rendered.stdout)
	for _, esc := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if bytes.Contains(out, []byte(esc)) {
			t.Errorf("render HTML-escapes: found %s in\n%s", esc, out)
		}
	}
	for _, lit := range []string{"<html>", "&& httpd-foreground", "<b>hello</b> & welcome", "echo 1 > /tmp/x"} {
		if !bytes.Contains(out, []byte(lit)) {
			t.Errorf("render lost %q:\n%s", lit, out)
		}
	}

	w.env["AWS_ENDPOINT_URL"] = proxy.URL
	deployed := w.launch(specPath, "--output", "json")
	if deployed.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", deployed.code, deployed.stderr)
	}
	bodies := proxy.registered()
	if len(bodies) != 1 {
		t.Fatalf("%d RegisterTaskDefinition requests, want 1", len(bodies))
	}
	// The SDK writes the same document compactly and with its own key order
	// inside objects, so compare the decoded documents: every key, value and
	// list order must be the same.
	var gotRendered, gotSent any
	if err := json.Unmarshal(out, &gotRendered); err != nil {
		t.Fatalf("render output is not JSON: %v\n%s", err, out)
	}
	if err := json.Unmarshal(bodies[0], &gotSent); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, bodies[0])
	}
	if d := cmp.Diff(gotSent, gotRendered); d != "" {
		t.Errorf("render differs from the RegisterTaskDefinition request deploy sent (-sent +rendered):\n%s", d)
	}

	// The base's own values came through: its 256/512 size and log group.
	sent := gotSent.(map[string]any)
	logOpts := sent["containerDefinitions"].([]any)[0].(map[string]any)["logConfiguration"].(map[string]any)["options"].(map[string]any)
	if sent["cpu"] != "256" || sent["memory"] != "512" || logOpts["awslogs-group"] != "/ecs/fargate-task-definition" {
		t.Errorf("registered cpu %v memory %v log group %v; want the base's 256, 512, /ecs/fargate-task-definition", sent["cpu"], sent["memory"], logOpts["awslogs-group"])
	}
	if a := deployed.report.Agents[0]; a.LogGroup.Name != "/ecs/fargate-task-definition" {
		t.Errorf("log group launch created: %q, want the base's /ecs/fargate-task-definition", a.LogGroup.Name)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
