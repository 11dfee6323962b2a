package overload

import (
	"fmt"
	"io"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// sample is one series of a /metrics scrape.
type sample struct {
	name   string
	labels map[string]string
	gauge  bool
	value  float64
}

// series is a scrape flattened by series key, name{k="v",...}, for
// counters, gauges and untyped metrics (histograms and summaries are not
// needed by the overload report).
type series map[string]sample

func seriesKey(name string, labels map[string]string) string {
	if len(labels) == 0 {
		return name
	}
	pairs := make([]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, fmt.Sprintf("%s=%q", k, v))
	}
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

func parseSeries(r io.Reader) (series, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	out := series{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			s := sample{name: name, labels: map[string]string{}}
			for _, lp := range m.GetLabel() {
				s.labels[lp.GetName()] = lp.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				s.value = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				s.value, s.gauge = m.GetGauge().GetValue(), true
			case dto.MetricType_UNTYPED:
				s.value = m.GetUntyped().GetValue()
			default:
				continue
			}
			out[seriesKey(name, s.labels)] = s
		}
	}
	return out, nil
}

// The BFF's series the overload report reads (clients/conn/metrics.go and
// bff/endpoint/metrics.go).
const (
	metricDownstreamCalls = "bff_downstream_calls_total"
	metricDegraded        = "bff_degraded_sections_total"
	metricInFlight        = "bff_http_requests_in_flight"
	metricConnections     = "bff_http_connections_total"
	codeCircuitOpen       = "circuit_open"
)

// breakerish says whether a metric is about breakers or throttling. No
// such series exists today beyond the circuit_open code of the downstream
// calls; whatever replaces the breakers is picked up by its name.
func breakerish(name string) bool {
	n := strings.ToLower(name)
	return n != metricDownstreamCalls && (strings.Contains(n, "breaker") || strings.Contains(n, "circuit") || strings.Contains(n, "throttl"))
}

// serverDelta is what the BFF's own series say of one phase.
type serverDelta struct {
	// Refused counts downstream calls a breaker or throttle refused.
	Refused int `json:"refused_calls"`
	// DownstreamFailures counts failed downstream calls by "service code",
	// refused calls aside.
	DownstreamFailures map[string]int `json:"downstream_failures"`
	// Degraded counts sections left out of 200s by "section reason".
	Degraded map[string]int `json:"degraded_sections"`
	// Connections counts the connections the BFF accepted: a generator
	// that falls behind or times out opens new ones, and each costs the
	// BFF a handshake on top of its request.
	Connections int `json:"connections_opened"`
	// BreakerCounters holds the increase of every breaker or throttle
	// counter that moved; BreakerGauges the end value of every such gauge
	// that moved or is not 0 (a state, say).
	BreakerCounters map[string]float64 `json:"breaker_counters"`
	BreakerGauges   map[string]float64 `json:"breaker_gauges"`
}

// breakerEvents is the number of breaker or throttle events the BFF
// recorded: refused calls, and increases of breaker or throttle counters.
func (d serverDelta) breakerEvents() int {
	n := d.Refused
	for _, v := range d.BreakerCounters {
		n += int(v)
	}
	return n
}

// refusedCode says whether a downstream call's code is a refusal by the
// client's own breaker or throttle rather than the downstream's answer.
func refusedCode(code string) bool {
	return code == codeCircuitOpen || strings.Contains(strings.ToLower(code), "throttl")
}

// diffSeries is what changed between two scrapes of the BFF.
func diffSeries(before, after series) serverDelta {
	d := serverDelta{DownstreamFailures: map[string]int{}, Degraded: map[string]int{}, BreakerCounters: map[string]float64{}, BreakerGauges: map[string]float64{}}
	for key, a := range after {
		delta := a.value - before[key].value
		switch {
		case a.name == metricDownstreamCalls:
			d.addCalls(a.labels, delta)
		case a.name == metricConnections:
			d.Connections += int(delta)
		case a.name == metricDegraded && delta > 0:
			d.Degraded[a.labels["section"]+" "+a.labels["reason"]] += int(delta)
		case breakerish(a.name):
			d.addBreaker(key, a, delta)
		}
	}
	return d
}

func (d *serverDelta) addCalls(labels map[string]string, delta float64) {
	switch code := labels["code"]; {
	case refusedCode(code):
		d.Refused += int(delta)
	case code != "OK" && delta > 0:
		d.DownstreamFailures[labels["service"]+" "+code] += int(delta)
	}
}

func (d *serverDelta) addBreaker(key string, a sample, delta float64) {
	switch {
	case a.gauge && (delta != 0 || a.value != 0):
		d.BreakerGauges[key] = a.value
	case !a.gauge && delta != 0:
		d.BreakerCounters[key] = delta
	}
}
