package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/launchdeploy/launch/internal/suggest"
)

// validateRollout checks rollout: against the agents: every name and label
// a wave selects exists, no agent is in two waves, percentages grow and
// stay within 100%, and the waves leave no agent out.
func (l *loader) validateRollout(s *Spec) {
	if _, written := l.pos["rollout"]; !written {
		return
	}
	r := &s.Rollout
	if len(r.Waves) == 0 && !l.isBad("rollout.waves") {
		l.report("rollout.waves", "the rollout has no waves; list them, such as waves: [1, 25%%, 100%%] (a canary, a quarter of the agents, then the rest), or remove rollout:")
	}
	if r.OnFailure != OnFailureStop && r.OnFailure != OnFailureRollback {
		l.report("rollout.onFailure", "%s is not stop or rollback; write stop (leave the later waves alone) or rollback (also roll back the waves already done)", quoteShort(r.OnFailure))
	}
	if r.BakeTime.Duration < 0 {
		l.report("rollout.bakeTime", "the bake time %s is negative; write how long a wave must stay healthy, such as 5m, or 0s", r.BakeTime)
	}

	var names, labels []string
	for _, a := range s.Agents {
		names = append(names, a.Name)
		for _, lb := range a.Labels {
			if !slices.Contains(labels, lb) {
				labels = append(labels, lb)
			}
		}
	}
	claimed := map[string]int{} // agent name → the selector wave that has it
	lastPercent, counts, all := 0, 0, false
	before := len(l.problems)
	for i, w := range r.Waves {
		path := joinIndex("rollout.waves", i)
		if l.isBad(path) {
			before = -1 // a wave that did not decode may have covered the rest
			continue
		}
		switch {
		case w.Percent > 100:
			l.report(path, "%d%% is more than 100%%; percentages are cumulative, and 100%% already means every agent left", w.Percent)
		case w.Percent > 0 && w.Percent <= lastPercent:
			l.report(path, "%d%% is not more than the earlier wave's %d%%; percentages are cumulative (25%%, 50%%, 100%%): each must be larger than the last", w.Percent, lastPercent)
		case w.Percent > 0:
			lastPercent = w.Percent
			all = all || w.Percent == 100
		case w.Count > 0:
			counts += w.Count
		case len(w.Agents) == 0 && len(w.Labels) == 0:
			l.report(path, "the wave selects no agent; give it agents: [names] and/or labels: [labels], or write a count (1) or a percentage (25%%)")
		default:
			l.validateSelector(s, w, i, path, names, labels, claimed)
		}
	}

	// Count and percentage waves take from the agents no selector names.
	var rest []string
	for _, a := range s.Agents {
		if _, named := claimed[a.Name]; !named && a.Name != "" {
			rest = append(rest, a.Name)
		}
	}
	switch {
	case all || len(rest) <= counts || len(r.Waves) == 0 || len(l.problems) != before:
		// Covered, or a wave's own problem comes first.
	case counts == 0:
		what := "agent " + rest[0]
		if len(rest) > 1 {
			what = "agents " + strings.Join(rest, ", ")
		}
		l.report("rollout.waves", "the waves leave out %s; add them to a wave, or end the waves with 100%%", what)
	default:
		l.report("rollout.waves", "the waves may leave out agents: %d agents are in no named wave (%s) and the counts take at most %d; end the waves with 100%%", len(rest), strings.Join(rest, ", "), counts)
	}
}

// validateSelector checks wave i's names and labels, and records the
// agents it selects in claimed.
func (l *loader) validateSelector(s *Spec, w Wave, i int, path string, names, labels []string, claimed map[string]int) {
	for j, name := range w.Agents {
		if slices.Contains(names, name) {
			continue
		}
		msg := fmt.Sprintf("no agent is named %s", quoteShort(name))
		if near := suggest.Closest(name, names); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		} else {
			msg += "; name an agent listed under agents:"
		}
		l.report(joinIndex(path+".agents", j), "%s", msg)
	}
	for j, lb := range w.Labels {
		if slices.Contains(labels, lb) {
			continue
		}
		msg := fmt.Sprintf("no agent has the label %s", quoteShort(lb))
		if near := suggest.Closest(lb, labels); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		} else {
			msg += "; give agents labels with labels: [..] under each agent"
		}
		l.report(joinIndex(path+".labels", j), "%s", msg)
	}
	for k := range s.Agents {
		a := &s.Agents[k]
		if !w.Selects(a) {
			continue
		}
		if first, dup := claimed[a.Name]; dup {
			l.report(path, "agent %s is already in rollout.waves[%d] (line %d); put each agent in one wave", a.Name, first, s.Rollout.Waves[first].Line)
			continue
		}
		claimed[a.Name] = i
	}
}
