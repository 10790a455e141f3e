//go:build !race

package alert

// raceEnabled: see race_on_test.go.
const raceEnabled = false
