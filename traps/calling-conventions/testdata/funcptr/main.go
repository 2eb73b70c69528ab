// Command funcptr must NOT compile: Go cannot call a C function pointer.
package main

/*
typedef int (*binop)(int, int);
static int add(int a, int b) { return a + b; }
static binop get_add(void) { return add; }
*/
import "C"

func main() {
	f := C.get_add()
	_ = f(1, 2)
}
