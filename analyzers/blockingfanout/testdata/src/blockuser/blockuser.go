// Package blockuser does not use cgo; it starts a goroutine per value.
package blockuser

import "blockbinding"

func Spawn(ch chan int) {
	for range ch {
		go blockbinding.Wait() // want `blockbinding.Wait calls C.nap may block its thread \(C: calls usleep`
	}
}
