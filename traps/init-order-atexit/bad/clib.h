// clib.h: a C library with a constructor, an atexit handler and buffered
// stdio output, as many C libraries have.
void trace(const char *who);        // appends who to the C-side order log
const char *trace_log(void);        // the order log: "c_ctor,go_init,..."
void lib_report(int n);             // printf without fflush: sits in stdio's buffer
void lib_shutdown(void);            // what the atexit handler does, callable directly
