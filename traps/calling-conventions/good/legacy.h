// legacy.h is the one declaration of the library, shared by its definition
// and by the Go package, so gcc rejects any disagreement at compile time.
int sum32(int a, int b);
float scale(float x, int n);
