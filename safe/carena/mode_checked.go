//go:build cgoguard_checked

package carena

// checkedBuild reports whether the cgoguard_checked build tag is set.
const checkedBuild = true
