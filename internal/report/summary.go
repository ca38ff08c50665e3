package report

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Summary limits: the text stays about one screen long.
const (
	topTypes    = 10
	listCrashes = 6
	listFaults  = 8
	listNodes   = 20
	barWidth    = 50
)

// dur formats ns with a precision that suits its size.
func dur(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		d = d.Round(time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(time.Microsecond)
	}
	return d.String()
}

func summarize(p *pass) string {
	res := p.res
	var b strings.Builder
	line := func(format string, a ...any) {
		b.WriteString(strings.TrimRight(fmt.Sprintf(format, a...), " "))
		b.WriteByte('\n')
	}

	name := res.Name
	if name == "" {
		name = "(unnamed run)"
	}
	line("%s  %s", name, res.Scenario)
	verdict := res.Verdict
	if verdict == "" {
		verdict = "?"
	}
	pass := "FAIL"
	if res.Valid {
		pass = "PASS"
	}
	repro := ""
	if !res.Reproducible {
		repro = " · NOT reproducible (watchdog fired)"
	}
	line("verdict   %s (%s) · seed %d%s", verdict, pass, res.Seed, repro)
	line("digest    %s", res.TraceSHA256)
	line("run       %s virtual · %d events · %s wall · %d nodes, %d clients",
		dur(p.endTime()), p.rows, dur(int64(res.Stats.Wall)), p.nNodes, len(p.lanes)-p.nNodes)

	checks := make([]string, 0, len(res.Checks))
	for n := range res.Checks {
		checks = append(checks, n)
	}
	sort.Strings(checks)
	line("checks    %d", len(checks))
	for _, n := range checks {
		c := res.Checks[n]
		line("  %-22s %-8s %s", n, c.Verdict, clip(oneLine(c.Summary), 90))
	}

	t := &p.total
	drops := ""
	if len(p.dropReasons) > 0 {
		reasons := make([]string, 0, len(p.dropReasons))
		for r := range p.dropReasons {
			reasons = append(reasons, r)
		}
		sort.Slice(reasons, func(i, j int) bool {
			a, b := p.dropReasons[reasons[i]], p.dropReasons[reasons[j]]
			return a > b || a == b && reasons[i] < reasons[j]
		})
		parts := make([]string, len(reasons))
		for i, r := range reasons {
			parts[i] = fmt.Sprintf("%s %d", r, p.dropReasons[r])
		}
		drops = " (" + strings.Join(parts, ", ") + ")"
	}
	line("messages  sent %d · delivered %d · dropped %d%s · duplicated %d", t.sent, t.delivered, t.dropped, drops, t.duplicated)
	completed := p.ops.OK + p.ops.Fail + p.ops.Info
	perOp := ""
	if completed > 0 {
		perOp = fmt.Sprintf(" · %.2f messages/op", float64(t.sent)/float64(completed))
	}
	line("ops       %d invoked · %d ok · %d fail · %d info%s", p.ops.Invoked, p.ops.OK, p.ops.Fail, p.ops.Info, perOp)
	if len(p.types) > 0 {
		line("  %-20s %7s %7s %6s %5s %6s %9s %9s %9s", "type", "sent", "deliv", "drop", "dup", "/op", "p50", "p95", "p99")
		types := p.sortedTypes()
		for i, ta := range types {
			if i == topTypes {
				line("  +%d more types (stats.json has them all)", len(types)-topTypes)
				break
			}
			po := "-"
			if completed > 0 {
				po = fmt.Sprintf("%.2f", float64(ta.sent)/float64(completed))
			}
			p50, p95, p99 := "-", "-", "-"
			if ta.lat.n > 0 {
				p50, p95, p99 = dur(ta.lat.percentile(50)), dur(ta.lat.percentile(95)), dur(ta.lat.percentile(99))
			}
			line("  %-20s %7d %7d %6d %5d %6s %9s %9s %9s", clip(ta.name, 19), ta.sent, ta.delivered, ta.dropped, ta.duplicated, po, p50, p95, p99)
		}
	}

	line("crashes   %d", p.nCrashes)
	for i, c := range p.crashes {
		if i == listCrashes {
			line("  +%d more", p.nCrashes-listCrashes)
			break
		}
		after := "not restarted"
		if c.restart >= 0 {
			after = "restarted at " + dur(c.restart)
		}
		line("  %-10s %-8s %-40s %s", dur(c.t), p.lanes[c.node], clip(oneLine(c.reason), 40), after)
	}
	line("faults    %d", p.nFaults)
	for i, f := range p.faults {
		if i == listFaults {
			line("  +%d more", p.nFaults-listFaults)
			break
		}
		line("  %-10s %-17s %s", dur(f.t), f.label, clip(oneLine(f.detail), 60))
	}

	end := p.endTime()
	line("timeline  0 → %s  (= up, X crashed, P paused, / partitioned)", dur(end))
	for i := range p.tl {
		if i == listNodes {
			line("  +%d more nodes (timeline.json has them all)", len(p.tl)-listNodes)
			break
		}
		ivs := p.intervals(i)
		line("  %-6s |%s| %s", clip(p.lanes[i], 6), bar(ivs, end), stateTotals(ivs))
	}
	return b.String()
}

// severity orders states for the bar: a column shows the worst one in it.
var severity = [...]int{stUp: 0, stPartitioned: 1, stPaused: 2, stCrashed: 3}
var stateChars = [...]byte{stUp: '=', stCrashed: 'X', stPaused: 'P', stPartitioned: '/'}

func bar(ivs []interval, end int64) string {
	if end <= 0 {
		return strings.Repeat("=", barWidth)
	}
	cols := make([]int, barWidth)
	for _, iv := range ivs {
		if iv.end <= iv.start && iv.state == stUp {
			continue
		}
		a := int(float64(iv.start) / float64(end) * barWidth)
		z := int(float64(iv.end) / float64(end) * barWidth)
		if iv.end > iv.start && float64(iv.end)/float64(end)*barWidth == float64(z) {
			z-- // the interval ends where column z starts
		}
		for c := max(a, 0); c <= min(z, barWidth-1); c++ {
			if severity[iv.state] > severity[cols[c]] {
				cols[c] = iv.state
			}
		}
	}
	out := make([]byte, barWidth)
	for i, s := range cols {
		out[i] = stateChars[s]
	}
	return string(out)
}

func stateTotals(ivs []interval) string {
	var parts []string
	for _, st := range []int{stCrashed, stPaused, stPartitioned} {
		n, total := 0, int64(0)
		for _, iv := range ivs {
			if iv.state == st {
				n++
				total += iv.end - iv.start
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s ×%d (%s)", stateNames[st], n, dur(total)))
		}
	}
	if len(parts) == 0 {
		return "up throughout"
	}
	return strings.Join(parts, " · ")
}
