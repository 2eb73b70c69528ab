package csrc

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// overlayFS serves the files the model provides instead of the disk's:
// _cgo_export.h, headers with a chunk blanked out by repair, and, under
// stubDir (the last include directory), an empty stand-in for every header
// found nowhere else. A missing header would otherwise stop the C
// preprocessor in the middle of the unit. The stand-ins do not answer
// __has_include (their Stat fails), so feature tests still see the header
// as absent. cc falls back to the disk for every other name.
type overlayFS struct {
	mu      sync.Mutex        // a parser abandoned by the watchdog may still read
	files   map[string][]byte // absolute path → content
	missing map[string]bool   // headers replaced by a stand-in, by include name
}

// get returns the content the overlay has for name.
func (o *overlayFS) get(name string) ([]byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.files[name]
	return b, ok
}

// set gives name content.
func (o *overlayFS) set(name string, b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.files[name] = b
}

func (o *overlayFS) Open(name string) (fs.File, error) {
	if b, ok := o.get(name); ok {
		return &memFile{name: name, r: bytes.NewReader(b), size: int64(len(b))}, nil
	}
	if rel, ok := strings.CutPrefix(name, stubDir+"/"); ok {
		return &memFile{name: name, r: bytes.NewReader(nil), stub: func() { o.recordMissing(filepath.ToSlash(rel)) }}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (o *overlayFS) recordMissing(name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.missing == nil {
		o.missing = map[string]bool{}
	}
	o.missing[name] = true
}

// takeMissing returns the headers stood in for since the last call.
func (o *overlayFS) takeMissing() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for n, fresh := range o.missing {
		if fresh {
			out = append(out, n)
			o.missing[n] = false
		}
	}
	return out
}

type memFile struct {
	name string
	r    *bytes.Reader
	size int64
	stub func() // a stand-in: called when read (included), Stat fails (not for __has_include)
}

var errStub = errors.New("stand-in for a missing header")

func (f *memFile) Stat() (fs.FileInfo, error) {
	if f.stub != nil {
		return nil, errStub
	}
	return memInfo{f}, nil
}

func (f *memFile) Read(b []byte) (int, error) {
	if f.stub != nil {
		f.stub()
		f.stub = nil
	}
	return f.r.Read(b)
}

func (f *memFile) Close() error { return nil }

type memInfo struct{ f *memFile }

func (i memInfo) Name() string       { return filepath.Base(i.f.name) }
func (i memInfo) Size() int64        { return i.f.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
