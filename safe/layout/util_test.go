package layout

import "unsafe"

func unsafeSizeof[T any]() uintptr {
	var v T
	return unsafe.Sizeof(v)
}
