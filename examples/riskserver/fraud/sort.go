package fraud

import (
	"cmp"
	"slices"
)

// sortByScore orders indices by ascending score.
func sortByScore(idx []int, scores []float32) {
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[a], scores[b]) })
}
