// Package purego has no cgo: cgoguard test runs its tests untracked.
package purego

// Double doubles n.
func Double(n int) int { return 2 * n }
