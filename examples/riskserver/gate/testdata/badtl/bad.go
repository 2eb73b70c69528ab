// Package badtl is the vet gate's negative control: it reads XGBoost's
// thread-local error after a scheduling point, without LockOSThread. The
// gate test checks that cgoguard vet, taught by examples/riskserver/cgoguard.json,
// reports it.
package badtl

/*
#cgo pkg-config: xgboost
#include <xgboost/c_api.h>
*/
import "C"

import (
	"errors"
	"log"
)

// Free frees h and reads the error on whatever thread the goroutine is on
// after the log call.
func Free(h C.BoosterHandle) error {
	if C.XGBoosterFree(h) != 0 {
		log.Print("XGBoosterFree failed")
		return errors.New(C.GoString(C.XGBGetLastError())) // MARK: thread-local read on another thread
	}
	return nil
}
