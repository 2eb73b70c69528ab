// Package xgb is a small cgo binding of XGBoost's C API (libxgboost-dev 1.7,
// /usr/include/xgboost/c_api.h): train, save, load and predict with a
// gradient-boosted tree model, and nothing more.
//
// The binding gets four traps of this C API right on purpose:
//
//   - Errors are thread-local. Every call returns 0 or -1 and the message is
//     kept per OS thread (XGBGetLastError reads the calling thread's entry).
//     Each method locks the goroutine to its OS thread from the failing call
//     to the read of the message, so the message is the one of this call, not
//     of another goroutine's call on another thread.
//   - Returned buffers are borrowed. Prediction results, saved models and
//     attribute strings point into the booster's per-thread scratch entry:
//     overwritten by the next call on that booster from the same thread and
//     freed with the booster. Every method copies them into Go memory before
//     it returns (and before it unlocks the thread).
//   - Handles are freed exactly once, by an explicit Close that clears the
//     handle. There is no finalizer: it would free on the finalizer's thread
//     (see the package model for why the freeing thread matters here) and a
//     finalizer armed next to Close is the classic double free.
//   - C keeps no Go pointer: XGDMatrixCreateFromMat copies the matrix, the
//     model bytes are copied by XGBoosterLoadModelFromBuffer, and strings go
//     to C as C copies freed after the call.
//
// XGBoost parallelizes inside a call with OpenMP: each OS thread that calls
// it gets its own team of nthread-1 worker threads. Set nthread explicitly
// (SetParam("nthread", ...), and the nthread argument of NewDMatrix) and
// bound the number of concurrent calls (package model uses safe/cgate).
//
// None of the types is safe for concurrent use on its own; package model
// serializes the calls on one booster per OS thread.
package xgb

/*
#cgo pkg-config: xgboost
#include <stdlib.h>
#include <xgboost/c_api.h>

// Constant configurations stay in C, so that no Go string is converted (and
// freed) per call.
static int xgb_predict(BoosterHandle h, DMatrixHandle m, bst_ulong const **shape, bst_ulong *dim, float const **res) {
	return XGBoosterPredictFromDMatrix(h, m,
		"{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}",
		shape, dim, res);
}
static int xgb_save_json(BoosterHandle h, bst_ulong *n, char const **p) {
	return XGBoosterSaveModelToBuffer(h, "{\"format\": \"json\"}", n, p);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"unsafe"

	"github.com/cgoguard/cgoguard/safe/carena"
)

// Error is a failed XGBoost call with XGBoost's own message.
type Error struct {
	Op  string // the C function that failed
	Msg string // XGBGetLastError, read on the thread of the failed call
}

func (e *Error) Error() string { return "xgboost: " + e.Op + ": " + e.Msg }

// ErrClosed is returned by methods of a closed Booster or DMatrix.
var ErrClosed = errors.New("xgboost: use of a closed handle")

// lastError reads the calling thread's XGBoost error. Its caller must have
// locked the OS thread since the failing call.
func lastError(op string) error {
	msg := C.GoString(C.XGBGetLastError()) // copied at once: the next failure on this thread overwrites it
	if i := strings.Index(msg, "\nStack trace:"); i >= 0 {
		msg = msg[:i] // XGBoost appends a C++ backtrace of its own frames
	}
	return &Error{Op: op, Msg: msg}
}

// Version returns the version of the loaded libxgboost.
func Version() string {
	var major, minor, patch C.int
	C.XGBoostVersion(&major, &minor, &patch)
	return fmt.Sprintf("%d.%d.%d", major, minor, patch)
}

// DMatrix is XGBoost's data matrix: a copy of a dense float32 matrix.
type DMatrix struct {
	h          C.DMatrixHandle
	rows, cols int
}

// NewDMatrix copies a dense row-major matrix of rows×cols values into a new
// DMatrix, using nthread OpenMP threads for the copy. NaN marks a missing
// value. The caller must Close it.
func NewDMatrix(data []float32, rows, cols, nthread int) (*DMatrix, error) {
	if rows <= 0 || cols <= 0 || len(data) != rows*cols {
		return nil, fmt.Errorf("xgboost: NewDMatrix: %d values for %d×%d", len(data), rows, cols)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var h C.DMatrixHandle
	// data is Go memory without Go pointers, so it may be passed for the
	// duration of the call; XGBoost copies it into its own pages.
	if C.XGDMatrixCreateFromMat_omp((*C.float)(unsafe.Pointer(&data[0])), C.bst_ulong(rows), C.bst_ulong(cols),
		C.float(math.NaN()), &h, C.int(nthread)) != 0 {
		return nil, lastError("XGDMatrixCreateFromMat_omp")
	}
	return &DMatrix{h: h, rows: rows, cols: cols}, nil
}

// Rows returns the number of rows.
func (m *DMatrix) Rows() int { return m.rows }

// SetLabels sets the training labels, one per row.
func (m *DMatrix) SetLabels(y []float32) error {
	if m.h == nil {
		return ErrClosed
	}
	if len(y) != m.rows {
		return fmt.Errorf("xgboost: SetLabels: %d labels for %d rows", len(y), m.rows)
	}
	field := C.CString("label")
	defer C.free(unsafe.Pointer(field))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.XGDMatrixSetFloatInfo(m.h, field, (*C.float)(unsafe.Pointer(&y[0])), C.bst_ulong(len(y))) != 0 {
		return lastError("XGDMatrixSetFloatInfo")
	}
	return nil
}

// Close frees the matrix. It is safe to call more than once.
func (m *DMatrix) Close() error {
	if m.h == nil {
		return nil
	}
	h := m.h
	m.h = nil // cleared first: a second Close finds nothing to free
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.XGDMatrixFree(h) != 0 {
		return lastError("XGDMatrixFree")
	}
	return nil
}

// Booster is a gradient-boosted model.
type Booster struct {
	h C.BoosterHandle
}

// NewBooster creates a booster. With training matrices it is ready for
// Update; without, for LoadModel. The caller must Close it.
func NewBooster(train ...*DMatrix) (*Booster, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var h C.BoosterHandle
	var rc C.int
	if len(train) == 0 {
		rc = C.XGBoosterCreate(nil, 0, &h)
	} else {
		// The handle array is C memory: a Go array of void* would make cgo's
		// pointer check (and the reader) prove each element is not a Go
		// pointer.
		var a carena.Arena
		defer a.Free()
		arr := unsafe.Slice((*C.DMatrixHandle)(a.Malloc(len(train)*C.sizeof_DMatrixHandle)), len(train))
		for i, m := range train {
			if m.h == nil {
				return nil, ErrClosed
			}
			arr[i] = m.h
		}
		rc = C.XGBoosterCreate(&arr[0], C.bst_ulong(len(train)), &h)
	}
	if rc != 0 {
		return nil, lastError("XGBoosterCreate")
	}
	return &Booster{h: h}, nil
}

// SetParam sets a booster parameter ("nthread", "max_depth", "eta", ...).
func (b *Booster) SetParam(name, value string) error {
	if b.h == nil {
		return ErrClosed
	}
	var a carena.Arena // both strings in one C block, freed together
	defer a.Free()
	n, v := a.CString(name), a.CString(value)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.XGBoosterSetParam(b.h, (*C.char)(n), (*C.char)(v)) != 0 {
		return lastError("XGBoosterSetParam(" + name + ")")
	}
	return nil
}

// Update runs one boosting round on dtrain.
func (b *Booster) Update(iter int, dtrain *DMatrix) error {
	if b.h == nil || dtrain.h == nil {
		return ErrClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.XGBoosterUpdateOneIter(b.h, C.int(iter), dtrain.h) != 0 {
		return lastError("XGBoosterUpdateOneIter")
	}
	return nil
}

// SetAttr stores a string attribute, saved with the model.
func (b *Booster) SetAttr(key, value string) error {
	if b.h == nil {
		return ErrClosed
	}
	var a carena.Arena
	defer a.Free()
	k, v := a.CString(key), a.CString(value)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.XGBoosterSetAttr(b.h, (*C.char)(k), (*C.char)(v)) != 0 {
		return lastError("XGBoosterSetAttr")
	}
	return nil
}

// Attr returns a string attribute and whether it exists.
func (b *Booster) Attr(key string) (string, bool, error) {
	if b.h == nil {
		return "", false, ErrClosed
	}
	k := C.CString(key)
	defer C.free(unsafe.Pointer(k))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out *C.char
	var ok C.int
	if C.XGBoosterGetAttr(b.h, k, &out, &ok) != 0 {
		return "", false, lastError("XGBoosterGetAttr")
	}
	if ok == 0 {
		return "", false, nil
	}
	// out is the booster's per-thread scratch string: copy it now.
	return C.GoString(out), true, nil
}

// SaveJSON returns the model in XGBoost's JSON format (attributes included).
func (b *Booster) SaveJSON() ([]byte, error) {
	if b.h == nil {
		return nil, ErrClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var n C.bst_ulong
	var p *C.char
	if C.xgb_save_json(b.h, &n, &p) != 0 {
		return nil, lastError("XGBoosterSaveModelToBuffer")
	}
	// Borrowed from the booster until its next call on this thread: copy.
	return C.GoBytes(unsafe.Pointer(p), C.int(n)), nil
}

// LoadModel replaces the booster's model with one saved by SaveJSON (or any
// format XGBoost reads from a buffer).
func (b *Booster) LoadModel(model []byte) error {
	if b.h == nil {
		return ErrClosed
	}
	if len(model) == 0 {
		return errors.New("xgboost: LoadModel: empty model")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// XGBoost parses the buffer during the call and keeps nothing of it.
	if C.XGBoosterLoadModelFromBuffer(b.h, unsafe.Pointer(&model[0]), C.bst_ulong(len(model))) != 0 {
		return lastError("XGBoosterLoadModelFromBuffer")
	}
	return nil
}

// NumFeatures returns the number of input features the model expects.
func (b *Booster) NumFeatures() (int, error) {
	if b.h == nil {
		return 0, ErrClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var n C.bst_ulong
	if C.XGBoosterGetNumFeature(b.h, &n) != 0 {
		return 0, lastError("XGBoosterGetNumFeature")
	}
	return int(n), nil
}

// Predict appends the model's predictions for m (one per row, for the
// binary:logistic objective a probability) to dst and returns it.
func (b *Booster) Predict(m *DMatrix, dst []float32) ([]float32, error) {
	if b.h == nil || m.h == nil {
		return dst, ErrClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var shape *C.bst_ulong
	var dim C.bst_ulong
	var res *C.float
	if C.xgb_predict(b.h, m.h, &shape, &dim, &res) != 0 {
		return dst, lastError("XGBoosterPredictFromDMatrix")
	}
	n := 1
	for _, d := range unsafe.Slice(shape, int(dim)) {
		n *= int(d)
	}
	if n != m.rows {
		return dst, fmt.Errorf("xgboost: Predict: %d outputs for %d rows (not a single-output model)", n, m.rows)
	}
	// res lives in this thread's entry of the booster: copy before the next
	// call on the booster from this thread can overwrite it.
	return append(dst, unsafe.Slice((*float32)(unsafe.Pointer(res)), n)...), nil
}

// Close frees the booster. It is safe to call more than once. XGBoost frees
// the per-thread scratch entries of this booster only on the calling thread
// (see package model): call it on the thread that made the predictions.
func (b *Booster) Close() error {
	if b.h == nil {
		return nil
	}
	h := b.h
	b.h = nil
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.XGBoosterFree(h) != 0 {
		return lastError("XGBoosterFree")
	}
	return nil
}

// failLoadRaw makes XGBoost fail on the calling thread and leaves the error
// unread; lastErrorRaw reads the calling thread's error. Together they let
// the tests show that the error is per thread (a test file cannot use cgo).
func failLoadRaw(junk []byte) bool {
	var h C.BoosterHandle
	if C.XGBoosterCreate(nil, 0, &h) != 0 {
		return false
	}
	defer C.XGBoosterFree(h)
	return C.XGBoosterLoadModelFromBuffer(h, unsafe.Pointer(&junk[0]), C.bst_ulong(len(junk))) != 0
}

func lastErrorRaw() string { return C.GoString(C.XGBGetLastError()) }
