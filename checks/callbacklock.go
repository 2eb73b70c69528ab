package checks

func init() {
	register(&Check{
		Name:     "callbacklock",
		Title:    "a Go callback blocks while its C caller holds a lock the unblocking Go code needs",
		Severity: Error,
		Text: `A blocking //export function does not deadlock the Go scheduler (the C thread gets an M and
a goroutine of its own; only that goroutine parks). What does deadlock is lock order across the
two languages: C takes its mutex M and calls the Go callback; the callback waits for something
(a channel, a Go mutex, a WaitGroup, a Cond) that only Go code can give; and that Go code first
calls a C function that takes M. Neither side can go on, for ever, and Go's deadlock detector
does not see it (the goroutine stuck in C is in a system call).

callbacklock reports it only when the whole cycle is proven:
  - a C function of the package calls the exported function holding a C mutex, read-write
    lock or spin lock M on every path to the call (csrc's lockset analysis: taken directly,
    by a helper, through the package's C functions);
  - the exported function, or a function of the package it calls, receives from or sends to a
    channel (not in a select with a default case; a send only on a channel every make of which
    is unbuffered), selects without a default case, locks a sync.Mutex or RWMutex, or waits on a
    sync.WaitGroup or sync.Cond: X, a package-level variable or a struct field;
  - for a channel, WaitGroup or Cond: every operation of the package that releases the wait
    (a close or send for a receive, a receive for a send, Done or Add for Wait, Signal or
    Broadcast for Cond.Wait) comes, on every path from its function's entry, after a cgo call
    of a C function that takes M on every path through it; and X is used by nothing else (not
    passed, copied or its address taken), so no release is hidden;
  - for a Go mutex: some function calls such a C function while holding the mutex on every path,
    and it is the same mutex: the same field of the same package-level variable (hot.mu and
    cold.mu of two variables are two mutexes); through a pointer or a parameter (c.mu) the
    instance is not known and the field stands for every instance, as lock classes do.
A read lock held by C and a read lock taken by the releaser do not exclude each other and are not
reported. The report sits at the blocking operation (or the callback's call of the helper that
blocks) and names the C caller, where it takes M, and the C call that needs M.

Not reported, by design: a callback that waits for something Go code can give without M (a
signaller that takes no C lock, or one path that releases before the C call); a select with a
default case or a timeout case; a callback called with no C lock held, or with a lock held on
some paths only; a receive from a channel that some function closes before it calls the C code
that calls back (the receive does not wait then); a C function that takes M on some paths only; channels and mutexes held in local variables or passed around (their releases
cannot all be seen); releases in a deferred call or in a function literal after a C call made by
the function around it (each body is analysed from its own entry); locks C takes in libraries
outside the package's C code; a C lock that an earlier cgo call left held (C.lib_lock(); C.fire());
a channel's releases are those of the field in every instance (all of them must need M); callbacks reached through C function pointers (sqlite3_create_function
style registrations): the C caller that holds the lock is then not known.

Fix: do not block in a callback that C calls under a lock. Hand the value to a goroutine (a
buffered channel, a non-blocking send) and return at once, and wait in Go after the C call
returned; or have the C code release its lock before it calls back.`,
		Rule:  "Lock order: two parties that each hold one resource and wait for the other's deadlock (Coffman); cgo adds no exception: a C thread in a callback keeps every C lock it holds (runtime/cgocall.go: cgocallback runs the Go function on the calling thread).",
		Traps: []string{"callback-blocks-under-c-lock"},
	})
}
