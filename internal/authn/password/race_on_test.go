//go:build race

package password

// raceEnabled reports whether the race detector is on; it slows bcrypt
// about tenfold.
const raceEnabled = true
