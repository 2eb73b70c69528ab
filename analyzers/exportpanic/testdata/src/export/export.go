package export

// The preamble of a file with //export may only declare.

/*
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"log"
	"regexp"
	"strconv"
	"text/template"
)

//export goDirect
func goDirect(v C.int) C.int {
	if v < 0 {
		panic("negative") // want `goDirect is exported to C and may panic here \(panic\) with no deferred recover in place`
	}
	return v * 2
}

//export goLogPanic
func goLogPanic(v C.int) {
	if v == 0 {
		log.Panicf("zero") // want `goLogPanic is exported to C and may panic here \(log.Panicf\)`
	}
}

func parse(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func mustParse(s string) int { return parse(s) }

//export goViaHelper
func goViaHelper(s *C.char) C.int {
	return C.int(mustParse(C.GoString(s))) // want `goViaHelper is exported to C and may panic here \(a call of mustParse, which may panic\)`
}

//export goMust
func goMust(s *C.char) C.int {
	re := regexp.MustCompile(C.GoString(s)) // want `a call of the must-style regexp.MustCompile, which panics on error`
	return C.int(re.NumSubexp())
}

//export goDeferTooLate
func goDeferTooLate(v C.int) (rc C.int) {
	if v < 0 {
		panic("early") // want `goDeferTooLate is exported to C and may panic here \(panic\)`
	}
	defer func() {
		if recover() != nil {
			rc = -1
		}
	}()
	return v
}

//export goRepanic
func goRepanic(v C.int) (rc C.int) {
	defer func() {
		if r := recover(); r != nil {
			log.Print("cleanup")
			panic(r) // re-panics: still escapes into C
		}
	}()
	if v < 0 {
		panic("bad") // want `goRepanic is exported to C and may panic here \(panic\)`
	}
	return v
}

//export goNestedRecover
func goNestedRecover(v C.int) (rc C.int) {
	defer func() {
		func() { recover() }() // recover not called by the deferred function itself: no effect
	}()
	if v < 0 {
		panic("bad") // want `goNestedRecover is exported to C and may panic here`
	}
	return v
}

//export goOnePath
func goOnePath(v C.int, guard bool) (rc C.int) {
	if guard {
		defer func() {
			if recover() != nil {
				rc = -1
			}
		}()
	}
	if v < 0 {
		panic("bad") // want `goOnePath is exported to C and may panic here`
	}
	return v
}

// --- Silent. ---

//export goRecovers
func goRecovers(s *C.char) (rc C.int) {
	defer func() {
		if r := recover(); r != nil {
			log.Printf("goRecovers: %v", r)
			rc = -1
		}
	}()
	return C.int(mustParse(C.GoString(s)))
}

func recoverToCode(rc *C.int) {
	if r := recover(); r != nil {
		*rc = -1
	}
}

//export goNamedRecover
func goNamedRecover(v C.int) (rc C.int) {
	defer recoverToCode(&rc)
	if v < 0 {
		panic("bad")
	}
	return v
}

var word = regexp.MustCompile(`\w+`)

//export goConstMust
func goConstMust(s *C.char) C.int {
	re := regexp.MustCompile(`^[a-z]+$`) // constant: fails always or never, a test shows which
	t := template.Must(template.New("x").Parse("{{.}}"))
	_ = t
	return C.int(len(re.FindString(C.GoString(s))) + len(word.String()))
}

//export goErrors
func goErrors(s *C.char) C.int {
	if _, err := strconv.Atoi(C.GoString(s)); err != nil {
		return -1
	}
	return 0
}

func safeParse(s string) (n int) {
	defer func() {
		if recover() != nil {
			n = -1
		}
	}()
	return parse(s)
}

//export goSafeHelper
func goSafeHelper(s *C.char) C.int {
	return C.int(safeParse(C.GoString(s)))
}

//export goGoroutine
func goGoroutine() {
	f := func() { panic("not through C") }
	go func() {
		defer func() { recover() }()
		f()
	}()
}

// notExported panics, but C cannot call it.
func notExported() { panic(errors.New("x")) }
