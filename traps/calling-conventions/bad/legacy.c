// legacy.c is a library compiled from its own, newer header: the functions
// take and return int and float. The Go package below declares them by hand
// with the old types, and nothing compares the two declarations.
int sum32(int a, int b) { return a + b; }
float scale(float x, int n) { return x * n; }
