// Command variadic must NOT compile: cgo cannot call a variadic C function.
package main

/*
#include <stdio.h>
*/
import "C"

func main() {
	C.printf(C.CString("%d\n"), C.int(1))
}
