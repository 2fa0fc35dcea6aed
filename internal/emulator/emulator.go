// Package emulator is the Go tests' client of the launch AWS emulator harness
// (test/emulator: moto 5.2.5 in server mode plus test controls under /_harness/).
//
// Start it with `make emulator-start` (or `make -f test/emulator/emulator.mk emulator-start`
// from the repo root) and export AWS_ENDPOINT_URL=http://127.0.0.1:4566. Without an
// endpoint the tests that use it skip, unless LAUNCH_REQUIRE_EMULATOR=1, where they fail.
//
// Integration tests must not depend on each other's state: call NewHarness(t).Reset(t) at
// the start of each test, and run integration packages with `go test -p 1`.
package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

const startHint = `start the emulator with "make emulator-start" (or "make -f test/emulator/emulator.mk emulator-start" from the repo root), then export AWS_ENDPOINT_URL=http://127.0.0.1:4566`

// DefaultRegion is used when AWS_REGION is unset.
const DefaultRegion = "us-east-1"

var (
	probeMu    sync.Mutex
	probeCache = map[string]error{}
)

func requireEmulator() bool { return os.Getenv("LAUNCH_REQUIRE_EMULATOR") == "1" }
func requireHarness() bool  { return requireEmulator() && os.Getenv("LAUNCH_REQUIRE_HARNESS") == "1" }

// probe reports whether anything answers HTTP at endpoint within ~2s (cached per process).
func probe(endpoint string) error {
	probeMu.Lock()
	defer probeMu.Unlock()
	if err, ok := probeCache[endpoint]; ok {
		return err
	}
	err := func() error {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" {
			return fmt.Errorf("AWS_ENDPOINT_URL %q is not a URL", endpoint)
		}
		c := &http.Client{Timeout: 2 * time.Second}
		resp, err := c.Get(strings.TrimRight(endpoint, "/") + "/_harness/health")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil // any HTTP answer counts as reachable
	}()
	probeCache[endpoint] = err
	return err
}

// Endpoint returns AWS_ENDPOINT_URL when it answers; otherwise it skips the test with a
// message that says how to start the emulator, or fails it when LAUNCH_REQUIRE_EMULATOR=1.
//
// With LAUNCH_TEST_REAL_AWS=1 and no AWS_ENDPOINT_URL the tests run against the AWS account
// of the SDK's default credential chain (a sandbox account); Endpoint then returns "".
func Endpoint(t testing.TB) string {
	t.Helper()
	ep := strings.TrimRight(os.Getenv("AWS_ENDPOINT_URL"), "/")
	if ep == "" && RealAWS() {
		return ""
	}
	if ep == "" {
		skipOrFail(t, requireEmulator(), "AWS_ENDPOINT_URL is not set: "+startHint)
		return ""
	}
	if err := probe(ep); err != nil {
		skipOrFail(t, requireEmulator(), fmt.Sprintf("no emulator answers at AWS_ENDPOINT_URL=%s (%v): %s", ep, err, startHint))
		return ""
	}
	return ep
}

// RealAWS reports whether the tests were asked to run against real AWS.
func RealAWS() bool { return os.Getenv("LAUNCH_TEST_REAL_AWS") == "1" }

func skipOrFail(t testing.TB, fail bool, msg string) {
	t.Helper()
	if fail {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Config returns an aws.Config for the endpoint, loaded with config.LoadDefaultConfig as the
// launch binary does: region from AWS_REGION or us-east-1; credentials from the environment,
// static test/test when AWS_ACCESS_KEY_ID is unset; BaseEndpoint set to the endpoint.
func Config(t testing.TB) aws.Config {
	t.Helper()
	ep := Endpoint(t)
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = DefaultRegion
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" && ep != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		t.Fatalf("emulator: load AWS config: %v", err)
	}
	if ep != "" {
		cfg.BaseEndpoint = aws.String(ep)
	}
	return cfg
}

// Harness controls the launch moto harness (request log, latency, faults, ECS simulation).
type Harness struct {
	Endpoint string
	client   *http.Client
}

// Health is the answer of GET /_harness/health.
type Health struct {
	Harness string `json:"harness"`
	Moto    string `json:"moto"`
	// LocalStack is the LocalStack version on the LocalStack lane, "" on moto.
	LocalStack string `json:"localstack"`
}

// NewHarness returns a client for the harness controls. When the endpoint is not the launch
// harness (no /_harness/health) the test skips, or fails when LAUNCH_REQUIRE_EMULATOR=1 and
// LAUNCH_REQUIRE_HARNESS=1.
func NewHarness(t testing.TB) *Harness {
	t.Helper()
	ep := Endpoint(t)
	if ep == "" { // real AWS: no harness
		skipOrFail(t, requireHarness(), "needs the launch test harness for "+t.Name()+
			" (state reset, fault injection, ECS deployment simulation), which real AWS does not have")
		return nil
	}
	h := &Harness{Endpoint: ep, client: &http.Client{Timeout: 60 * time.Second}}
	var health Health
	if err := h.do(http.MethodGet, "/_harness/health", nil, &health); err != nil || health.Harness != "launch" {
		reason := "no /_harness/health"
		if err != nil {
			reason = err.Error()
		}
		skipOrFail(t, requireHarness(), fmt.Sprintf(
			"needs the launch moto harness for %s (fault injection, latency, request log, ECS deployment simulation); %s is not it (%s): %s",
			t.Name(), ep, reason, startHint))
		return nil
	}
	return h
}

func (h *Harness) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.Endpoint+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, path, data, err)
		}
	}
	return nil
}

func (h *Harness) must(t testing.TB, method, path string, in, out any) {
	t.Helper()
	if err := h.do(method, path, in, out); err != nil {
		t.Fatalf("emulator harness: %v", err)
	}
}

// Reset wipes moto's state and the harness's (faults, latency, failing images, request
// log, ECS deployment state) and restores the defaults (deployments take 2s).
func (h *Harness) Reset(t testing.TB) {
	t.Helper()
	h.must(t, http.MethodPost, "/_harness/reset", map[string]any{}, nil)
}

// Health returns the harness and moto versions.
func (h *Harness) Health(t testing.TB) Health {
	t.Helper()
	var out Health
	h.must(t, http.MethodGet, "/_harness/health", nil, &out)
	return out
}

// SetLatency adds d to every AWS request (0 removes it).
func (h *Harness) SetLatency(t testing.TB, d time.Duration) {
	t.Helper()
	h.must(t, http.MethodPost, "/_harness/latency", map[string]any{"ms": float64(d) / float64(time.Millisecond)}, nil)
}

// Fault makes the next Count requests of Action fail with an AWS error shaped as the
// service's protocol does (query XML, EC2 XML or JSON with x-amzn-ErrorType).
type Fault struct {
	Action  string `json:"action"`            // e.g. "CreateRole", "DescribeSecret", "UpdateService"
	Service string `json:"service,omitempty"` // optional SigV4 service name filter: "iam", "ecs", ...
	Count   int    `json:"count"`             // default 1
	Status  int    `json:"status"`            // HTTP status, default 400 (use 500/503 for server faults)
	Code    string `json:"code"`              // e.g. "Throttling", "ThrottlingException", "ServiceUnavailable"
	Message string `json:"message,omitempty"` // default: Code
	// Kind is FaultError ("", the default) or FaultDropAfterResponse; the
	// latter needs no Code.
	Kind string `json:"kind,omitempty"`
}

// Fault kinds.
const (
	// FaultError answers the request with an AWS error instead of the backend.
	FaultError = "error"
	// FaultDropAfterResponse lets the backend serve the request (its change is
	// made), then closes the connection without the answer: a reply lost on
	// the network, which the SDK retries.
	FaultDropAfterResponse = "drop-after-response"
)

// DropAfterResponse arms a FaultDropAfterResponse for the next count
// requests of action.
func (h *Harness) DropAfterResponse(t testing.TB, action string, count int) {
	t.Helper()
	h.InjectFault(t, Fault{Action: action, Count: count, Kind: FaultDropAfterResponse})
}

// InjectFault arms a fault; faults for the same action are consumed in order.
func (h *Harness) InjectFault(t testing.TB, f Fault) {
	t.Helper()
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Status == 0 {
		f.Status = 400
	}
	h.must(t, http.MethodPost, "/_harness/faults", f, nil)
}

// ClearFaults disarms every pending fault.
func (h *Harness) ClearFaults(t testing.TB) {
	t.Helper()
	h.must(t, http.MethodDelete, "/_harness/faults", nil, nil)
}

// MarkImageFailing makes every ECS task whose task definition has a container with this
// image fail to start (stopCode TaskFailedToStart, container exit code 1). reason is the
// tasks' stoppedReason; "" uses the default ResourceInitializationError … AccessDeniedException
// on secretsmanager:GetSecretValue.
func (h *Harness) MarkImageFailing(t testing.TB, image, reason string) {
	t.Helper()
	h.MarkImageFailingExit(t, image, reason, 1)
}

// MarkImageFailingExit is MarkImageFailing with the containers' exit code.
func (h *Harness) MarkImageFailingExit(t testing.TB, image, reason string, exitCode int) {
	t.Helper()
	h.must(t, http.MethodPost, "/_harness/ecs/failing-images",
		map[string]any{"image": image, "reason": reason, "exitCode": exitCode}, nil)
}

// MarkImageCrashing makes every ECS task with this image start, write lines to
// its container's awslogs stream (<prefix>/<container>/<task id>, when the log
// group exists) and exit with exitCode: stopCode EssentialContainerExited,
// stoppedReason "Essential container in task exited".
func (h *Harness) MarkImageCrashing(t testing.TB, image string, exitCode int, lines ...string) {
	t.Helper()
	h.must(t, http.MethodPost, "/_harness/ecs/failing-images",
		map[string]any{"image": image, "exitCode": exitCode, "logs": lines}, nil)
}

// MarkImageUnhealthy makes the containers with this image and a healthCheck
// run with healthStatus UNHEALTHY; ECS then replaces their tasks.
func (h *Harness) MarkImageUnhealthy(t testing.TB, image string) {
	t.Helper()
	h.must(t, http.MethodPost, "/_harness/ecs/unhealthy-images", map[string]any{"image": image}, nil)
}

// ClearFailingImages lets every image start again (the cause was fixed).
func (h *Harness) ClearFailingImages(t testing.TB) {
	t.Helper()
	h.must(t, http.MethodDelete, "/_harness/ecs/failing-images", nil, nil)
}

// SetDeploymentDuration sets how long an ECS deployment takes to complete or fail.
func (h *Harness) SetDeploymentDuration(t testing.TB, d time.Duration) {
	t.Helper()
	h.must(t, http.MethodPost, "/_harness/ecs", map[string]any{"deploymentSeconds": d.Seconds()}, nil)
}

// SetValidation turns the harness's request validation on or off. With it on (the default,
// restored by Reset) every AWS request is checked against the AWS service model botocore
// ships (required and unknown members, enums, lengths, ranges, patterns) and IAM policy
// documents against IAM's grammar and size quotas; a violation is answered as AWS answers it
// (ECS ClientException/InvalidParameterException, IAM ValidationError/MalformedPolicyDocument,
// …) and never reaches moto. Turn it off only to reach moto's own behaviour.
func (h *Harness) SetValidation(t testing.TB, enabled bool) {
	t.Helper()
	h.must(t, http.MethodPost, "/_harness/validation", map[string]any{"enabled": enabled}, nil)
}

// Request is one AWS request the emulator received, in order. Only service and action are
// recorded, never parameters or values.
type Request struct {
	Service  string `json:"service"`
	Action   string `json:"action"`
	Injected bool   `json:"injected,omitempty"` // answered by an injected fault
}

// Requests returns the request log since the last Reset or ClearRequests.
func (h *Harness) Requests(t testing.TB) []Request {
	t.Helper()
	var out []Request
	h.must(t, http.MethodGet, "/_harness/requests", nil, &out)
	return out
}

// TimedRequest is a Request with when the emulator received it and when its
// answer was ready, in seconds since the Unix epoch (the emulator's clock).
type TimedRequest struct {
	Request
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	Throttled bool    `json:"throttled,omitempty"` // answered ThrottlingException by SetThrottle's bucket
}

// TimedRequests returns the request log with each request's start and end.
func (h *Harness) TimedRequests(t testing.TB) []TimedRequest {
	t.Helper()
	var out []TimedRequest
	h.must(t, http.MethodGet, "/_harness/requests", nil, &out)
	return out
}

// SetThrottle throttles action as AWS does: a token bucket of burst
// requests refilled at rate per second; a request finding it empty is
// answered ThrottlingException (400). Reset clears it.
func (h *Harness) SetThrottle(t testing.TB, action string, burst int, rate float64) {
	t.Helper()
	h.must(t, http.MethodPost, "/_harness/throttle", map[string]any{"action": action, "burst": burst, "rate": rate}, nil)
}

// ClearRequests empties the request log.
func (h *Harness) ClearRequests(t testing.TB) {
	t.Helper()
	h.must(t, http.MethodDelete, "/_harness/requests", nil, nil)
}

// CountActions counts requests by "service:Action" (e.g. "iam:CreateRole").
func CountActions(reqs []Request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		out[r.Service+":"+r.Action]++
	}
	return out
}

// Network is a VPC with two subnets in different AZs and one security group.
type Network struct {
	VPCID          string
	Subnets        []string
	SecurityGroups []string
}

var netSeq struct {
	sync.Mutex
	n int
}

// CreateNetwork creates a VPC, two subnets in different availability zones and a security
// group through the SDK (moto's ECS checks Fargate services' subnets and groups exist).
func CreateNetwork(t testing.TB, cfg aws.Config) Network {
	t.Helper()
	ctx := context.Background()
	c := ec2.NewFromConfig(cfg)
	netSeq.Lock()
	netSeq.n++
	n := netSeq.n
	netSeq.Unlock()
	azs, err := c.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatalf("emulator: DescribeAvailabilityZones: %v", err)
	}
	if len(azs.AvailabilityZones) < 2 {
		t.Fatalf("emulator: region %s has %d availability zones, need 2", cfg.Region, len(azs.AvailabilityZones))
	}
	// A random 10.x.0.0/16 per network; on an endpoint that is not reset
	// between tests (or that checks CIDR overlap across VPCs) a range may
	// be taken already, so try another one.
	var out Network
	for attempt := 0; ; attempt++ {
		var err error
		out, err = createVPC(ctx, c, rand.IntN(250)+1, azs.AvailabilityZones[:2])
		if err == nil {
			break
		}
		if attempt == 9 || !strings.Contains(err.Error(), "Conflict") && !strings.Contains(err.Error(), "InvalidVpc.Range") {
			t.Fatalf("emulator: %v", err)
		}
	}
	vpcID := out.VPCID
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:   aws.String(fmt.Sprintf("launch-test-%d-%d", n, time.Now().UnixNano())),
		Description: aws.String("launch integration test"),
		VpcId:       aws.String(vpcID),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSecurityGroup,
			Tags:         []ec2types.Tag{{Key: aws.String("launch-test"), Value: aws.String(t.Name())}},
		}},
	})
	if err != nil {
		t.Fatalf("emulator: CreateSecurityGroup: %v", err)
	}
	out.SecurityGroups = []string{aws.ToString(sg.GroupId)}
	return out
}

// CreateSecret creates a Secrets Manager secret holding jsonValue (encrypted with kmsKeyID
// when not empty) and returns its full ARN (with the 6-character suffix).
func CreateSecret(t testing.TB, cfg aws.Config, name, jsonValue, kmsKeyID string) string {
	t.Helper()
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(jsonValue)}
	if kmsKeyID != "" {
		in.KmsKeyId = aws.String(kmsKeyID)
	}
	out, err := secretsmanager.NewFromConfig(cfg).CreateSecret(context.Background(), in)
	if err != nil {
		t.Fatalf("emulator: CreateSecret %s: %v", name, err)
	}
	return aws.ToString(out.ARN)
}

// createVPC creates a VPC 10.<second>.0.0/16 with one /24 subnet per zone.
func createVPC(ctx context.Context, c *ec2.Client, second int, zones []ec2types.AvailabilityZone) (Network, error) {
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(fmt.Sprintf("10.%d.0.0/16", second))})
	if err != nil {
		return Network{}, fmt.Errorf("CreateVpc: %w", err)
	}
	out := Network{VPCID: aws.ToString(vpc.Vpc.VpcId)}
	for i, az := range zones {
		sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId:            vpc.Vpc.VpcId,
			CidrBlock:        aws.String(fmt.Sprintf("10.%d.%d.0/24", second, i+1)),
			AvailabilityZone: az.ZoneName,
		})
		if err != nil {
			return Network{}, fmt.Errorf("CreateSubnet: %w", err)
		}
		out.Subnets = append(out.Subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	return out, nil
}
