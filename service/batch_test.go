package service

import (
	"context"
	"errors"
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
	// some goroutines late, which costs a call each, not correctness. The
	// bound only says the reads were merged: on a calm machine it is 3.
	if len(api.calls) < 3 || len(api.calls) > len(names)/2 {
		t.Errorf("%d DescribeServices calls for 25 services read at once, want 3 (at most %d)", len(api.calls), len(names)/2)
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

// A batcher serves poll after poll: a read made after an earlier batch was
// sent starts a new call and gets its own answer.
func TestBatchedReadsOneAfterAnother(t *testing.T) {
	api := &describing{have: map[string]bool{"a": true, "b": true}}
	b := Batched(api)
	for i, n := range []string{"a", "b", "a", "missing"} {
		got, err := Read(context.Background(), b, "c", n)
		if found := got != nil; err != nil || found != api.have[n] || (found && aws.ToString(got.ServiceName) != n) {
			t.Errorf("read %d of %s: %v, %v; want found=%v", i, n, got, err, api.have[n])
		}
	}
	if want := [][]string{{"a"}, {"b"}, {"a"}, {"missing"}}; !slices.EqualFunc(api.calls, want, slices.Equal) {
		t.Errorf("calls %v, want %v", api.calls, want)
	}
}

// failingDescribe fails every DescribeServices call with err.
type failingDescribe struct {
	API
	err error
}

func (f failingDescribe) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return nil, f.err
}

// When the shared call fails, every reader gets the failure, as it would
// have alone: an error, or for a missing cluster no service.
func TestBatchedSharesAFailedCall(t *testing.T) {
	throttled := errors.New("ThrottlingException")
	noCluster := &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}
	for _, callErr := range []error{throttled, noCluster} {
		b := Batched(failingDescribe{err: callErr})
		var wg sync.WaitGroup
		for _, n := range []string{"a", "b", "a"} {
			wg.Go(func() {
				got, err := Read(context.Background(), b, "c", n)
				if callErr == throttled && (got != nil || !errors.Is(err, throttled) || err.Error() != "describe service "+n+": ThrottlingException") {
					t.Errorf("%s: Read = %v, %v; want the call's error", n, got, err)
				}
				if callErr == noCluster && (got != nil || err != nil) {
					t.Errorf("%s: Read = %v, %v; want no service and no error for a missing cluster", n, got, err)
				}
			})
		}
		wg.Wait()
	}
}

// Two readers of the same service at once share the call, which names it
// once.
func TestBatchedNamesAServiceOnce(t *testing.T) {
	api := &describing{have: map[string]bool{"a": true}}
	b := Batched(api)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if got, err := Read(context.Background(), b, "c", "a"); err != nil || got == nil {
				t.Errorf("Read = %v, %v", got, err)
			}
		})
	}
	wg.Wait()
	for _, c := range api.calls {
		if !slices.Equal(c, []string{"a"}) {
			t.Errorf("call %v, want [a]", c)
		}
	}
}

// A failed read of several services names each of them.
func TestReadAllNamesTheServicesOfAFailedRead(t *testing.T) {
	boom := errors.New("ThrottlingException")
	_, err := ReadAll(context.Background(), &services{err: boom}, "c", []string{"agent-a", "agent-b"})
	if !errors.Is(err, boom) || err.Error() != "describe service agent-a, agent-b: ThrottlingException" {
		t.Errorf("ReadAll = %v", err)
	}
}
