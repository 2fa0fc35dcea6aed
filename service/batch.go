package service

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// batchWindow is how long a lone DescribeServices waits for others to join
// its call: far below a round trip to AWS, long enough for the agents of a
// fleet polling on the same schedule to meet.
const batchWindow = 10 * time.Millisecond

// Batched returns api with its DescribeServices calls of one service each
// merged: calls for the same cluster (and Include) made within batchWindow
// of each other, up to DescribeBatch of them, become one call. Following 50
// agents then polls with 5 calls instead of 50, which keeps a fleet within
// ECS's DescribeServices rate. Every other call goes to api unchanged.
func Batched(api API) API {
	return &batcher{API: api, open: map[string]*batch{}}
}

type batcher struct {
	API
	mu   sync.Mutex
	open map[string]*batch // the batch still taking names, by cluster and Include
}

// batch is one DescribeServices call shared by its callers.
type batch struct {
	in   ecs.DescribeServicesInput
	opts []func(*ecs.Options)
	ctx  context.Context // the first caller's, without its cancellation
	once sync.Once
	done chan struct{}
	out  *ecs.DescribeServicesOutput
	err  error
}

func (b *batcher) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if len(in.Services) != 1 {
		return b.API.DescribeServices(ctx, in, opts...)
	}
	name := in.Services[0]
	key := aws.ToString(in.Cluster) + "\x00" + fieldKey(in.Include)

	b.mu.Lock()
	bt := b.open[key]
	if bt == nil {
		bt = &batch{in: ecs.DescribeServicesInput{Cluster: in.Cluster, Include: in.Include}, opts: opts,
			ctx: context.WithoutCancel(ctx), done: make(chan struct{})}
		b.open[key] = bt
		time.AfterFunc(batchWindow, func() { b.send(key, bt) })
	}
	if !slices.Contains(bt.in.Services, name) {
		bt.in.Services = append(bt.in.Services, name)
	}
	full := len(bt.in.Services) == DescribeBatch
	if full { // no more names: the next caller starts a new batch
		delete(b.open, key)
	}
	b.mu.Unlock()
	if full {
		b.send(key, bt)
	}

	select {
	case <-bt.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if bt.err != nil {
		return nil, bt.err
	}
	return only(bt.out, name), nil
}

// send makes the batch's call once, closing it to new names first.
func (b *batcher) send(key string, bt *batch) {
	bt.once.Do(func() {
		b.mu.Lock()
		if b.open[key] == bt {
			delete(b.open, key)
		}
		in := bt.in
		b.mu.Unlock()
		bt.out, bt.err = b.API.DescribeServices(bt.ctx, &in, bt.opts...)
		close(bt.done)
	})
}

// only is the part of a shared answer that concerns the service name: its
// entries and its failures, as if it had been described alone.
func only(out *ecs.DescribeServicesOutput, name string) *ecs.DescribeServicesOutput {
	mine := &ecs.DescribeServicesOutput{ResultMetadata: out.ResultMetadata}
	for _, s := range out.Services {
		if aws.ToString(s.ServiceName) == name {
			mine.Services = append(mine.Services, s)
		}
	}
	for _, f := range out.Failures {
		if arn := aws.ToString(f.Arn); arn == name || strings.HasSuffix(arn, "/"+name) {
			mine.Failures = append(mine.Failures, f)
		}
	}
	return mine
}

func fieldKey(fields []types.ServiceField) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = string(f)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}
