// Command prog runs one C-memory scenario per argument, for the tracker's
// tests. Lines the tracker must name carry a MARK comment.
package main

// #include "helpers.h"
import "C"

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"unsafe"
)

var keep []unsafe.Pointer

func cstringLeak() {
	s := C.CString("leaked string") // MARK:cstring
	keep = append(keep, unsafe.Pointer(s))
}

// cstringDrop is the classic leak: the copy is used and dropped, no Go
// variable keeps it.
func cstringDrop() int {
	return int(C.name_len(C.CString("dropped"))) // MARK:cstring-drop
}

func cfuncLeak() {
	p := C.make_buf(64) // MARK:cfunc
	keep = append(keep, unsafe.Pointer(p))
}

func freed() {
	for i := 0; i < 100; i++ {
		s := C.CString("freed")
		C.free(unsafe.Pointer(s))
		p := C.make_buf(32)
		C.free(unsafe.Pointer(p))
	}
	q := C.grow_chain()
	C.free(q)
}

func doubleFree() {
	s := C.CString("twice")   // MARK:df-alloc
	C.free(unsafe.Pointer(s)) // MARK:df-free1
	C.free(unsafe.Pointer(s)) // MARK:df-free2
}

// doubleFreeLoop frees 100 blocks twice at the same line: one finding.
func doubleFreeLoop() {
	for i := 0; i < 100; i++ {
		s := C.CString("again")
		C.free(unsafe.Pointer(s))
		C.free(unsafe.Pointer(s)) // MARK:df-loop
	}
}

func invalidFree() {
	p := C.make_buf(32)
	C.free(unsafe.Add(unsafe.Pointer(p), 8)) // MARK:invalid
	C.free(unsafe.Pointer(p))
}

func writeAfterFree() {
	p := C.make_buf(32)       // MARK:waf-alloc
	C.free(unsafe.Pointer(p)) // MARK:waf-free
	C.poke(p)
	// Push the block out of the quarantine so the poison is checked.
	for i := 0; i < 20000; i++ {
		q := C.make_buf(48)
		C.free(unsafe.Pointer(q))
	}
}

func chain() {
	keep = append(keep, C.grow_chain()) // MARK:chain
}

func grow() {
	keep = append(keep, C.grow_big()) // MARK:grow
}

func aligned() {
	keep = append(keep, C.aligned()) // MARK:aligned
}

func strdupLeak() {
	s := C.CString("dup me")
	keep = append(keep, unsafe.Pointer(C.dup(s))) // MARK:strdup
	C.free(unsafe.Pointer(s))
}

func goroutines() {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				s := C.CString("concurrent") // MARK:goroutines
				if i%2 == 0 {
					C.free(unsafe.Pointer(s))
				}
			}
		}()
	}
	wg.Wait()
}

// stress runs 8 threads x n iterations of mixed C allocations and frees;
// every 1000th block is leaked, its size telling which thread leaked it.
func stress(n int) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // 8 real threads hitting the allocator
			defer runtime.UnlockOSThread()
			var ring [16]*C.char
			for i := 0; i < n; i++ {
				if i%1000 == 999 {
					keepMu.Lock()
					keep = append(keep, unsafe.Pointer(C.make_buf(C.int(100+g)))) // MARK:stress-leak
					keepMu.Unlock()
					continue
				}
				k := i % 16
				if ring[k] != nil {
					C.free(unsafe.Pointer(ring[k]))
				}
				ring[k] = C.make_buf(C.int(8 + i%64))
			}
			for _, p := range ring {
				if p != nil {
					C.free(unsafe.Pointer(p))
				}
			}
		}()
	}
	wg.Wait()
}

var keepMu sync.Mutex

func callback() {
	C.call_back(3) // MARK:callback-outer
}

// sampledRun frees 200,000 blocks and leaks 20,000 of 100 bytes, for
// runs with a sample rate.
func sampledRun() {
	for i := 0; i < 200000; i++ {
		C.free(unsafe.Pointer(C.make_buf(100)))
	}
	for i := 0; i < 20000; i++ {
		p := C.make_buf(100) // MARK:sampled
		keep = append(keep, unsafe.Pointer(p))
	}
}

func cthread() {
	C.c_thread_leak()
}

func main() {
	for _, a := range os.Args[1:] {
		switch a {
		case "cstring":
			cstringLeak()
		case "cstring-drop":
			cstringDrop()
		case "cfunc":
			cfuncLeak()
		case "freed":
			freed()
		case "double-free":
			doubleFree()
		case "double-free-loop":
			doubleFreeLoop()
		case "invalid-free":
			invalidFree()
		case "waf":
			writeAfterFree()
		case "chain":
			chain()
		case "grow":
			grow()
		case "aligned":
			aligned()
		case "strdup":
			strdupLeak()
		case "goroutines":
			goroutines()
		case "callback":
			callback()
		case "stress":
			n, _ := strconv.Atoi(os.Getenv("STRESS_N"))
			stress(n)
		case "sampled":
			sampledRun()
		case "cthread":
			cthread()
		case "tlsdtor":
			C.register_tls_dtor()
		case "dlfail":
			C.dl_fail() // MARK:dlfail
		case "child":
			// A child running this same binary gets its own report.
			cmd := exec.Command(os.Args[0], "cstring")
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(1)
			}
			// Another program inherits LD_PRELOAD but is not tracked.
			if err := exec.Command("/bin/true").Run(); err != nil {
				fmt.Fprintln(os.Stderr, "true:", err)
				os.Exit(1)
			}
		case "nss":
			// glibc's NSS caches, allocated through the standard
			// library's cgo code (run with GODEBUG=netdns=cgo).
			if _, err := user.Lookup("root"); err != nil {
				fmt.Fprintln(os.Stderr, "user:", err)
			}
			if _, err := net.LookupHost("localhost"); err != nil {
				fmt.Fprintln(os.Stderr, "net:", err)
			}
		case "exit":
			os.Exit(3)
		case "panic":
			panic("scenario panic")
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		default:
			fmt.Fprintln(os.Stderr, "unknown scenario", a)
			os.Exit(2)
		}
	}
}
