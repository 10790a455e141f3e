//go:build race

package flow

// raceEnabled shortens the longest tests under the race detector.
const raceEnabled = true
