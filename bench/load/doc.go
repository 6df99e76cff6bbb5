// Package load is Warden's whole-server load harness: it drives named workloads
// over HTTP against base URLs given on the command line, so the same workload can
// be pointed at Warden or at any server that speaks the same API.
//
// The pieces:
//   - runner.go: closed-loop (fixed concurrency) and open-loop (fixed rate) runs.
//     Open-loop latency is measured from each request's intended send time, so a
//     stalled server cannot hide its queueing delay (no coordinated omission).
//   - histogram.go: a log-linear bucket histogram with microsecond resolution and
//     at most 0.4% relative error; one per worker, merged after a run.
//   - procstat.go: CPU time and RSS of the server process from /proc.
//   - startup.go: the cold-start measurement (workload X1).
//   - report.go: the text table and the JSON file.
//   - cli.go: flags, safety bounds and the order of a run.
//   - client.go: the one shared HTTP client, the Worker an Op runs on, and
//     the setup helper Call.
//   - guard.go: the loopback checks on URLs and on every dialled address.
//
// Every base URL must name a loopback host, and the dialer refuses any address
// that is not loopback after resolution, so the harness cannot be aimed at
// another machine by accident.
package load
