#include "legacy.h" // the definition is checked against the declaration Go uses

int sum32(int a, int b) { return a + b; }
float scale(float x, int n) { return x * n; }
