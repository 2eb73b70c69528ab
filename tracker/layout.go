package tracker

import (
	"bytes"
	"debug/buildinfo"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// Layout is everything the interposer must know about one target binary:
// where g lives in TLS, the offsets of the runtime.g and runtime.m fields it
// reads, and the code ranges it recognises while walking stacks. Inspect
// computes it from the binary's ELF headers and DWARF; nothing is assumed
// from the Go version alone.
type Layout struct {
	Binary    string // path of the program that runs
	Symbols   string // file the symbols came from (Binary, or its unstripped twin)
	GoVersion string
	Dev, Ino  uint64 // identity of Binary, so children running other programs are not tracked
	Entry     uint64 // link-time entry point; the interposer derives the PIE load bias from it
	PIE       bool
	TLS       int64 // offset of g from the thread pointer (%fs)

	GStack, GM, GSyscallSP, GSyscallPC, GSyscallBP int64
	MG0, MCurg, MIncgo, MIsExtraInC                int64

	CgocallbackLo, CgocallbackHi uint64 // runtime.cgocallback (0, 0 when absent)
	CgocallLo, CgocallHi         uint64 // runtime.cgocall
}

// minGoMinor is the first Go release whose runtime.g has syscallbp, the
// frame pointer the tracker starts its walk from.
const minGoMinor = 23

// ErrNoCgo is wrapped by Inspect's (and so Run's) error for a Go binary
// without cgo: it has no C code whose memory could be tracked. cgoguard
// test runs such test binaries untracked.
var ErrNoCgo = errors.New("no cgo in this binary: no C memory to track")

func hasSymbol(syms []elf.Symbol, name string) bool {
	for _, s := range syms {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Inspect computes the Layout of binary. symbols, if not empty, names an
// unstripped copy of the same build to read symbols and DWARF from.
func Inspect(binary, symbols string) (*Layout, error) {
	if symbols == "" {
		symbols = binary
	}
	l := &Layout{Binary: binary, Symbols: symbols}
	var st syscall.Stat_t
	if err := syscall.Stat(binary, &st); err != nil {
		return nil, fmt.Errorf("%s: %v", binary, err)
	}
	l.Dev, l.Ino = uint64(st.Dev), st.Ino

	bf, err := elf.Open(binary)
	if err != nil {
		return nil, fmt.Errorf("%s: not an ELF binary: %v", binary, err)
	}
	defer bf.Close()
	if bf.Machine != elf.EM_X86_64 || bf.Class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("%s: the tracker supports linux/amd64 only (this binary is %v)", binary, bf.Machine)
	}
	bi, err := buildinfo.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("%s: not a Go binary: %v", binary, err)
	}
	l.GoVersion = bi.GoVersion
	if err := checkGoVersion(bi.GoVersion); err != nil {
		return nil, fmt.Errorf("%s: %v", binary, err)
	}
	if cgo := buildSetting(bi, "CGO_ENABLED"); cgo == "0" {
		return nil, fmt.Errorf("%s: built with CGO_ENABLED=0: %w", binary, ErrNoCgo)
	}
	hasInterp := false
	var tls *elf.Prog
	for _, p := range bf.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			hasInterp = true
		case elf.PT_TLS:
			tls = p
		}
	}
	if !hasInterp {
		// A Go program that uses no cgo is linked statically even with
		// CGO_ENABLED=1: runtime/cgo (x_cgo_init) tells it from a cgo
		// program linked with -static.
		if syms, err := bf.Symbols(); err == nil && !hasSymbol(syms, "x_cgo_init") {
			return nil, fmt.Errorf("%s: runtime/cgo not linked: %w", binary, ErrNoCgo)
		}
		return nil, fmt.Errorf("%s: statically linked: LD_PRELOAD cannot interpose its malloc", binary)
	}
	if tls == nil {
		return nil, fmt.Errorf("%s: no PT_TLS segment: not a cgo binary on linux/amd64", binary)
	}
	l.Entry = bf.Entry
	l.PIE = bf.Type == elf.ET_DYN

	sf := bf
	if symbols != binary {
		sf, err = elf.Open(symbols)
		if err != nil {
			return nil, fmt.Errorf("--symbols %s: %v", symbols, err)
		}
		defer sf.Close()
		if a, b := buildID(bf), buildID(sf); a == "" || a != b {
			return nil, fmt.Errorf("--symbols %s is not the same build as %s (build IDs %q and %q)", symbols, binary, b, a)
		}
	}
	syms, err := sf.Symbols()
	if err != nil || len(syms) == 0 {
		return nil, fmt.Errorf("%s: stripped (no symbol table); pass --symbols with an unstripped build of the same program", binary)
	}
	d, err := sf.DWARF()
	if err != nil {
		return nil, fmt.Errorf("%s: no DWARF (built with -ldflags=-w or stripped); pass --symbols with an unstripped build: %v", binary, err)
	}

	// g's TLS slot: runtime.tlsg's offset in the TLS segment, placed by
	// x86-64 TLS variant II right below the thread pointer. Internal linking
	// has no runtime.tlsg and uses the segment's first word.
	var tlsg uint64
	for _, s := range syms {
		if s.Name == "__asan_init" || s.Name == "__msan_init" {
			return nil, fmt.Errorf("%s: built with -asan or -msan: the sanitizer's allocator replaces malloc; run it without the tracker", binary)
		}
		if s.Name == "runtime.tlsg" && elf.ST_TYPE(s.Info) == elf.STT_TLS {
			tlsg = s.Value
		}
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC {
			continue
		}
		switch s.Name {
		case "runtime.cgocallback.abi0", "runtime.cgocallback":
			l.CgocallbackLo, l.CgocallbackHi = s.Value, s.Value+s.Size
		case "runtime.cgocall":
			l.CgocallLo, l.CgocallHi = s.Value, s.Value+s.Size
		}
	}
	if l.CgocallLo == 0 {
		return nil, fmt.Errorf("%s: no runtime.cgocall symbol: not a cgo binary", binary)
	}
	align := tls.Align
	if align == 0 {
		align = 1
	}
	l.TLS = int64(tlsg) - int64((tls.Memsz+align-1)/align*align)
	if err := checkTLSPattern(bf, l.TLS); err != nil {
		return nil, fmt.Errorf("%s: %v", binary, err)
	}

	fields, err := structFields(d, map[string][]string{
		"runtime.g":     {"stack", "m", "syscallsp", "syscallpc", "syscallbp"},
		"runtime.m":     {"g0", "curg", "incgo", "isExtraInC"},
		"runtime.stack": {"lo", "hi"},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %v", binary, err)
	}
	if fields["runtime.stack.lo"] != 0 || fields["runtime.stack.hi"] != 8 {
		return nil, fmt.Errorf("%s: unknown runtime.stack layout", binary)
	}
	l.GStack = fields["runtime.g.stack"]
	l.GM = fields["runtime.g.m"]
	l.GSyscallSP = fields["runtime.g.syscallsp"]
	l.GSyscallPC = fields["runtime.g.syscallpc"]
	l.GSyscallBP = fields["runtime.g.syscallbp"]
	l.MG0 = fields["runtime.m.g0"]
	l.MCurg = fields["runtime.m.curg"]
	l.MIncgo = fields["runtime.m.incgo"]
	l.MIsExtraInC = fields["runtime.m.isExtraInC"]
	return l, nil
}

// conf is the CGOGUARD_CONF string the interposer parses.
func (l *Layout) conf(o *Options) string {
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	kv := []string{
		"dev=" + strconv.FormatUint(l.Dev, 10),
		"ino=" + strconv.FormatUint(l.Ino, 10),
		"entry=" + strconv.FormatUint(l.Entry, 10),
		"tls=" + strconv.FormatInt(l.TLS, 10),
		"g_stack=" + strconv.FormatInt(l.GStack, 10),
		"g_m=" + strconv.FormatInt(l.GM, 10),
		"g_sp=" + strconv.FormatInt(l.GSyscallSP, 10),
		"g_pc=" + strconv.FormatInt(l.GSyscallPC, 10),
		"g_bp=" + strconv.FormatInt(l.GSyscallBP, 10),
		"m_g0=" + strconv.FormatInt(l.MG0, 10),
		"m_curg=" + strconv.FormatInt(l.MCurg, 10),
		"m_incgo=" + strconv.FormatInt(l.MIncgo, 10),
		"m_extrainc=" + strconv.FormatInt(l.MIsExtraInC, 10),
		"cbk_lo=" + strconv.FormatUint(l.CgocallbackLo, 10),
		"cbk_hi=" + strconv.FormatUint(l.CgocallbackHi, 10),
		"cgc_lo=" + strconv.FormatUint(l.CgocallLo, 10),
		"cgc_hi=" + strconv.FormatUint(l.CgocallHi, 10),
		"quarantine=" + strconv.FormatInt(o.quarantine(), 10),
		"poison=" + strconv.FormatInt(o.poison(), 10),
		"depth=" + strconv.Itoa(o.depth()),
		"profile=" + strconv.Itoa(b2i(o.Profile)),
		"sample=" + strconv.FormatInt(max(o.SampleRate, 0), 10),
	}
	return strings.Join(kv, ",")
}

// checkGoVersion refuses releases older than Go 1.23. Development builds
// pass: the DWARF check of every field the interposer reads still guards
// them.
func checkGoVersion(v string) error {
	if strings.HasPrefix(v, "devel") {
		return nil
	}
	if minor, ok := goMinor(v); !ok || minor < minGoMinor {
		return fmt.Errorf("built with %s; the tracker needs Go 1.%d or later (runtime.g.syscallbp)", v, minGoMinor)
	}
	return nil
}

func goMinor(v string) (int, bool) {
	v = strings.TrimPrefix(v, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] != "1" {
		return 0, false
	}
	m := parts[1]
	if i := strings.IndexFunc(m, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		m = m[:i] // go1.24rc1
	}
	n, err := strconv.Atoi(m)
	return n, err == nil
}

func buildSetting(bi *buildinfo.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// buildID returns the GNU build ID, or else the Go build ID, of f.
func buildID(f *elf.File) string {
	for _, name := range []string{".note.gnu.build-id", ".note.go.buildid"} {
		if s := f.Section(name); s != nil {
			if b, err := s.Data(); err == nil && len(b) > 0 {
				return fmt.Sprintf("%x", b)
			}
		}
	}
	return ""
}

// checkTLSPattern cross-checks the computed TLS offset of g against the code
// the linker emitted to load g into R14: "mov %fs:disp32,%r14" in non-PIE
// binaries, "mov $imm32,%r14; mov %fs:(%r14),%r14" in PIE ones. Every such
// load must agree; a disagreement means the layout is not what we think.
func checkTLSPattern(f *elf.File, want int64) error {
	text := f.Section(".text")
	if text == nil {
		return errors.New("no .text section")
	}
	code, err := text.Data()
	if err != nil {
		return fmt.Errorf("reading .text: %v", err)
	}
	direct := []byte{0x64, 0x4c, 0x8b, 0x34, 0x25} // mov %fs:disp32,%r14
	viaReg := []byte{0x64, 0x4d, 0x8b, 0x36}       // mov %fs:(%r14),%r14
	immR14 := []byte{0x49, 0xc7, 0xc6}             // mov $imm32,%r14
	seen := map[int64]int{}
	for i := 0; ; {
		j := bytes.Index(code[i:], direct)
		if j < 0 {
			break
		}
		p := i + j + len(direct)
		if p+4 <= len(code) {
			seen[int64(int32(binary.LittleEndian.Uint32(code[p:])))]++
		}
		i = p
	}
	for i := 0; ; {
		j := bytes.Index(code[i:], viaReg)
		if j < 0 {
			break
		}
		p := i + j
		if p >= 7 && bytes.Equal(code[p-7:p-4], immR14) {
			seen[int64(int32(binary.LittleEndian.Uint32(code[p-4:])))]++
		}
		i = p + len(viaReg)
	}
	if len(seen) == 0 {
		return errors.New("found no load of g from TLS in .text (unknown code layout)")
	}
	if seen[want] == 0 {
		return fmt.Errorf("TLS offset of g computed from ELF (%d) does not match the code's loads %v", want, seen)
	}
	// Other displacements may be C code's own %fs loads (e.g. the stack
	// protector canary at %fs:0x28 goes to other registers, but be lenient
	// about R14 in C); require the computed one to dominate.
	total := 0
	for _, n := range seen {
		total += n
	}
	if seen[want]*2 < total {
		return fmt.Errorf("TLS offset of g computed from ELF (%d) is not the one most loads use %v", want, seen)
	}
	return nil
}

// structFields returns the byte offsets of the named members of the named
// struct types, keyed "type.member".
func structFields(d *dwarf.Data, want map[string][]string) (map[string]int64, error) {
	out := map[string]int64{}
	r := d.Reader()
	found := map[string]bool{}
	for len(found) < len(want) {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("reading DWARF: %v", err)
		}
		if e == nil {
			break
		}
		if e.Tag != dwarf.TagStructType {
			if e.Tag != dwarf.TagCompileUnit && e.Children {
				r.SkipChildren()
			}
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		_, ok := want[name]
		if !ok || found[name] || !e.Children {
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		found[name] = true
		for {
			c, err := r.Next()
			if err != nil {
				return nil, fmt.Errorf("reading DWARF: %v", err)
			}
			if c == nil || c.Tag == 0 {
				break
			}
			if c.Tag == dwarf.TagMember {
				mn, _ := c.Val(dwarf.AttrName).(string)
				if off, ok := c.Val(dwarf.AttrDataMemberLoc).(int64); ok {
					out[name+"."+mn] = off
				}
			}
			if c.Children {
				r.SkipChildren()
			}
		}
	}
	var missing []string
	for typ, ms := range want {
		for _, m := range ms {
			if _, ok := out[typ+"."+m]; !ok {
				missing = append(missing, typ+"."+m)
			}
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("runtime layout unknown: DWARF lacks %s", strings.Join(missing, ", "))
	}
	return out, nil
}
