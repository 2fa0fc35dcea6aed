package awsconf

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestLevels(t *testing.T) {
	ms := func(start, end int) span {
		return span{time.Duration(start) * time.Millisecond, time.Duration(end) * time.Millisecond}
	}
	for _, tc := range []struct {
		name  string
		spans []span
		want  int
	}{
		{"no call", nil, 0},
		{"one call", []span{ms(0, 50)}, 1},
		{"calls made together count once", []span{ms(0, 50), ms(1, 52), ms(2, 40)}, 1},
		{"a call started after another ended waits for it", []span{ms(0, 50), ms(51, 100)}, 2},
		{"a call overlapping the end of another does not wait for it", []span{ms(0, 50), ms(49, 100)}, 1},
		{"longest chain wins", []span{ms(0, 10), ms(0, 100), ms(11, 20), ms(21, 30), ms(101, 150)}, 4},
		{"order of recording does not matter", []span{ms(101, 150), ms(21, 30), ms(11, 20), ms(0, 100), ms(0, 10)}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := levels(tc.spans); got != tc.want {
				t.Fatalf("levels = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSnapshotSplitsReadsFromWritesAndMeasuresLevels(t *testing.T) {
	c := NewCounter()
	c.add("ECS", "DescribeServices", span{0, 10})
	c.add("ECS", "DescribeServices", span{0, 12})
	c.add("Elastic Container Service", "UpdateService", span{20, 30})
	got := c.Snapshot()
	if got.Reads["ecs:DescribeServices"] != 2 || len(got.Reads) != 1 {
		t.Errorf("reads = %v, want ecs:DescribeServices×2 only", got.Reads)
	}
	if got.Writes["elasticcontainerservice:UpdateService"] != 1 || len(got.Writes) != 1 {
		t.Errorf("writes = %v, want elasticcontainerservice:UpdateService×1 only", got.Writes)
	}
	if got.Levels != 2 {
		t.Errorf("levels = %d, want 2", got.Levels)
	}
}

// ecsAnswers answers every request with an empty JSON object, but the
// throttle-th with ThrottlingException, as ECS answers when its bucket is
// empty; it counts the requests.
type ecsAnswers struct {
	n        atomic.Int32
	throttle int32
}

func (o *ecsAnswers) Do(r *http.Request) (*http.Response, error) {
	n := o.n.Add(1)
	status, body := 200, "{}"
	if n == o.throttle {
		status, body = 400, `{"__type":"ThrottlingException","message":"Rate exceeded"}`
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// RegisterTaskDefinition is not slowed down until AWS throttles it; from
// then on its attempts keep to ECS's rate (1 a second, the bucket empty at
// first as AWS's is): the throttled call's retry waits for a token, which a
// short deadline does not leave time for. Other calls are never paced.
func TestRegisterTaskDefinitionIsPacedOnceThrottled(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	cfg, _, err := Load(context.Background(), Options{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	transport := &ecsAnswers{throttle: 31}
	cfg.HTTPClient = transport
	// Retry at once: only the pacing may hold the throttled call.
	c := ecs.NewFromConfig(cfg, func(o *ecs.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			so.RateLimiter = ratelimit.None
		})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	in := &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("c")}}}
	for i := 1; i <= 30; i++ { // more than the burst: nothing waits before a throttle
		if _, err := c.RegisterTaskDefinition(ctx, in); err != nil {
			t.Fatalf("call %d before any throttle: %v", i, err)
		}
	}
	_, err = c.RegisterTaskDefinition(ctx, in)
	if err == nil || !strings.Contains(err.Error(), "rate: Wait") {
		t.Fatalf("throttled call: err = %v, want its retry held by the pacing (the next token comes after 1 s)", err)
	}
	if n := transport.n.Load(); n != 31 {
		t.Fatalf("%d requests sent, want 31: the retry must wait for a token, not go out", n)
	}
	for range 30 {
		if _, err := c.ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
			t.Fatalf("ListClusters is not paced: %v", err)
		}
	}
}
