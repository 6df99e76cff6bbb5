package web

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the HTTP metrics of a server and the registry they live in. Each
// server has its own registry so tests can run several servers in one process.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight *prometheus.GaugeVec

	mu        sync.Mutex
	listeners map[string]*listenerMetrics
}

// NewMetrics creates the registry with Go runtime and process collectors and
// the request counters and latency histograms.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_http_requests_total",
			Help: "HTTP requests served, by listener, route pattern, method and status code.",
		}, []string{"listener", "route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "warden_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by listener, route pattern and method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"listener", "route", "method"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "warden_http_requests_in_flight",
			Help: "HTTP requests being served now, by listener.",
		}, []string{"listener"}),
		listeners: map[string]*listenerMetrics{},
	}
	reg.MustRegister(m.requests, m.duration, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

type routeKey struct {
	route, method string
	code          int
}

type routeMetrics struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// listenerMetrics caches the labelled series of one listener so the hot path
// does a map lookup under a read lock instead of hashing label values.
type listenerMetrics struct {
	name     string
	parent   *Metrics
	inflight prometheus.Gauge
	mu       sync.RWMutex
	routes   map[routeKey]routeMetrics
}

func (m *Metrics) forListener(name string) *listenerMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.listeners[name]; ok {
		return l
	}
	l := &listenerMetrics{name: name, parent: m, inflight: m.inflight.WithLabelValues(name), routes: map[routeKey]routeMetrics{}}
	m.listeners[name] = l
	return l
}

func (l *listenerMetrics) observe(route, method string, code int, d time.Duration) {
	k := routeKey{route, method, code}
	l.mu.RLock()
	rm, ok := l.routes[k]
	l.mu.RUnlock()
	if !ok {
		rm = routeMetrics{
			count:    l.parent.requests.WithLabelValues(l.name, route, method, strconv.Itoa(code)),
			duration: l.parent.duration.WithLabelValues(l.name, route, method),
		}
		l.mu.Lock()
		l.routes[k] = rm
		l.mu.Unlock()
	}
	rm.count.Inc()
	rm.duration.Observe(d.Seconds())
}
