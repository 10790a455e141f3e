//go:build race

package balance

// raceEnabled: the race detector slows the GAN's training loops about
// tenfold, so under it the GAN tests train briefly and check validity,
// counts and the distance floor but not the two-sample AUC, which the
// runs without the detector check.
const raceEnabled = true
