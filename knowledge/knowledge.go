// Package knowledge holds what cgoguard knows about C APIs: which functions
// allocate and which free, which may block the calling thread, and which return
// pointers into thread-local storage. Checks consult this package instead of
// carrying literals of their own, and users extend it with a config file
// (see Config).
package knowledge

import "sort"

// Allocator describes a C function (or cgo builtin) whose result the caller owns.
type Allocator struct {
	Name    string
	Dealloc string // the function that releases the result
	// SizeArg is the index of the argument that gives the size in bytes, or -1.
	// For calloc-like functions the size is the product of SizeArg and CountArg.
	SizeArg, CountArg int
	// NulTerminated reports whether the result is a NUL-terminated string
	// (C.CString, strdup); false for raw buffers (malloc, C.CBytes).
	NulTerminated bool
	// Builtin reports a cgo pseudo-function (C.CString, C.CBytes) rather than a C symbol.
	Builtin bool
}

// Deallocator describes a C function that releases the memory of one argument.
type Deallocator struct {
	Name  string
	Param int // index of the argument released
}

// Base is the built-in knowledge: libc and cgo's own pseudo-functions.
var Base = &DB{
	allocators: index([]Allocator{
		{Name: "CString", Dealloc: "free", SizeArg: -1, CountArg: -1, NulTerminated: true, Builtin: true},
		{Name: "CBytes", Dealloc: "free", SizeArg: -1, CountArg: -1, Builtin: true},
		{Name: "malloc", Dealloc: "free", SizeArg: 0, CountArg: -1},
		{Name: "calloc", Dealloc: "free", SizeArg: 1, CountArg: 0},
		{Name: "realloc", Dealloc: "free", SizeArg: 1, CountArg: -1},
		{Name: "reallocarray", Dealloc: "free", SizeArg: 2, CountArg: 1},
		{Name: "aligned_alloc", Dealloc: "free", SizeArg: 1, CountArg: -1},
		{Name: "memalign", Dealloc: "free", SizeArg: 1, CountArg: -1},
		{Name: "valloc", Dealloc: "free", SizeArg: 0, CountArg: -1},
		{Name: "pvalloc", Dealloc: "free", SizeArg: 0, CountArg: -1},
		{Name: "strdup", Dealloc: "free", SizeArg: -1, CountArg: -1, NulTerminated: true},
		{Name: "strndup", Dealloc: "free", SizeArg: -1, CountArg: -1, NulTerminated: true},
		{Name: "asprintf", Dealloc: "free", SizeArg: -1, CountArg: -1, NulTerminated: true},
		{Name: "get_current_dir_name", Dealloc: "free", SizeArg: -1, CountArg: -1, NulTerminated: true},
	}),
	deallocators: map[string]Deallocator{
		"free":    {Name: "free", Param: 0},
		"realloc": {Name: "realloc", Param: 0}, // releases its argument; the result is a new owned block
	},
	blocking: set(
		// Sleeping and waiting.
		"sleep", "usleep", "nanosleep", "clock_nanosleep", "pause", "sigwait", "sigsuspend", "wait", "waitpid",
		// Descriptor I/O that may wait for a peer or a device.
		"read", "write", "recv", "recvfrom", "recvmsg", "send", "sendto", "sendmsg", "accept", "accept4",
		"connect", "poll", "ppoll", "select", "pselect", "epoll_wait", "epoll_pwait", "pread", "readv",
		"fgets", "fgetc", "getc", "getchar", "fread", "fscanf", "scanf", "getline", "getdelim", "flock",
		"lockf", "msgrcv", "mq_receive", "getaddrinfo", "gethostbyname", "system",
		// Thread synchronisation.
		"pthread_join", "pthread_mutex_lock", "pthread_cond_wait", "pthread_cond_timedwait",
		"pthread_rwlock_rdlock", "pthread_rwlock_wrlock", "pthread_barrier_wait", "sem_wait", "sem_timedwait",
	),
	threadLocalResults: set("strerror", "dlerror", "gai_strerror"),
}

// DB is a set of facts about C functions. The zero value knows nothing; use
// Base, or Base.With(config) to add a project's own library facts.
type DB struct {
	allocators         map[string]Allocator
	deallocators       map[string]Deallocator
	blocking           map[string]bool
	threadLocalResults map[string]bool
	takesOwnership     map[string][]int // C functions that take ownership of these argument indices
}

// Allocator reports whether name returns memory the caller owns.
func (db *DB) Allocator(name string) (Allocator, bool) {
	a, ok := db.allocators[name]
	return a, ok
}

// Deallocator reports whether name releases one of its arguments.
func (db *DB) Deallocator(name string) (Deallocator, bool) {
	d, ok := db.deallocators[name]
	return d, ok
}

// TakesOwnership reports the argument indices whose ownership name takes
// (configured; C bodies that free or store a parameter are found by csrc).
func (db *DB) TakesOwnership(name string) []int { return db.takesOwnership[name] }

// Blocking reports whether a call of name may block its OS thread indefinitely.
func (db *DB) Blocking(name string) bool { return db.blocking[name] }

// ThreadLocalResult reports whether name returns a pointer into thread-local
// storage that another call on the same thread may overwrite.
func (db *DB) ThreadLocalResult(name string) bool { return db.threadLocalResults[name] }

// BlockingNames returns the known blocking functions, sorted.
func (db *DB) BlockingNames() []string {
	var out []string
	for k := range db.blocking {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func index(as []Allocator) map[string]Allocator {
	m := make(map[string]Allocator, len(as))
	for _, a := range as {
		m[a.Name] = a
	}
	return m
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
