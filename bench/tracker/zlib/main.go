// Command zlib compresses and decompresses real data (the Go standard
// library's sources) with the C zlib in 64 KiB chunks, a cgo workload where
// C allocates internally (deflateInit/inflateInit state per call). It prints
// nanoseconds per chunk round trip.
package main

/*
#cgo LDFLAGS: -lz
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
*/
import "C"

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func corpus(max int) []byte {
	var buf bytes.Buffer
	goroot, _ := exec.Command("go", "env", "GOROOT").Output()
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(goroot)), "src", "*", "*.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			buf.Write(b)
		}
		if buf.Len() >= max {
			break
		}
	}
	return buf.Bytes()
}

func main() {
	rounds := flag.Int("rounds", 3, "passes over the corpus")
	flag.Parse()
	data := corpus(16 << 20)
	const chunk = 64 << 10
	src := C.malloc(chunk)
	dstCap := C.compressBound(chunk)
	dst := C.malloc(C.size_t(dstCap))
	back := C.malloc(chunk)
	defer C.free(src)
	defer C.free(dst)
	defer C.free(back)
	n := 0
	cpu0 := cpuTime()
	start := time.Now()
	for r := 0; r < *rounds; r++ {
		for off := 0; off+chunk <= len(data); off += chunk {
			C.memcpy(src, unsafe.Pointer(&data[off]), chunk)
			dl := C.uLongf(dstCap)
			if C.compress2((*C.Bytef)(dst), &dl, (*C.Bytef)(src), chunk, 6) != C.Z_OK {
				panic("compress2")
			}
			bl := C.uLongf(chunk)
			if C.uncompress((*C.Bytef)(back), &bl, (*C.Bytef)(dst), dl) != C.Z_OK || bl != chunk {
				panic("uncompress")
			}
			n++
		}
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	fmt.Printf("ns_per_op %.1f\ncpu_ns_per_op %.1f\nchunks %d\n", float64(el.Nanoseconds())/float64(n), float64(cpu.Nanoseconds())/float64(n), n)
}

// cpuTime is this process's user+system CPU time: on a shared machine it
// moves less than wall time when other work competes for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
