package balance

import (
	"math/rand/v2"
	"testing"

	"github.com/cnids/cnids/internal/gemm"
)

// benchResample runs a method on the full encoded KDDTrain+ (skipped
// when the dataset is absent) and reports rows generated per second.
func benchResample(b *testing.B, method string) {
	kdd := loadKDD(b)
	rs, err := New(method, Options{})
	if err != nil {
		b.Fatal(err)
	}
	x := kdd.dense()
	b.Logf("%s on %d x %d, BLAS %s", method, len(kdd.y), kdd.cols, gemm.Backend())
	b.ResetTimer()
	var added int
	for i := 0; i < b.N; i++ {
		_, yo, err := rs.Resample(x, kdd.y, rand.New(rand.NewPCG(uint64(i), 1)))
		if err != nil {
			b.Fatal(err)
		}
		added = len(yo) - len(kdd.y)
	}
	b.ReportMetric(float64(added), "rows_added")
}

// BenchmarkSMOTEKDD is SMOTE ("auto") on the full encoded KDDTrain+.
func BenchmarkSMOTEKDD(b *testing.B) { benchResample(b, "smote") }

// BenchmarkADASYNKDD is ADASYN ("auto") on the full encoded KDDTrain+.
func BenchmarkADASYNKDD(b *testing.B) { benchResample(b, "adasyn") }

// BenchmarkROSKDD is random over-sampling on the full encoded KDDTrain+.
func BenchmarkROSKDD(b *testing.B) { benchResample(b, "ros") }

// BenchmarkTomekKDD is Tomek links (a search among all 125,973 rows for
// every row) on the full encoded KDDTrain+.
func BenchmarkTomekKDD(b *testing.B) { benchResample(b, "tomek") }
