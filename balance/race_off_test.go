//go:build !race

package balance

// raceEnabled: see race_on_test.go.
const raceEnabled = false
