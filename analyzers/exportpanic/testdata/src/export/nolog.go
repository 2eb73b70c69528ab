package export

import "C"

//export goNoLog
func goNoLog(p *C.char) *C.char {
	if p == nil {
		panic("nil record") // want `goNoLog is exported to C and may panic here \(panic\)`
	}
	return p
}
