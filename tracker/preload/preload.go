// Package preload builds the tracker's LD_PRELOAD interposer (c/tracker.c) with
// the system C compiler at first use and caches the shared object in the
// user cache directory, keyed by a hash of its source and build command.
package preload

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

//go:embed c/tracker.c
var source []byte

// Source returns the interposer's C source.
func Source() []byte { return source }

// cflags build the interposer. No -Werror: a newer compiler's new warning
// must not stop users; the package's test compiles with -Werror instead.
var cflags = []string{"-shared", "-fPIC", "-O2", "-g", "-fvisibility=hidden", "-fno-omit-frame-pointer", "-Wall", "-Wextra"}

var (
	once    sync.Once
	libPath string
	libErr  error
)

// Path returns the path of the built interposer, building it on first use.
// $CC (default gcc) compiles it.
func Path() (string, error) {
	once.Do(func() { libPath, libErr = build() })
	return libPath, libErr
}

func build() (string, error) {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
	}
	h := sha256.New()
	h.Write(source)
	fmt.Fprintf(h, "\x00%s\x00%s", cc, strings.Join(cflags, " "))
	key := hex.EncodeToString(h.Sum(nil))[:20]
	dir, err := os.UserCacheDir()
	if err != nil || dir == "" {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "cgoguard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("tracker cache: %v", err)
	}
	out := filepath.Join(dir, "tracker-"+key+".so")
	if fi, err := os.Stat(out); err == nil && fi.Size() > 0 {
		return out, nil
	}
	src, err := os.CreateTemp(dir, "tracker-*.c")
	if err != nil {
		return "", fmt.Errorf("tracker cache: %v", err)
	}
	defer os.Remove(src.Name())
	if _, err := src.Write(source); err != nil {
		src.Close()
		return "", err
	}
	src.Close()
	// Build under a temporary name and rename: concurrent first uses (go
	// test -exec runs several binaries at once) never see a partial file.
	tmp := out + fmt.Sprintf(".%d.tmp", os.Getpid())
	args := append(append([]string{}, cflags...), "-o", tmp, src.Name())
	cmd := exec.Command(cc, args...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("building the tracker interposer with %s: %v\n%s", cc, err, msg)
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return out, nil
}
