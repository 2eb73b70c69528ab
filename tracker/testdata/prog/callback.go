package main

import "C"

var callbackLeaks []*C.char

//export goCallback
func goCallback(n C.int) {
	for i := 0; i < int(n); i++ {
		callbackLeaks = append(callbackLeaks, C.CString("from a callback")) // MARK:callback
	}
}
