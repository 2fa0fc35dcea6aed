package preflight

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// network is the subnets and security groups shared by one or more agents.
type network struct {
	agents  []string
	subnets []string
	groups  []string
}

// groupNetworks merges agents with the same subnets and security groups (in
// any order) into one network, in the order of their first agent.
func groupNetworks(agents []Agent) []network {
	var out []network
	index := map[string]int{}
	for _, a := range agents {
		subnets, groups := distinct(a.Subnets), distinct(a.SecurityGroups)
		key := strings.Join(slices.Sorted(slices.Values(subnets)), ",") + "|" + strings.Join(slices.Sorted(slices.Values(groups)), ",")
		if i, ok := index[key]; ok {
			out[i].agents = append(out[i].agents, a.Name)
			continue
		}
		index[key] = len(out)
		out = append(out, network{agents: []string{a.Name}, subnets: subnets, groups: groups})
	}
	return out
}

// distinct drops empty and repeated values, keeping the first of each.
func distinct(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// lookup describes one kind of VPC resource by ID.
type lookup struct {
	kind       string                                                             // "subnet", "security group"
	notFound   string                                                             // error code for an ID that does not exist
	malformed  string                                                             // error code for an ID that cannot exist
	describe   func(ctx context.Context, ids []string) (map[string]string, error) // ID → VPC ID
	permission string                                                             // the action, for a denied call
}

func (r *run) subnetLookup() lookup {
	return lookup{
		kind: "subnet", notFound: "InvalidSubnetID.NotFound", malformed: "InvalidSubnetID.Malformed", permission: "ec2:DescribeSubnets",
		describe: func(ctx context.Context, ids []string) (map[string]string, error) {
			found := map[string]string{}
			in := &ec2.DescribeSubnetsInput{SubnetIds: ids}
			for {
				out, err := r.c.EC2.DescribeSubnets(ctx, in)
				if err != nil {
					return nil, err
				}
				for _, s := range out.Subnets {
					found[aws.ToString(s.SubnetId)] = aws.ToString(s.VpcId)
				}
				if aws.ToString(out.NextToken) == "" {
					return found, nil
				}
				in.NextToken = out.NextToken
			}
		},
	}
}

func (r *run) groupLookup() lookup {
	return lookup{
		kind: "security group", notFound: "InvalidGroup.NotFound", malformed: "InvalidGroupId.Malformed", permission: "ec2:DescribeSecurityGroups",
		describe: func(ctx context.Context, ids []string) (map[string]string, error) {
			found := map[string]string{}
			in := &ec2.DescribeSecurityGroupsInput{GroupIds: ids}
			for {
				out, err := r.c.EC2.DescribeSecurityGroups(ctx, in)
				if err != nil {
					return nil, err
				}
				for _, g := range out.SecurityGroups {
					found[aws.ToString(g.GroupId)] = aws.ToString(g.VpcId)
				}
				if aws.ToString(out.NextToken) == "" {
					return found, nil
				}
				in.NextToken = out.NextToken
			}
		},
	}
}

// found is the outcome of looking up IDs of one kind.
type found struct {
	vpcs      map[string]string // ID → VPC ID
	missing   []string
	malformed []string
}

// find looks the IDs up in one call. When EC2 rejects the call for a
// missing or malformed ID, it looks each ID up alone, so the reason names
// every bad ID, not only the first EC2 mentions.
func (l lookup) find(ctx context.Context, ids []string) (found, error) {
	f := found{vpcs: map[string]string{}}
	vpcs, err := l.describe(ctx, ids)
	if code := errorCode(err); err != nil && (code == l.notFound || code == l.malformed) {
		if len(ids) == 1 {
			if code == l.notFound {
				f.missing = ids
			} else {
				f.malformed = ids
			}
			return f, nil
		}
		for _, id := range ids {
			one, err := l.find(ctx, []string{id})
			if err != nil {
				return found{}, err
			}
			for k, v := range one.vpcs {
				f.vpcs[k] = v
			}
			f.missing = append(f.missing, one.missing...)
			f.malformed = append(f.malformed, one.malformed...)
		}
		return f, nil
	}
	if err != nil {
		return found{}, err
	}
	for _, id := range ids {
		if vpc, ok := vpcs[id]; ok {
			f.vpcs[id] = vpc
		} else {
			f.missing = append(f.missing, id)
		}
	}
	return f, nil
}

// network checks that every subnet and security group exists and that they
// all sit in one VPC.
func (r *run) network(ctx context.Context, n network) Check {
	name := "network of agent " + n.agents[0]
	if len(n.agents) > 1 {
		name = "network of agents " + strings.Join(n.agents, ", ")
	}
	if r.c.EC2 == nil {
		return Check{Name: name, Status: Skip, Reason: "no EC2 client; launch cannot check the network"}
	}
	if len(n.subnets) == 0 {
		return Check{Name: name, Status: Fail, Reason: "no subnets; a Fargate task needs at least one"}
	}
	var problems []string
	vpcs := map[string][]string{} // VPC ID → its subnets, then its groups
	queries := []struct {
		l     lookup
		ids   []string
		found found
		err   error
	}{{l: r.subnetLookup(), ids: n.subnets}, {l: r.groupLookup(), ids: n.groups}}
	var wg sync.WaitGroup
	for i := range queries { // subnets and groups at once
		if q := &queries[i]; len(q.ids) > 0 {
			wg.Go(func() { q.found, q.err = q.l.find(ctx, q.ids) })
		}
	}
	wg.Wait()
	for _, q := range queries {
		if len(q.ids) == 0 {
			continue
		}
		f, err := q.found, q.err
		switch {
		case err != nil && isInterrupted(ctx, err):
			return r.interruptedCheck(name)
		case err != nil && isDenied(err):
			return Check{Name: name, Status: Skip, Reason: fmt.Sprintf("the deploying identity may not call %s (%s); launch cannot check the network", q.l.permission, errText(err))}
		case err != nil: // advisory: a throttled or failed lookup proves nothing about the network
			return Check{Name: name, Status: Skip, Reason: advisoryError(q.l.permission, err) + "; launch cannot check the network"}
		}
		if len(f.missing) > 0 {
			problems = append(problems, fmt.Sprintf("%s %s %s in %s", plural(len(f.missing), q.l.kind), strings.Join(f.missing, ", "),
				verb(len(f.missing), "does not exist", "do not exist"), r.in.Region))
		}
		for _, id := range f.malformed {
			problems = append(problems, fmt.Sprintf("%s ID %q is malformed", q.l.kind, id))
		}
		for _, id := range q.ids {
			if vpc, ok := f.vpcs[id]; ok {
				vpcs[vpc] = append(vpcs[vpc], id)
			}
		}
	}
	if len(vpcs) > 1 {
		var parts []string
		for _, vpc := range slices.Sorted(maps.Keys(vpcs)) {
			parts = append(parts, fmt.Sprintf("%s (%s)", vpc, strings.Join(vpcs[vpc], ", ")))
		}
		problems = append(problems, "subnets and security groups are in more than one VPC: "+strings.Join(parts, ", ")+"; use one VPC")
	}
	if len(problems) > 0 {
		return Check{Name: name, Status: Fail, Reason: strings.Join(problems, "; ")}
	}
	var vpc string
	for v := range vpcs {
		vpc = v
	}
	reason := fmt.Sprintf("%d %s", len(n.subnets), plural(len(n.subnets), "subnet"))
	if len(n.groups) > 0 {
		reason += fmt.Sprintf(" and %d %s", len(n.groups), plural(len(n.groups), "security group"))
	}
	reason += " in " + vpc
	if len(n.groups) == 0 {
		reason += " (no security group: the VPC's default applies)"
	}
	return Check{Name: name, Status: OK, Reason: reason}
}
