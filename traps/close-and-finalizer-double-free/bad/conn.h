// conn.h: a C library with open/close handles, as database and network
// libraries have. conn_open and conn_close log each handle, so that the
// gallery's test can pair opens and frees even when glibc aborts the process.
typedef struct conn conn_t;

conn_t *conn_open(int fd);
void conn_close(conn_t *c);
