package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Markdown writes the machine description, the table and the notes.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "lineaged bench (%s run), %s, %.0f s\n\n", r.Mode, r.Started.UTC().Format(time.RFC3339), r.Seconds)
	m := r.Machine
	fmt.Fprintf(&b, "Machine: %s, %d cores, %.1f GiB RAM; %s; %s, %s\n", m.CPU, m.Cores, m.MemoryGiB, m.Go, m.Kernel, m.OS)
	if m.OtherNodesMax > 0 || m.OtherNodesAtStart > 0 || m.OtherNodesAtEnd > 0 {
		fmt.Fprintf(&b, "Other lineaged nodes ran on the machine during the run (not this run's; sampled every 5 s): %d at the start, up to %d at once, %d at the end. They competed for the CPU.\n",
			m.OtherNodesAtStart, m.OtherNodesMax, m.OtherNodesAtEnd)
	} else {
		fmt.Fprintf(&b, "No other lineaged nodes ran on the machine during the run (sampled every 5 s).\n")
	}
	b.WriteString("\n| workload | setting | metric | Lineage Ledger | CometBFT kvstore | ours / kvstore |\n| --- | --- | --- | ---: | ---: | ---: |\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", row.Workload, row.Setting, row.Metric, row.Ours, dash(row.Baseline), dash(row.Ratio))
	}
	if len(r.Steps) > 0 {
		b.WriteString("\nLoad steps:\n\n")
		for _, s := range r.Steps {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	if len(r.Profiles) > 0 {
		b.WriteString("\nCPU profiles (go tool pprof -top FILE):\n\n")
		for _, p := range r.Profiles {
			fmt.Fprintf(&b, "- %s\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// fmtCount writes a count or rate with thousands separators: 12,345.
func fmtCount(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	if x < 10 && x != math.Trunc(x) {
		return fmt.Sprintf("%.1f", x)
	}
	s := fmt.Sprintf("%.0f", x)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// fmtDur writes a duration with three significant digits in a unit that
// suits it.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return sig3(float64(d)/float64(time.Millisecond)) + " ms"
	}
	return sig3(d.Seconds()) + " s"
}

func sig3(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// fmtBytes writes a size in B, KiB, MiB or GiB.
func fmtBytes(x float64) string {
	switch {
	case x < 1<<10:
		return fmt.Sprintf("%.0f B", x)
	case x < 1<<20:
		return sig3(x/(1<<10)) + " KiB"
	case x < 1<<30:
		return sig3(x/(1<<20)) + " MiB"
	}
	return sig3(x/(1<<30)) + " GiB"
}
