// Package monitor watches a serving model: the two-sample Kolmogorov-Smirnov
// drift score of each feature between the model's reference sample and a
// sliding window of recent requests, the p95 latency of each evaluation
// period, and a rollback policy over both (Watchdog); plus the Prometheus
// metrics of the service (Metrics).
package monitor

import (
	"math"
	"slices"
)

// KS returns the two-sample Kolmogorov-Smirnov statistic of a and b: the
// largest distance between their empirical distribution functions,
// sup_x |F_a(x) - F_b(x)|, in [0, 1]. Both must be sorted ascending (use
// slices.Sort); NaNs are not allowed. It is 0 for two empty samples.
func KS(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	na, nb := float64(len(a)), float64(len(b))
	var i, j int
	var d float64
	for i < len(a) && j < len(b) {
		// Step past every value equal to the smaller head in both samples,
		// so that ties move both distribution functions at once.
		x := min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = max(d, math.Abs(float64(i)/na-float64(j)/nb))
	}
	return d // past the end of one sample the distance only shrinks
}

// KSPValue approximates the p-value of statistic d for samples of sizes n
// and m (the probability of a distance at least d if both come from one
// distribution), with the asymptotic Kolmogorov distribution and Stephens'
// small-sample correction (Numerical Recipes, probks).
func KSPValue(d float64, n, m int) float64 {
	if n == 0 || m == 0 {
		return 1
	}
	ne := float64(n) * float64(m) / float64(n+m)
	sq := math.Sqrt(ne)
	lambda := (sq + 0.12 + 0.11/sq) * d
	if lambda < 1e-3 {
		return 1
	}
	var sum, sign, prev float64 = 0, 1, 0
	for k := 1; k <= 100; k++ {
		term := sign * 2 * math.Exp(-2*lambda*lambda*float64(k*k))
		sum += term
		if math.Abs(term) <= 1e-10*prev || math.Abs(term) <= 1e-12*sum {
			return min(max(sum, 0), 1)
		}
		sign = -sign
		prev = math.Abs(term)
	}
	return 1 // no convergence: lambda tiny, the samples agree
}

// sortedCopy returns a sorted copy of xs.
func sortedCopy(xs []float64) []float64 {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}
