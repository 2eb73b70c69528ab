package fin

/*
#include <stdlib.h>

typedef struct conn { int fd; } conn_t;

static conn_t *conn_open(int fd) { conn_t *c = malloc(sizeof *c); c->fd = fd; return c; }
static void conn_close(conn_t *c) { free(c); }
static int conn_fd(conn_t *c) { return c->fd; }

// A library known only by its header: no body to summarise.
typedef struct lib_stream lib_stream;
lib_stream *lib_stream_open(void);
void lib_stream_destroy(lib_stream *s);
int lib_fd_close(int fd);
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Conn's finalizer is Close itself, and Close leaves it armed with c.h set.
type Conn struct {
	addr string
	h    *C.conn_t
}

func Open(fd int) *Conn {
	c := &Conn{h: C.conn_open(C.int(fd))}
	runtime.SetFinalizer(c, (*Conn).Close)
	return c
}

func (c *Conn) Close() {
	C.conn_close(c.h) // want `Conn.Close frees c.h \(C.conn_close\) but neither clears c.h nor cancels the finalizer`
}

// Pooled's cleanup got the handle itself: clearing the field does not stop it.
type Pooled struct {
	h  *C.conn_t
	cl runtime.Cleanup
}

func OpenPooled(fd int) *Pooled {
	h := C.conn_open(C.int(fd))
	p := &Pooled{h: h}
	p.cl = runtime.AddCleanup(p, func(h *C.conn_t) { C.conn_close(h) }, h)
	return p
}

func (p *Pooled) Close() {
	if p.h != nil {
		C.conn_close(p.h) // want `Pooled.Close frees p.h \(C.conn_close\) but does not stop the cleanup registered with runtime.AddCleanup`
		p.h = nil
	}
}

// Image has no safety net, but a second Release frees again.
type Image struct{ px unsafe.Pointer }

func NewImage(n int) *Image { return &Image{px: C.malloc(C.size_t(n))} }

func (im *Image) Release() {
	C.free(im.px) // want `Image.Release frees im.px \(C.free\) without clearing it: a second Release`
}

// Session frees through a helper method; its finalizer calls Close.
type Session struct{ h *C.conn_t }

func NewSession(fd int) *Session {
	s := &Session{h: C.conn_open(C.int(fd))}
	runtime.SetFinalizer(s, func(s *Session) { s.Close() })
	return s
}

func (s *Session) release() { C.conn_close(s.h) }

func (s *Session) Close() {
	s.release() // want `Session.Close frees s.h \(C.conn_close\) but neither clears s.h nor cancels the finalizer`
}

// Blob has a value receiver: clearing a copy would not help.
type Blob struct{ p *C.char }

func (b Blob) Free() {
	C.free(unsafe.Pointer(b.p)) // want `Blob.Free frees b.p \(C.free\) without clearing it.*value receiver`
}

// Stream wraps a library handle whose destructor we only know by name.
type Stream struct{ s *C.lib_stream }

func OpenStream() *Stream {
	st := &Stream{s: C.lib_stream_open()}
	runtime.SetFinalizer(st, (*Stream).Close)
	return st
}

func (st *Stream) Close() {
	C.lib_stream_destroy(st.s) // want `Stream.Close frees st.s \(C.lib_stream_destroy, a release function by its name\) but neither clears st.s nor cancels the finalizer`
}

// --- Silent. ---

// FD closes an integer descriptor: not memory, not this check's business.
type FD struct{ fd C.int }

func (f *FD) Close() { C.lib_fd_close(f.fd) }

// Good disarms the finalizer and clears the field.
type Good struct{ h *C.conn_t }

func OpenGood(fd int) *Good {
	g := &Good{h: C.conn_open(C.int(fd))}
	runtime.SetFinalizer(g, (*Good).Close)
	return g
}

func (g *Good) Close() {
	if g.h == nil {
		return
	}
	runtime.SetFinalizer(g, nil)
	C.conn_close(g.h)
	g.h = nil
}

// Stopped stops its cleanup before freeing.
type Stopped struct {
	h  *C.conn_t
	cl runtime.Cleanup
}

func OpenStopped(fd int) *Stopped {
	h := C.conn_open(C.int(fd))
	s := &Stopped{h: h}
	s.cl = runtime.AddCleanup(s, func(h *C.conn_t) { C.conn_close(h) }, h)
	return s
}

func (s *Stopped) Close() {
	if s.h != nil {
		s.cl.Stop()
		C.conn_close(s.h)
		s.h = nil
	}
}

// Flagged is guarded by a closed flag, and its finalizer goes through Close.
type Flagged struct {
	h      *C.conn_t
	closed atomic.Bool
}

func OpenFlagged(fd int) *Flagged {
	f := &Flagged{h: C.conn_open(C.int(fd))}
	runtime.SetFinalizer(f, (*Flagged).Close)
	return f
}

func (f *Flagged) Close() {
	if !f.closed.CompareAndSwap(false, true) {
		return
	}
	C.conn_close(f.h)
}

// Once frees inside sync.Once.
type Once struct {
	h    *C.conn_t
	once sync.Once
}

func (o *Once) Close() {
	o.once.Do(func() { C.conn_close(o.h) })
}

// Cleared frees and clears, with C.free's tolerance of NULL.
type Cleared struct{ p *C.char }

func (c *Cleared) Free() {
	C.free(unsafe.Pointer(c.p))
	c.p = nil
}

// Borrowed does not free anything: conn_fd only reads.
type Borrowed struct{ h *C.conn_t }

func (b *Borrowed) Close() { _ = C.conn_fd(b.h) }

// Netted: the finalizer frees the field directly, Free clears it first.
type Netted struct{ p unsafe.Pointer }

func NewNetted() *Netted {
	n := &Netted{p: C.malloc(8)}
	runtime.SetFinalizer(n, func(n *Netted) { C.free(n.p) })
	return n
}

func (n *Netted) Free() {
	C.free(n.p)
	n.p = nil
}
