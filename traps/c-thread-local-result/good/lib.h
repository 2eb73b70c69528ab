// A C library with an errno-style error API, like libgit2's git_error_last,
// libxml2's xmlGetLastError or dlerror: a failing call stores its message in
// a thread-local buffer, and lib_last_error returns that thread's message.
#ifndef LIB_H
#define LIB_H

// lib_op performs operation id; it fails for every id and records
// "op <id> failed" as the calling thread's last error.
int lib_op(int id);

// lib_last_error returns the calling thread's last error message.
const char *lib_last_error(void);

// lib_op_error does both in one call: it runs the operation and copies the
// message into buf, so the message is read on the thread that wrote it.
int lib_op_error(int id, char *buf, int n);

#endif
