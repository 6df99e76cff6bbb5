package sqldb

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descMaxOpen = prometheus.NewDesc("warden_db_max_open_connections",
		"Maximum number of open connections in the pool.", []string{"pool"}, nil)
	descOpen = prometheus.NewDesc("warden_db_open_connections",
		"Open connections in the pool, in use or idle.", []string{"pool"}, nil)
	descInUse = prometheus.NewDesc("warden_db_in_use_connections",
		"Connections currently in use.", []string{"pool"}, nil)
	descIdle = prometheus.NewDesc("warden_db_idle_connections",
		"Idle connections.", []string{"pool"}, nil)
	descWaitCount = prometheus.NewDesc("warden_db_wait_count_total",
		"Times a caller waited for a free connection.", []string{"pool"}, nil)
	descWaitSeconds = prometheus.NewDesc("warden_db_wait_duration_seconds_total",
		"Total time callers waited for a free connection.", []string{"pool"}, nil)
	descRetries = prometheus.NewDesc("warden_db_tx_retries_total",
		"Transactions and statements run again after losing a race (busy database, serialization failure, deadlock).", nil, nil)
	descGroupedTx = prometheus.NewDesc("warden_db_grouped_transactions_total",
		"SQLite transactions that committed the writes of several callers at once.", nil, nil)
	descGroupedWrites = prometheus.NewDesc("warden_db_grouped_writes_total",
		"Callers' writes committed in grouped transactions.", nil, nil)
)

type collector struct{ db *DB }

// Collector exports db's pool statistics. The pool label is "writer" and
// "reader" for SQLite, and "shared" for PostgreSQL, whose one pool serves
// both.
func Collector(db *DB) prometheus.Collector { return collector{db} }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMaxOpen, descOpen, descInUse, descIdle, descWaitCount, descWaitSeconds, descRetries, descGroupedTx, descGroupedWrites} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	if c.db.reader == c.db.writer {
		collectPool(ch, "shared", c.db.writer.Stats())
	} else {
		collectPool(ch, "writer", c.db.writer.Stats())
		collectPool(ch, "reader", c.db.reader.Stats())
	}
	ch <- prometheus.MustNewConstMetric(descRetries, prometheus.CounterValue, float64(c.db.Retries()))
	g := c.db.GroupStats()
	ch <- prometheus.MustNewConstMetric(descGroupedTx, prometheus.CounterValue, float64(g.Transactions))
	ch <- prometheus.MustNewConstMetric(descGroupedWrites, prometheus.CounterValue, float64(g.Writes))
}

func collectPool(ch chan<- prometheus.Metric, pool string, s sql.DBStats) {
	ch <- prometheus.MustNewConstMetric(descMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections), pool)
	ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(s.OpenConnections), pool)
	ch <- prometheus.MustNewConstMetric(descInUse, prometheus.GaugeValue, float64(s.InUse), pool)
	ch <- prometheus.MustNewConstMetric(descIdle, prometheus.GaugeValue, float64(s.Idle), pool)
	ch <- prometheus.MustNewConstMetric(descWaitCount, prometheus.CounterValue, float64(s.WaitCount), pool)
	ch <- prometheus.MustNewConstMetric(descWaitSeconds, prometheus.CounterValue, s.WaitDuration.Seconds(), pool)
}
