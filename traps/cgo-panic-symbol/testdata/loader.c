// loader.c loads a Go c-shared library with dlopen(RTLD_NOW), so that any
// undefined symbol would fail here, and calls an exported Go function.
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
	if (argc != 2) { fprintf(stderr, "usage: loader lib.so\n"); return 2; }
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) { printf("dlopen_error=%s\n", dlerror()); return 1; }
	int (*add)(int, int) = (int (*)(int, int))dlsym(h, "Add");
	printf("loaded=1\nadd=%d\ncgo_panic_found=%d\n", add ? add(2, 3) : -1, dlsym(h, "_cgo_panic") != NULL);
	return 0;
}
