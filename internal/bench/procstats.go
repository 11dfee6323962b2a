package bench

import (
	"fmt"
	"io"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// procStats are a process's cumulative CPU time and heap allocations, as
// its Prometheus process and Go collectors report them.
type procStats struct {
	cpuSeconds float64
	mallocs    float64
}

const (
	metricCPU     = "process_cpu_seconds_total"
	metricMallocs = "go_memstats_mallocs_total"
)

// parseProcStats reads the two counters from Prometheus text exposition.
func parseProcStats(r io.Reader) (procStats, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return procStats{}, err
	}
	cpu, err := metricValue(fams, metricCPU)
	if err != nil {
		return procStats{}, err
	}
	mallocs, err := metricValue(fams, metricMallocs)
	if err != nil {
		return procStats{}, err
	}
	return procStats{cpuSeconds: cpu, mallocs: mallocs}, nil
}

// metricValue is the value of the unlabelled counter (or gauge, or
// untyped) name.
func metricValue(fams map[string]*dto.MetricFamily, name string) (float64, error) {
	f, ok := fams[name]
	if !ok || len(f.GetMetric()) == 0 {
		return 0, fmt.Errorf("no metric %s", name)
	}
	m := f.GetMetric()[0]
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue(), nil
	case m.Gauge != nil:
		return m.GetGauge().GetValue(), nil
	case m.Untyped != nil:
		return m.GetUntyped().GetValue(), nil
	}
	return 0, fmt.Errorf("metric %s is a %s, not a counter", name, f.GetType())
}
