//go:build ignore

// Input of `go tool cgo -godefs` (see gen.go): each type below becomes a Go
// struct with the C layout, fields named after the C ones.

package ctest

/*
#include "ctest.h"
*/
import "C"

// RecordMirror is struct ctest_record as a plain Go type.
type RecordMirror C.struct_ctest_record
