package csrc

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"modernc.org/cc/v4"
)

// hostConfig is what cc.NewConfig learns by running the host C compiler
// (its predefined macros and include paths), kept on disk so that the vet
// tool, which runs once per package, asks the compiler once per compiler
// rather than once per package (about 40 ms each time).
type hostConfig struct {
	CC                                    string
	Predefined                            string
	HostIncludePaths, HostSysIncludePaths []string
}

// cachedConfig returns the host configuration, from the user cache when a
// compiler of the same path, size and modification time was asked before.
// Any problem with the cache falls back to cc.NewConfig.
func cachedConfig() (*cc.Config, error) {
	path := hostConfigPath()
	if path != "" {
		if data, err := os.ReadFile(path); err == nil {
			var h hostConfig
			if json.Unmarshal(data, &h) == nil && h.Predefined != "" {
				if c, err := h.config(); err == nil {
					return c, nil
				}
			}
		}
	}
	c, err := cc.NewConfig("linux", "amd64")
	if err != nil || path == "" {
		return c, err
	}
	h := hostConfig{CC: c.CC, Predefined: c.Predefined, HostIncludePaths: c.HostIncludePaths, HostSysIncludePaths: c.HostSysIncludePaths}
	if data, err := json.Marshal(h); err == nil && os.MkdirAll(filepath.Dir(path), 0o755) == nil {
		// Write then rename: concurrent vet processes never see half a file.
		tmp := fmt.Sprintf("%s.%d", path, os.Getpid())
		if os.WriteFile(tmp, data, 0o644) == nil {
			os.Rename(tmp, path)
		}
	}
	return c, nil
}

// config builds the cc.Config that cc.NewConfig would, without running the
// compiler (cc.Config.ApplyOptions exists for configs built by hand).
func (h *hostConfig) config() (*cc.Config, error) {
	abi, err := cc.NewABI("linux", "amd64")
	if err != nil {
		return nil, err
	}
	c := &cc.Config{
		ABI:                 abi,
		CC:                  h.CC,
		HostIncludePaths:    h.HostIncludePaths,
		HostSysIncludePaths: h.HostSysIncludePaths,
		IncludePaths:        append([]string{""}, append(append([]string(nil), h.HostIncludePaths...), h.HostSysIncludePaths...)...),
		Predefined:          h.Predefined,
		SysIncludePaths:     h.HostSysIncludePaths,
	}
	return c, c.ApplyOptions()
}

// hostConfigPath names the cache file for the compiler cc.NewConfig would
// pick ($CC, cc, gcc), keyed by its path, size and modification time; "" when
// there is no compiler or no cache directory.
func hostConfigPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	for _, name := range []string{os.Getenv("CC"), "cc", "gcc"} {
		if name == "" {
			continue
		}
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		p, _ = filepath.EvalSymlinks(p)
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		key := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d\x00%d", os.Getenv("CC"), p, fi.Size(), fi.ModTime().UnixNano())))
		return filepath.Join(dir, "cgoguard", fmt.Sprintf("ccconfig-%x.json", key[:12]))
	}
	return ""
}
