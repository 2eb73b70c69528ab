package csrc

import (
	"reflect"
	"testing"

	"modernc.org/cc/v4"
)

// TestCachedConfigMatches: the config rebuilt from the cache file equals the
// one cc.NewConfig makes by running the compiler, field by field.
func TestCachedConfigMatches(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	want, err := cc.NewConfig("linux", "amd64")
	if err != nil {
		t.Skip("no host C compiler:", err)
	}
	first, err := cachedConfig() // miss: runs the compiler, writes the file
	if err != nil {
		t.Fatal(err)
	}
	second, err := cachedConfig() // hit: built by hand
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*cc.Config{first, second} {
		if got.CC != want.CC || got.Predefined != want.Predefined ||
			!reflect.DeepEqual(got.IncludePaths, want.IncludePaths) ||
			!reflect.DeepEqual(got.SysIncludePaths, want.SysIncludePaths) ||
			!reflect.DeepEqual(got.HostIncludePaths, want.HostIncludePaths) ||
			!reflect.DeepEqual(got.ABI, want.ABI) {
			t.Fatalf("cached config differs from cc.NewConfig's")
		}
	}
	// The hand-built config parses C like the real one.
	src := "#include <stdlib.h>\nchar *f(void) { return malloc(4); }\n"
	for _, c := range []*cc.Config{want, second} {
		if _, err := cc.Translate(c, []cc.Source{{Name: "<predefined>", Value: c.Predefined}, {Name: "<builtin>", Value: cc.Builtin}, {Name: "a.c", Value: src}}); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkConfigFromCache(b *testing.B) {
	b.Setenv("XDG_CACHE_HOME", b.TempDir())
	if _, err := cachedConfig(); err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := cachedConfig(); err != nil {
			b.Fatal(err)
		}
	}
}
