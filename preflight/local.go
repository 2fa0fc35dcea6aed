package preflight

import "fmt"

// The checks in this file need no AWS call: the orchestrator already read
// (or measured) what they judge.

// clusterCheck: the cluster exists, or deploy will create it.
func clusterCheck(c Cluster) Check {
	name := "cluster " + c.Name
	switch {
	case c.Exists:
		return Check{Name: name, Status: OK, Reason: "exists"}
	case c.WillCreate:
		return Check{Name: name, Status: OK, Reason: "will be created"}
	default:
		return Check{Name: name, Status: Fail, Reason: "does not exist; set cluster.create: true or fix cluster.name"}
	}
}

// secretsCheck has one child per declared secret; ok is false when none is.
func secretsCheck(secrets []Secret) (Check, bool) {
	if len(secrets) == 0 {
		return Check{}, false
	}
	children := make([]Check, 0, len(secrets))
	for _, s := range secrets {
		name := s.ID
		if s.Ref != "" && s.Ref != s.ID {
			name += " (" + s.Ref + ")"
		}
		switch {
		case s.Problem != "":
			children = append(children, Check{Name: name, Status: Fail, Reason: oneLine(s.Problem)})
		case s.ARN == "":
			children = append(children, Check{Name: name, Status: Fail, Reason: "not resolved to an ARN"})
		default:
			children = append(children, Check{Name: name, Status: OK, Reason: s.ARN})
		}
	}
	return group("secrets", children), true
}

// sizesCheck has one child per measured policy; ok is false when none is.
func sizesCheck(sizes []Size) (Check, bool) {
	if len(sizes) == 0 {
		return Check{}, false
	}
	children := make([]Check, 0, len(sizes))
	for _, s := range sizes {
		switch {
		case s.Limit <= 0:
			children = append(children, Check{Name: s.What, Status: Skip, Reason: fmt.Sprintf("%d %s; IAM's limit is unknown", s.Chars, s.unit())})
		case s.Chars > s.Limit:
			children = append(children, Check{Name: s.What, Status: Fail, Reason: fmt.Sprintf("%d %s, over IAM's limit of %d", s.Chars, s.unit(), s.Limit)})
		default:
			children = append(children, Check{Name: s.What, Status: OK, Reason: fmt.Sprintf("%d of %d %s", s.Chars, s.Limit, s.unit())})
		}
	}
	return group("policy sizes", children), true
}

func (s Size) unit() string {
	if s.Unit == "" {
		return "characters"
	}
	return s.Unit
}
