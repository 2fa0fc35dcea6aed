package service

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// describing answers DescribeServices from a set of services, recording
// the names of each call; a name it lacks is a failure, as ECS answers.
type describing struct {
	API
	mu    sync.Mutex
	calls [][]string
	have  map[string]bool
}

func (d *describing) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	d.mu.Lock()
	d.calls = append(d.calls, slices.Clone(in.Services))
	d.mu.Unlock()
	out := &ecs.DescribeServicesOutput{}
	for _, n := range in.Services {
		if d.have[n] {
			out.Services = append(out.Services, types.Service{ServiceName: aws.String(n), Status: aws.String("ACTIVE")})
		} else {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String("arn:aws:ecs:eu-west-1:123456789012:service/c/" + n), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}

func TestBatchedMergesConcurrentDescribes(t *testing.T) {
	api := &describing{have: map[string]bool{}}
	var names []string
	for i := 1; i <= 25; i++ {
		n := fmt.Sprintf("agent-%02d", i)
		names = append(names, n)
		api.have[n] = i%5 != 0 // every fifth is missing
	}
	b := Batched(api)
	got := make([]*types.Service, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			var err error
			if got[i], err = Read(context.Background(), b, "c", n); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, n := range names {
		if found := got[i] != nil; found != api.have[n] || (found && aws.ToString(got[i].ServiceName) != n) {
			t.Errorf("%s: read %v, want found=%v and its own service, not another's", n, got[i], api.have[n])
		}
	}
	var described []string
	for _, c := range api.calls {
		if len(c) > DescribeBatch {
			t.Errorf("a call with %d names; DescribeServices takes at most %d", len(c), DescribeBatch)
		}
		described = append(described, c...)
	}
	if slices.Sort(described); !slices.Equal(described, names) {
		t.Errorf("described %v, want each service once", described)
	}
	// 3 when every read joins within the window; a loaded machine may start
	// some goroutines late, which costs a call each, not correctness.
	if len(api.calls) < 3 || len(api.calls) > 6 {
		t.Errorf("%d DescribeServices calls for 25 services read at once, want 3 (at most 6)", len(api.calls))
	}
}

func TestBatchedPassesOtherCallsThrough(t *testing.T) {
	api := &describing{have: map[string]bool{"a": true, "b": true}}
	out, err := Batched(api).DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"a", "b"}})
	if err != nil || len(out.Services) != 2 || len(api.calls) != 1 || !slices.Equal(api.calls[0], []string{"a", "b"}) {
		t.Fatalf("a call naming two services: out %v err %v calls %v, want it made as is", out, err, api.calls)
	}
}

func TestBatchedHonoursTheCallersContext(t *testing.T) {
	api := &describing{have: map[string]bool{"a": true}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Batched(api).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"a"}}); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled for a cancelled caller", err)
	}
}

// A read that arrives just as a batch fills joins the next batch: it is
// never added to a call already full or already sent, so no call names more
// than DescribeBatch services and no reader is told its service is missing.
func TestBatchedReadsArrivingAsABatchFillsAreNotLost(t *testing.T) {
	const readers = 10 * DescribeBatch
	// More threads than cores, so the OS, not only Go's scheduler,
	// interleaves the readers.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	api := &describing{have: map[string]bool{}}
	for i := range readers {
		api.have[fmt.Sprintf("agent-%03d", i)] = true
	}
	for round := range 500 {
		b := Batched(api)
		var wg sync.WaitGroup
		for i := range readers {
			n := fmt.Sprintf("agent-%03d", i)
			wg.Go(func() {
				got, err := Read(context.Background(), b, "c", n)
				if err != nil || got == nil || aws.ToString(got.ServiceName) != n {
					t.Errorf("round %d: Read(%s) = %v, %v; want the service", round, n, got, err)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
	}
	for _, c := range api.calls {
		if len(c) > DescribeBatch {
			t.Fatalf("a call with %d names; DescribeServices takes at most %d", len(c), DescribeBatch)
		}
	}
}

// Each caller of a shared call gets the answer it would have had alone:
// its own service, or its own failure, and nothing about the others.
func TestBatchedGivesEachCallerOnlyItsOwnAnswer(t *testing.T) {
	api := &describing{have: map[string]bool{"a": true, "xb": true}}
	b := Batched(api)
	names := []string{"a", "b", "xb", "c"}
	outs := make([]*ecs.DescribeServicesOutput, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			var err error
			if outs[i], err = b.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{n}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, n := range names {
		var got []string
		for _, s := range outs[i].Services {
			got = append(got, "service "+aws.ToString(s.ServiceName))
		}
		for _, f := range outs[i].Failures {
			got = append(got, "failure "+aws.ToString(f.Arn))
		}
		want := "service " + n
		if !api.have[n] {
			want = "failure arn:aws:ecs:eu-west-1:123456789012:service/c/" + n
		}
		if !slices.Equal(got, []string{want}) {
			t.Errorf("%s: answer %q, want [%s]", n, got, want)
		}
	}
}
