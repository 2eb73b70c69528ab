package checks

// The check built on csrc's lockset analysis: which C state each C function
// reads and writes, under which C locks, and which functions run on threads
// that C starts.
func init() {
	register(&Check{
		Name:     "lockdomains",
		Title:    "a Go mutex guards C state that C threads guard with a C mutex",
		Severity: Error,
		Text: `A sync.Mutex excludes goroutines that take it; a pthread_mutex_t excludes threads that
take it. Neither knows the other. When a C library updates its state from its own
threads under its pthread mutex and a Go binding calls the library's unlocked accessors
under a Go mutex, a goroutine and a C thread can read-modify-write the same C variable at
the same time: updates are lost (11-31% of them in the two-lock-domains experiment), with
no crash, and go build -race cannot see it (it does not instrument C; only C compiled with
-fsanitize=thread does).

lockdomains reports a cgo call made while a sync.Mutex or sync.RWMutex is held (Lock ...
Unlock in the same function, a deferred Unlock, or in an unexported function whose every
caller holds one) when all of the following hold, read from the C bodies by csrc's
lockset analysis:
  - the C function, directly or through the package's C functions it calls, reads or
    writes a C global or static variable (a field of one, an element, or what a global
    pointer points to) without a C lock that could exclude the C threads;
  - a function that runs on a thread the package's C code starts (a start routine
    passed to pthread_create or thrd_create, directly or through a wrapper, and what it
    calls) accesses the same variable while holding a C mutex, read-write lock or spin
    lock on every path to the access (taken directly, by a helper, or by a trylock whose
    result was tested);
  - one of the two accesses is a write.
The report names the global, the C lock, where it is taken, the thread's start routine
and where the thread is started.

Not reported, by design: a Go mutex that serialises a C library with no threads of its
own (the usual, correct pattern: nothing on the C side touches the state concurrently);
state that both sides access under the same C lock (call the library's locked entry
point: correct); reads of state nobody writes; state the C function that starts the thread
sets up before the call that starts it, itself or in a helper (pthread_create makes it
visible to the thread), or reads after joining it (a pthread_join, or a loop of joins, is
taken to join every thread the function started before it: thread handles are not
followed); state Go code sets up with cgo calls made, in the same function, before the cgo
call that starts the threads (C.configure(n); C.start(): like the C side's setup, this
assumes the function does not run again while the threads do); a C lock that an earlier
cgo call of the same Go function left held (C.lib_lock(); C.f(); C.lib_unlock()); _Atomic
objects and arrays of them (C11 atomic_int, _Atomic long: every access is atomic; the
address passed to __atomic_* builtins is no access either); thread-local variables; a
lock a callee takes and releases again while its caller holds it (a recursive mutex: the
caller still holds it); cgo calls made with no Go mutex held (they
may be ordered by the thread's creation or join, which a static check does not see);
state that C threads touch with no C lock at all (a race inside C, or ordering by other
means such as atomics or thread creation, which is ThreadSanitizer's to judge, not a
question of two lock domains); accesses through pointers C receives as arguments (only
file-scope state is followed); locks the model cannot identify on the Go-called side
(a mutex reached through a parameter may be the same lock: then nothing is reported).
Locks are named through the package's C helpers that take the lock as a parameter
(lock_helper(&lib.mu)), macros and static inline helpers of included headers; a trylock
loop (while (pthread_mutex_trylock(&m) != 0);) holds the lock after it; threads are found
in the package's C code, including .c files a preamble #includes, not in libraries it
links.

Known limits: fields have no types here, so an _Atomic field of a plain struct counts as
plain state (a Go-side access of it could be reported); one lock reached by two names (a
global pointer's lib->mu and the variable lib_inst.mu it points to) counts as two locks,
and two names of one object as two objects; a nested lock/lock/unlock of a recursive mutex
in one function drops it; a Go function that configures and starts the threads and is
called again while they run is not reported.

Fix: keep one lock domain. Reach the C state only through C functions that take the C
library's own mutex (the function its threads use, or a small C wrapper that takes the
mutex around the unlocked accessors), and drop the Go mutex for that state.`,
		Rule:  "POSIX and the Go memory model: a mutex orders only the critical sections that take that same mutex (sync.Mutex: \"a Mutex is a mutual exclusion lock\"; pthread_mutex_lock: excludes other threads locking the same mutex).",
		Traps: []string{"two-lock-domains"},
	})
}
