package tracker

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// mapping is one file-backed mapping of the traced process at start-up.
type mapping struct {
	lo, hi, off uint64
	path        string
}

// parseMaps reads the /proc/self/maps copy the interposer stored.
func parseMaps(text string) []mapping {
	var out []mapping
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[5], "/") {
			continue
		}
		r := strings.SplitN(f[0], "-", 2)
		if len(r) != 2 {
			continue
		}
		lo, err1 := strconv.ParseUint(r[0], 16, 64)
		hi, err2 := strconv.ParseUint(r[1], 16, 64)
		off, err3 := strconv.ParseUint(f[2], 16, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		out = append(out, mapping{lo, hi, off, f[5]})
	}
	return out
}

// libraryMaps drops the mappings of the program itself, which the DWARF
// symbolizer handles.
func libraryMaps(maps []mapping, binary string) []mapping {
	bi, err := os.Stat(binary)
	var out []mapping
	for _, m := range maps {
		if mi, err2 := os.Stat(m.path); err == nil && err2 == nil && os.SameFile(bi, mi) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// libSymbolizer names addresses in shared libraries by their ELF symbols.
type libSymbolizer struct {
	maps []mapping
	libs map[string]*libSyms
}

type libSyms struct {
	progs []elf.ProgHeader
	syms  []elf.Symbol
}

func (l *libSymbolizer) frame(pc uint64) *Frame {
	for _, m := range l.maps {
		if pc < m.lo || pc >= m.hi {
			continue
		}
		ls := l.load(m.path)
		if ls == nil {
			return &Frame{Func: "?? (" + filepath.Base(m.path) + ")", PC: pc}
		}
		foff := pc - m.lo + m.off
		for _, p := range ls.progs {
			if p.Type != elf.PT_LOAD || foff < p.Off || foff >= p.Off+p.Filesz {
				continue
			}
			va := foff - p.Off + p.Vaddr - 1 // the call, not the return address
			i := sort.Search(len(ls.syms), func(i int) bool { return ls.syms[i].Value > va }) - 1
			if i >= 0 && va < ls.syms[i].Value+ls.syms[i].Size {
				return &Frame{Func: ls.syms[i].Name + " (" + filepath.Base(m.path) + ")", PC: pc}
			}
		}
		return &Frame{Func: "?? (" + filepath.Base(m.path) + ")", PC: pc}
	}
	return nil
}

// debugRoot is where detached debug files live, by build ID.
var debugRoot = "/usr/lib/debug"

// debugFile opens the detached debug file of f
// (debugRoot/.build-id/xx/yyyy.debug), or returns nil.
func debugFile(f *elf.File) *elf.File {
	id := gnuBuildID(f)
	if len(id) < 4 {
		return nil
	}
	d, err := elf.Open(filepath.Join(debugRoot, ".build-id", id[:2], id[2:]+".debug"))
	if err != nil {
		return nil
	}
	if gnuBuildID(d) != id {
		d.Close()
		return nil
	}
	return d
}

// gnuBuildID returns f's GNU build ID in hex: the descriptor of its
// .note.gnu.build-id note (4-byte name size, descriptor size and type, the
// name "GNU\x00", then the ID), or "".
func gnuBuildID(f *elf.File) string {
	s := f.Section(".note.gnu.build-id")
	if s == nil {
		return ""
	}
	b, err := s.Data()
	if err != nil || len(b) < 12 {
		return ""
	}
	namesz, descsz := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
	off := 12 + (uint64(namesz)+3)&^3
	if off+uint64(descsz) > uint64(len(b)) {
		return ""
	}
	return hex.EncodeToString(b[off : off+uint64(descsz)])
}

func (l *libSymbolizer) load(path string) *libSyms {
	if ls, ok := l.libs[path]; ok {
		return ls
	}
	if l.libs == nil {
		l.libs = map[string]*libSyms{}
	}
	var ls *libSyms
	if f, err := elf.Open(path); err == nil {
		ls = &libSyms{}
		for _, p := range f.Progs {
			ls.progs = append(ls.progs, p.ProgHeader)
		}
		syms, _ := f.Symbols()
		dyn, _ := f.DynamicSymbols()
		all := append(syms, dyn...)
		// A distribution's libraries are stripped to their exported
		// symbols: libc's internal functions (the C callers of the
		// allocations glibc keeps for itself) would print as "??". Their
		// full symbol table is in the detached debug file, when installed
		// (Debian: libc6-dbg, or the -dbgsym packages).
		if len(syms) == 0 {
			if dbg := debugFile(f); dbg != nil {
				ds, _ := dbg.Symbols()
				all = append(all, ds...)
				dbg.Close()
			}
		}
		for _, s := range all {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Size != 0 {
				if i := strings.Index(s.Name, "@"); i >= 0 {
					s.Name = s.Name[:i]
				}
				ls.syms = append(ls.syms, s)
			}
		}
		sort.Slice(ls.syms, func(i, j int) bool { return ls.syms[i].Value < ls.syms[j].Value })
		f.Close()
	}
	l.libs[path] = ls
	return ls
}
