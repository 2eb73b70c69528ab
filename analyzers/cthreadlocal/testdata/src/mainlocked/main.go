// Command mainlocked wires main to the main thread in init, as GUI programs do.
package main

/*
static __thread int code;
static void set_code(int c) { code = c; }
static int *code_ptr(void) { return &code; }
*/
import "C"

import (
	"fmt"
	"runtime"
)

func init() { runtime.LockOSThread() }

func main() {
	C.set_code(3)
	fmt.Println("between")
	fmt.Println(*C.code_ptr())
	show()
}

// show is called only from main, which runs locked.
func show() {
	C.set_code(4)
	fmt.Println("between")
	fmt.Println(*C.code_ptr())
}
