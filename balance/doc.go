// Package balance resamples an encoded training matrix (rows x columns,
// float32, row-major, after one-hot encoding and scaling) to counter
// class imbalance, with the semantics of imbalanced-learn 0.10: random
// over- and under-sampling, SMOTE (with SMOTE-NC's categorical handling),
// Borderline-SMOTE 1 and 2, ADASYN, edited nearest neighbours, Tomek
// links, the hybrids SMOTE-ENN and SMOTE-Tomek, and a conditional GAN.
// It is applied to training rows only, never to validation or test rows.
//
// Every method is a type with the method
//
//	Resample(x *tensor.Dense, y []int32, rng *rand.Rand) (*tensor.Dense, []int32, error)
//
// which is the trainer's train.Balancer (satisfied structurally; this
// package does not import train). New builds one by name (Methods lists
// the names) from Options, for the CLI. Every random choice is drawn from
// the rng passed in: the same input and seed give the same output, bit
// for bit. Resample rejects a nil rng, a malformed matrix, non-finite
// values (naming row and column) and negative labels with an error.
//
// # Methods
//
//   - ROS: copies of a class's rows drawn uniformly with replacement.
//   - RUS: a uniform subset of a class's rows without replacement.
//   - SMOTE: a synthetic row is x + u*(n - x) for a row x of the class,
//     n one of its K (5) nearest neighbours within the class, the pair
//     drawn uniformly among rows times neighbours and u uniform in [0, 1);
//     the difference is taken in float32, the step and sum in float64, as
//     NumPy does on float32 data.
//   - Borderline-SMOTE: only rows "in danger" are bases: m/2 <= m' < m
//     where m' of their M (10) nearest neighbours among all rows belong to
//     other classes (imbalanced-learn's rule; a class with no row in
//     danger gets no rows, with a warning). Kind 1 interpolates towards
//     the K nearest rows of the class. Kind 2 draws f ~ Beta(10, 10),
//     makes min(n, int(f*(n+1))) rows that way and the rest towards the K
//     nearest rows of the other classes with u in [0, 0.5).
//     imbalanced-learn 0.10 indexes the other classes' rows with the
//     within-class neighbour indices there (a bug); this package searches
//     the other classes' rows, as Han et al. describe, and makes exactly
//     n rows.
//   - ADASYN: r_i is the fraction of row i's K (5) nearest neighbours
//     among all rows that belong to other classes; g_i = rint(n * r_i /
//     sum r) rows are made from row i, towards one of its K nearest
//     neighbours within the class drawn uniformly. The sum is NumPy's
//     pairwise summation and rint rounds half to even, so that g_i equal
//     imbalanced-learn's exactly; the class then gets sum g_i rows, which
//     rounding can make differ from the target, as in imbalanced-learn.
//     A class none of whose rows has a neighbour of another class is an
//     error, as in imbalanced-learn.
//   - ENN: a row of a class that may lose rows is removed when its K (3)
//     nearest neighbours among all rows are not all of its class
//     (kind_sel "all") or their most frequent class is not its class
//     ("mode", ties to the lower class index).
//   - Tomek links: rows a and b of different classes, each the other's
//     nearest neighbour; the one whose class may lose rows is removed.
//   - SMOTE-ENN and SMOTE-Tomek: SMOTE, then ENN or Tomek links with the
//     strategy "all" on the result (imbalanced-learn's defaults).
//   - GAN: see below.
//
// Over-samplers return the input rows first, in order, then the new rows
// class by class in class order, as imbalanced-learn. Under-samplers and
// cleaners keep the surviving rows in their original order
// (imbalanced-learn's ENN and RUS group them by class; the set of rows is
// the same). A resample that would leave no row is an error.
//
// # Sampling strategies
//
// ParseStrategy reads imbalanced-learn's sampling_strategy. What a
// strategy means depends on the kind of sampler (Kind):
//
//	strategy           over-samplers (ROS, SMOTE family,   under-sampler (RUS)      cleaners (ENN, Tomek)
//	                   ADASYN, GAN): rows to add            rows to keep             classes that may lose rows
//	"auto"             "not majority"                       "not minority"           "not minority"
//	"minority"         the smallest class to the majority   error                    error
//	"majority"         error                                the largest to minority  the largest class
//	"not minority"     all but the smallest, to majority    all but the smallest     all but the smallest
//	"not majority"     all but the largest, to majority     all but the largest      all but the largest
//	"all"              every class to the majority count    every class to minority  every class
//	"0.5" (a float)    minority to int(ratio*majority)      others to int(min/ratio) error
//	"DoS=5000,4=1000"  the listed classes to those counts   the listed to counts     error
//	"DoS,Probe"        error                                error                    the listed classes
//
// A float ratio in (0, 1] needs exactly two classes (it must contain "."
// or an exponent: "1.0", not "1", which is a class). Per-class keys are
// class indices or, when Options.Classes gives the class names, names
// (exact, then case-insensitive). The majority and the minority are the
// largest and smallest classes present, ties going to the lower class
// index (Python's max and min over imbalanced-learn's sorted dictionary);
// classes with no rows take no part. Counts an over-sampler is asked for
// must not be below a class's size (above the majority's gives a
// warning), an under-sampler's not above it.
//
// # Nearest neighbours
//
// Every neighbour search is exact and follows scikit-learn's brute-force
// NearestNeighbors as imbalanced-learn uses it: Euclidean distance,
// neighbours of a set of query rows among a set of reference rows,
// indices being positions in the reference set. imbalanced-learn queries
// the fitted rows themselves, asks for k+1 neighbours and drops the first
// column; so does this package. The first column is the row itself unless
// an identical row with a lower index ties at distance 0, in which case
// that row is dropped and the row itself stays among the neighbours (this
// changes nothing for interpolation and, unless the identical rows have
// different labels, nothing for neighbour labels).
//
// Tie rule: rows at equal distance are ordered by increasing index.
// scikit-learn does not follow any fixed rule there: its order among
// exactly tied rows comes from its heap and an unstable sort, and its
// distances, |a|^2 + |b|^2 - 2ab in float64, err by about
// 1e-16*(|a|^2+|b|^2), enough to reorder rows whose true distances differ
// by less (KDDTrain+ has near-duplicate rows at squared distances of
// 1e-18). For example, scikit-learn returns the identical rows 470 and
// 10457 of the encoded Probe class with 10457 first for query 470.
// balance/testdata/imblearn_compare.py and TestImblearnCompare show that
// on the encoded KDDTrain+ every neighbour list scikit-learn returns
// equals ours up to such ties: the same rows in another order among equal
// distances, other rows at exactly the k-th distance, or rows whose
// distances differ from ours by less than 1e-11 (in fact at most 2e-15).
//
// The search is exact by construction. Let "the distance" of two rows be
// D = B + C, where B sums (hi-lo)^2 over the two-valued columns (over the
// rows involved) in which they differ, in column order, and C sums
// (a_j-b_j)^2 over the other columns in column order, in float64 (squares
// rounded explicitly, so the result does not depend on FMA contraction).
// D is the float64 value of the Euclidean squared distance up to a
// relative 1e-15; the search returns the k rows with the smallest D,
// ties to the lower index, which a test checks against the definition.
//
//  1. Rows are bucketed by the bit signature of their two-valued columns
//     (one-hot columns, flags). B is the same for all pairs of two
//     buckets, and D >= B. For each query, buckets are visited in order
//     of B; a query stops when its list holds k rows and its k-th
//     distance is below the next bucket's B. On the encoded KDDTrain+
//     (90 two-valued and 32 other columns, 398 buckets) this leaves 4% of
//     the pairs of ADASYN's searches among all rows and 10% of Tomek's,
//     with no approximation.
//  2. Within a bucket, C is estimated as c~ = |q|^2 + |r|^2 - 2 q.r with
//     a float64 GEMM (internal/gemm: OpenBLAS where installed) over blocks
//     of 128 queries by 512 reference rows of the continuous columns;
//     every pair whose estimate could reach the current k-th distance tau
//     is recomputed exactly. Bound: with m continuous columns, u = 2^-53
//     and gamma_m = mu/(1-mu), a dot product summed in any order (blocked,
//     with or without FMA) errs by at most gamma_m sum|q_j r_j| <= gamma_m
//     |q||r|; the squared norms by gamma_m |q|^2 and gamma_m |r|^2; C
//     itself (differences, squares, sum) by (gamma_m + 2u) |q-r|^2 <=
//     (gamma_m + 2u)(|q|+|r|)^2; the two final additions by
//     u(|q|^2+|r|^2+2|q||r|) together. So |c~ - C| <= (2 gamma_m + 3u)
//     (|q|+|r|)^2 < e = 4(m+4)u(|q|+|r|)^2, with the largest |r| of the
//     block for |r|. A pair is skipped only when c~ - e > (tau - B) +
//     4u(tau + B), which gives B + C > tau + 2u*tau, hence fl(B + C) >
//     tau: the row is strictly farther than k rows already found, so it
//     cannot enter the list whatever the tie rule, and tau only falls.
//  3. Queries are processed by goroutines in chunks of 128 of one bucket
//     signature (KNN.Workers, default GOMAXPROCS).
//
// On the full encoded KDDTrain+ (125,973 x 122), two cores shared with
// other jobs (load about 6), OpenBLAS: SMOTE ("auto", 210,742 rows added)
// takes 2.0 s against imbalanced-learn's 21.2 s with two BLAS threads,
// ADASYN 5.2 s against 85.4 s, ROS 0.37 s against 0.89 s, Tomek links
// 6.5 s (BenchmarkSMOTEKDD, BenchmarkADASYNKDD, BenchmarkROSKDD,
// BenchmarkTomekKDD; imblearn_compare.py --timing).
//
// # Small classes
//
// A class with n <= K rows cannot have K neighbours within itself: K is
// reduced to n-1 for that class, and a class of one row is over-sampled by
// copies of that row (random over-sampling), each with a warning through
// the Warn callback. imbalanced-learn raises an error instead. The same
// reduction applies when the whole data has too few rows for a search
// among all rows (ADASYN's ratios, Borderline's danger rule, ENN).
//
// # Categorical features
//
// Plain interpolation across a one-hot block makes rows such as 40% tcp
// and 60% udp, which the encoder can never produce. When one-hot groups
// are given (features.Encoder.OneHotGroups), the SMOTE family (SMOTE,
// Borderline-SMOTE, ADASYN and the hybrids' SMOTE) handles them as
// SMOTE-NC by default (CatNC): the median over continuous columns of
// their standard deviation in the minority class, median_std, is
// computed; distances are measured with the group columns scaled by
// median_std/2 (so that a differing category adds median_std^2/2 to the
// squared distance, as imbalanced-learn's SMOTENC); continuous columns
// are interpolated; each group of a synthetic row is set to the category
// most frequent among the base row's K nearest neighbours within its
// class, ties broken at random (a block empty in every neighbour stays
// empty). CatSnap instead interpolates every column with plain distances
// and sets each group to a one at its largest entry. CatNone, only on
// request, leaves fractional blocks. ValidOneHot checks a matrix: a
// writer of resampled data (balance --out) should call it and refuse
// invalid rows unless asked.
//
// # The GAN
//
// One conditional GAN for all the classes to raise (per-class GANs would
// have to learn from U2R's 52 rows alone; conditioning lets the small
// classes share what the networks learn from the larger ones). The
// generator maps Noise (32) standard normal values and the class one-hot
// through Dense(Hidden) ReLU Dense(Hidden) ReLU Dense(columns), the
// critic a row and the class one-hot through Dense(Hidden) ReLU
// Dense(Hidden) ReLU Dense(1) (Hidden 128; layers, Adam and backward
// passes of the model package, including BackwardInput for the
// generator's gradient through the critic). The critic sees rows on a
// unit scale, and the generator's output head, written here, produces
// them:
//
//   - continuous columns: a sigmoid, read as a quantile of the class's
//     empirical distribution of the column (real values enter the critic
//     as their mid-rank distribution function; generated ones leave
//     through the quantile function, interpolated between order
//     statistics), so every column keeps the class's range and heavy
//     tails and point masses (most KDD columns are mostly 0) are easy to
//     hit;
//   - columns with two values in the training rows: a straight-through
//     Bernoulli (the hard value forward, the gradient of a logistic
//     relaxation backward), fixed when the class has only one of them;
//   - each one-hot group: a straight-through Gumbel-softmax at
//     temperature 0.5 over the categories the class has (one-hot forward,
//     the softmax's gradient backward), so every generated row has valid
//     one-hot blocks and no class gets a category it never has;
//   - constant columns are copied.
//
// Training is a Wasserstein GAN on class-balanced batches (Batch 128 real
// and 128 generated rows; 5 critic updates per generator update; Adam,
// learning rate 1e-4, betas 0.5 and 0.9; Steps 2000). A plain
// (non-saturating) GAN was tried first: its discriminator won outright on
// KDDTrain+ (loss near 0 within 500 steps, generator stuck). WGAN-GP's
// gradient penalty needs second derivatives, which the model package does
// not compute, so the critic is kept 1-Lipschitz by a first-order penalty
// on difference quotients between paired real and generated rows,
// lambda * max(0, |D(r)-D(f)|/|r-f| - 1)^2 (lambda 10), plus a drift term
// 1e-3 * D(r)^2. Generated rows closer than MinDistance (1e-3, Euclidean
// in the encoded space) to a training row of their class are drawn again
// (up to 10 rounds, then kept with a warning): KDD's R2L rows are so
// alike that the quantile head would otherwise emit exact copies.
//
// Measured on the committed 10,000-row KDDTrain+ sample with Hidden 64,
// Batch 64 and 2000 steps (TestGANKDDSample, about 6 s on two cores): a
// logistic regression tells generated R2L rows from real ones with a
// held-out AUC of 0.93 (U2R 0.86-0.91), against 0.52 for SMOTE-NC's rows
// and 1.00 for uniform noise with valid blocks; the test asserts below
// 0.95. The GAN is reproducible for a given seed and BLAS backend.
//
// # Why written by hand
//
// No maintained Go library implements imbalanced-learn's samplers, its
// strategy rules or scikit-learn-compatible exact neighbour searches;
// gonum supplies the numerics used here (GEMM through internal/gemm and
// the Beta distribution).
package balance
