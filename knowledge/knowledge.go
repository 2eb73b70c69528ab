// Package knowledge holds what cgoguard knows about C APIs: which functions
// allocate and which free, which may block the calling thread, which return
// pointers into thread-local storage, which take and release mutexes, and
// which start threads. Checks consult this package instead of
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

// Base is the built-in knowledge: libc, cgo's own pseudo-functions, and facts
// about other C libraries that a test here has verified.
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
	threadLocalResults: set("strerror", "dlerror", "gai_strerror",
		// XGBoost's C API keeps the last error per thread
		// (examples/riskserver/xgb's TestLastErrorIsPerThread: two threads
		// that fail each read their own message).
		"XGBGetLastError",
	),
	locks: map[string]LockOp{
		// POSIX mutexes, read-write locks and spin locks. A read lock counts as
		// holding the lock: cgoguard asks whether a C thread's access is
		// excluded from Go's, and a writer needs the lock exclusively.
		"pthread_mutex_lock":       {Name: "pthread_mutex_lock", Kind: Lock},
		"pthread_mutex_unlock":     {Name: "pthread_mutex_unlock", Kind: Unlock},
		"pthread_mutex_trylock":    {Name: "pthread_mutex_trylock", Kind: TryLock},
		"pthread_rwlock_rdlock":    {Name: "pthread_rwlock_rdlock", Kind: Lock, Shared: true},
		"pthread_rwlock_wrlock":    {Name: "pthread_rwlock_wrlock", Kind: Lock},
		"pthread_rwlock_unlock":    {Name: "pthread_rwlock_unlock", Kind: Unlock},
		"pthread_rwlock_tryrdlock": {Name: "pthread_rwlock_tryrdlock", Kind: TryLock, Shared: true},
		"pthread_rwlock_trywrlock": {Name: "pthread_rwlock_trywrlock", Kind: TryLock},
		"pthread_spin_lock":        {Name: "pthread_spin_lock", Kind: Lock},
		"pthread_spin_unlock":      {Name: "pthread_spin_unlock", Kind: Unlock},
		"pthread_spin_trylock":     {Name: "pthread_spin_trylock", Kind: TryLock},
		// C11 <threads.h> mutexes: thrd_success (0) means taken, as for POSIX.
		"mtx_lock":      {Name: "mtx_lock", Kind: Lock},
		"mtx_timedlock": {Name: "mtx_timedlock", Kind: TryLock},
		"mtx_trylock":   {Name: "mtx_trylock", Kind: TryLock},
		"mtx_unlock":    {Name: "mtx_unlock", Kind: Unlock},
	},
	threadCreators: map[string]ThreadCreator{
		// pthread_create(&t, attr, start, arg): start(arg) runs on the new thread.
		"pthread_create": {Name: "pthread_create", Routine: 2, Arg: 3, Join: "pthread_join"},
		// C11 thrd_create(&t, start, arg).
		"thrd_create": {Name: "thrd_create", Routine: 1, Arg: 2, Join: "thrd_join"},
	},
}

// LockKind says what a lock function does to the lock its argument points to.
type LockKind uint8

// Lock kinds.
const (
	Lock    LockKind = iota + 1 // acquires the lock, waiting for it
	Unlock                      // releases it
	TryLock                     // acquires it when the result is 0 (POSIX: 0 or an error number)
)

// LockOp describes a C function that acquires or releases the lock its
// argument Param points to.
type LockOp struct {
	Name  string
	Kind  LockKind
	Param int // the argument that points to the lock (0 for every POSIX lock function)
	// Shared is set for a read lock: two holders of it in read mode do not
	// wait for each other (glibc's default read-write locks prefer readers).
	Shared bool
}

// ThreadCreator describes a C function that starts a thread running a
// function passed to it.
type ThreadCreator struct {
	Name    string
	Routine int    // the argument that is the start routine
	Arg     int    // the argument handed to the start routine (kept by the thread), or -1 when not known
	Join    string // the function that waits for the thread, given its handle as argument 0
}

// DB is a set of facts about C functions. The zero value knows nothing; use
// Base, or Base.With(config) to add a project's own library facts.
type DB struct {
	allocators         map[string]Allocator
	deallocators       map[string]Deallocator
	blocking           map[string]bool
	threadLocalResults map[string]bool
	takesOwnership     map[string][]int // C functions that take ownership of these argument indices
	locks              map[string]LockOp
	threadCreators     map[string]ThreadCreator
}

// LockFunc reports whether name acquires or releases a lock, and how.
func (db *DB) LockFunc(name string) (LockOp, bool) {
	l, ok := db.locks[name]
	return l, ok
}

// ThreadCreator reports whether name starts a thread running one of its
// arguments.
func (db *DB) ThreadCreator(name string) (ThreadCreator, bool) {
	t, ok := db.threadCreators[name]
	return t, ok
}

// ThreadCreatorNames returns the known thread-creating functions, sorted.
func (db *DB) ThreadCreatorNames() []string {
	var out []string
	for k := range db.threadCreators {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
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
