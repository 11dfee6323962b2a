package admission

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The series as an operator's dashboards read them: the limit, and the
// requests shed under reason limit or queue.
func TestMetricsAreTheDesignsSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.setLimit(64.7)
	m.shed(ShedLimit)
	m.shed(ShedQueue)
	m.shed(ShedQueue)
	want := `
# HELP bff_admission_limit Scene requests the instance admits at once, as learned from latency.
# TYPE bff_admission_limit gauge
bff_admission_limit 64
# HELP bff_shed_total Scene requests refused with 503 before any downstream call: reason=limit (the limit was reached), queue (waited too long to start).
# TYPE bff_shed_total counter
bff_shed_total{reason="limit"} 1
bff_shed_total{reason="queue"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
