package tracker

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Frame is one symbolized stack frame.
type Frame struct {
	Func    string `json:"func"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	PC      uint64 `json:"pc"`
	Inlined bool   `json:"inlined,omitempty"` // inlined into the next frame
}

// String formats the frame as Go tracebacks do: function, then file:line.
func (f Frame) String() string {
	if f.File == "" {
		return fmt.Sprintf("%s (pc %#x)", f.Func, f.PC)
	}
	return fmt.Sprintf("%s\n\t%s:%d", f.Func, f.File, f.Line)
}

// Pos returns "file:line", or the function name when there is no line.
func (f Frame) Pos() string {
	if f.File == "" {
		return f.Func
	}
	return fmt.Sprintf("%s:%d", f.File, f.Line)
}

// Symbolizer maps link-time PCs of one binary to frames using its DWARF line
// tables, expanding inlined calls, with the ELF symbol table as a fallback.
type Symbolizer struct {
	d     *dwarf.Data
	syms  []elf.Symbol // functions, sorted by address
	cus   []cuRange
	mu    sync.Mutex
	trees map[dwarf.Offset]*cuTree
	cache map[uint64][]Frame
	names map[dwarf.Offset]string
}

type cuRange struct {
	lo, hi uint64
	cu     *dwarf.Entry
}

type cuTree struct {
	files []*dwarf.LineFile
	subs  []*scope // top-level subprograms, sorted by lo
}

// scope is a subprogram or an inlined call with its PC ranges.
type scope struct {
	name     string
	ranges   [][2]uint64
	callFile string
	callLine int
	kids     []*scope
}

func (s *scope) contains(pc uint64) bool {
	for _, r := range s.ranges {
		if pc >= r[0] && pc < r[1] {
			return true
		}
	}
	return false
}

// NewSymbolizer reads the symbols and DWARF of the ELF file at path.
func NewSymbolizer(path string) (*Symbolizer, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &Symbolizer{trees: map[dwarf.Offset]*cuTree{}, cache: map[uint64][]Frame{}, names: map[dwarf.Offset]string{}}
	syms, _ := f.Symbols()
	for _, sym := range syms {
		if elf.ST_TYPE(sym.Info) == elf.STT_FUNC && sym.Value != 0 {
			s.syms = append(s.syms, sym)
		}
	}
	sort.Slice(s.syms, func(i, j int) bool { return s.syms[i].Value < s.syms[j].Value })
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("%s: no DWARF: %v", path, err)
	}
	s.d = d
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == dwarf.TagCompileUnit {
			if rs, err := d.Ranges(e); err == nil {
				for _, rg := range rs {
					s.cus = append(s.cus, cuRange{rg[0], rg[1], e})
				}
			}
		}
		if e.Children {
			r.SkipChildren()
		}
	}
	sort.Slice(s.cus, func(i, j int) bool { return s.cus[i].lo < s.cus[j].lo })
	return s, nil
}

// Frames returns the frames at return address pc (link-time), innermost
// first: more than one when calls were inlined there.
func (s *Symbolizer) Frames(pc uint64) []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fr, ok := s.cache[pc]; ok {
		return fr
	}
	fr := s.frames(pc)
	s.cache[pc] = fr
	return fr
}

func (s *Symbolizer) frames(retPC uint64) []Frame {
	pc := retPC - 1 // the call instruction, not the one after it
	i := sort.Search(len(s.cus), func(i int) bool { return s.cus[i].hi > pc })
	if i == len(s.cus) || pc < s.cus[i].lo {
		return []Frame{{Func: s.symName(pc), PC: retPC}}
	}
	cu := s.cus[i].cu
	tree := s.tree(cu)
	file, line := "", 0
	if lr, err := s.d.LineReader(cu); err == nil && lr != nil {
		var ent dwarf.LineEntry
		if lr.SeekPC(pc, &ent) == nil && ent.File != nil {
			file, line = ent.File.Name, ent.Line
		}
	}
	// Innermost chain of scopes containing pc.
	var chain []*scope
	kids := tree.subs
	for {
		var next *scope
		for _, k := range kids {
			if k.contains(pc) {
				next = k
				break
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
		kids = next.kids
	}
	if len(chain) == 0 {
		return []Frame{{Func: s.symName(pc), File: file, Line: line, PC: retPC}}
	}
	var out []Frame
	for j := len(chain) - 1; j >= 0; j-- {
		out = append(out, Frame{Func: chain[j].name, File: file, Line: line, PC: retPC, Inlined: j > 0})
		file, line = chain[j].callFile, chain[j].callLine
	}
	return out
}

func (s *Symbolizer) symName(pc uint64) string {
	i := sort.Search(len(s.syms), func(i int) bool { return s.syms[i].Value > pc }) - 1
	if i >= 0 && (pc < s.syms[i].Value+s.syms[i].Size || s.syms[i].Size == 0) {
		return s.syms[i].Name
	}
	return fmt.Sprintf("?? %#x", pc)
}

func (s *Symbolizer) tree(cu *dwarf.Entry) *cuTree {
	if t, ok := s.trees[cu.Offset]; ok {
		return t
	}
	t := &cuTree{}
	s.trees[cu.Offset] = t
	if lr, err := s.d.LineReader(cu); err == nil && lr != nil {
		t.files = lr.Files()
	}
	r := s.d.Reader()
	r.Seek(cu.Offset)
	if _, err := r.Next(); err != nil { // the CU itself
		return t
	}
	t.subs = s.readScopes(r, t, 0)
	return t
}

// readScopes reads the children of the current DIE, keeping subprograms and
// inlined subroutines (with their nested ones) that have code.
func (s *Symbolizer) readScopes(r *dwarf.Reader, t *cuTree, depth int) []*scope {
	var out []*scope
	for {
		e, err := r.Next()
		if err != nil || e == nil || e.Tag == 0 {
			return out
		}
		switch e.Tag {
		case dwarf.TagSubprogram, dwarf.TagInlinedSubroutine:
			sc := &scope{name: s.entryName(e)}
			sc.ranges, _ = s.d.Ranges(e)
			if e.Tag == dwarf.TagInlinedSubroutine {
				if fi, ok := e.Val(dwarf.AttrCallFile).(int64); ok && fi >= 0 && int(fi) < len(t.files) && t.files[fi] != nil {
					sc.callFile = t.files[fi].Name
				}
				if ln, ok := e.Val(dwarf.AttrCallLine).(int64); ok {
					sc.callLine = int(ln)
				}
			}
			if e.Children {
				sc.kids = s.readScopes(r, t, depth+1)
			}
			if len(sc.ranges) > 0 {
				out = append(out, sc)
			} else {
				out = append(out, sc.kids...)
			}
		case dwarf.TagLexDwarfBlock:
			// Lexical blocks may hold inlined calls (C code).
			if e.Children {
				out = append(out, s.readScopes(r, t, depth+1)...)
			}
		default:
			if e.Children {
				r.SkipChildren()
			}
		}
	}
}

func (s *Symbolizer) entryName(e *dwarf.Entry) string {
	if n, ok := e.Val(dwarf.AttrName).(string); ok {
		return n
	}
	for _, a := range []dwarf.Attr{dwarf.AttrAbstractOrigin, dwarf.AttrSpecification} {
		if off, ok := e.Val(a).(dwarf.Offset); ok {
			return s.nameAt(off)
		}
	}
	return "??"
}

func (s *Symbolizer) nameAt(off dwarf.Offset) string {
	if n, ok := s.names[off]; ok {
		return n
	}
	n := "??"
	r := s.d.Reader()
	r.Seek(off)
	if e, err := r.Next(); err == nil && e != nil {
		n = s.entryName(e)
	}
	s.names[off] = n
	return n
}

// isPlumbing reports whether a frame belongs to the runtime or to the code
// cgo generates around a C call, not to the user's program.
func isPlumbing(f Frame) bool {
	fn := f.Func
	switch {
	case strings.HasPrefix(fn, "runtime."), strings.HasPrefix(fn, "runtime/cgo."):
		return true
	case strings.Contains(fn, "._Cfunc_"), strings.Contains(fn, "._C2func_"), strings.Contains(fn, "._cgo_"),
		strings.HasPrefix(fn, "_cgo_"), strings.HasPrefix(fn, "_cgoexp_"), strings.Contains(fn, "._cgoexp_"),
		strings.HasPrefix(fn, "crosscall"):
		return true
	case strings.HasSuffix(f.File, "_cgo_gotypes.go"), strings.HasSuffix(f.File, "/_cgo_export.c"):
		return true
	}
	return false
}
