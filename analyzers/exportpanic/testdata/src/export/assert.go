package export

import "C"

var handles = map[int]string{}

// lookup panics on a handle that was never registered: an assertion that
// correct use never reaches. One directive at the panic covers every
// callback that reaches it.
func lookup(h int) string {
	s, ok := handles[h]
	if !ok {
		panic("unknown handle") //cgoguard:ignore exportpanic assertion: handles come only from register
	}
	return s
}

//export goFirstUser
func goFirstUser(h C.int) C.int { return C.int(len(lookup(int(h)))) }

//export goSecondUser
func goSecondUser(h C.int) C.int { return C.int(len(lookup(int(h))) * 2) }

// find panics too, without a directive: each callback is reported.
func find(h int) string {
	s, ok := handles[h]
	if !ok {
		panic("unknown handle")
	}
	return s
}

//export goThirdUser
func goThirdUser(h C.int) C.int {
	return C.int(len(find(int(h)))) // want `goThirdUser is exported to C and may panic here \(a call of find, which may panic\)`
}
