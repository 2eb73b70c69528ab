// Package structlayout defines an Analyzer that reports hand-written Go
// structs used as mirrors of C structs whose layout differs from C's.
// See checks.Lookup("structlayout") for the documentation.
//
// What counts as a mirror, precisely:
//   - a conversion through unsafe.Pointer between a pointer to a Go struct
//     (or to an array of them) and a pointer to a cgo type C.x, in either
//     direction, when the two correspond by name (Packet ~ packet_t) or by
//     field names (half of C's named fields or more appear in the Go struct):
//     without a correspondence the code reinterprets memory on purpose
//     (sockaddr families) and we say nothing;
//   - a Go struct laid over C memory whose C type is not spelled out (a C
//     function returning void*, C.malloc), when its name corresponds to a C
//     type the package mentions (C.x or C.sizeof_x).
//
// Layouts are compared with the package's types.Sizes: cgo's C.x carries C's
// offsets and size (fields cgo cannot express become `_ [N]byte` padding), so
// both sides are measured the same way.
package structlayout

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
)

var check = checks.Lookup("structlayout")

// Analyzer reports Go mirrors of C structs with another layout.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
}

// cType is what is known of a C type: its cgo type when the package uses
// it, or only its size from a C.sizeof_x constant.
type cType struct {
	name string     // as the user spells it, e.g. "C.packet_t"
	typ  types.Type // cgo's type (a struct), or nil
	size int64      // C's size in bytes
	// sizeName is the constant that gave size when typ is nil.
	sizeName string
}

type checker struct {
	pass   *analysis.Pass
	v      *cgoview.View
	sizes  types.Sizes
	byName map[string]*cType // normalised C type name → type
	// aliases names anonymous C structs by a typedef: cgo's signatures use
	// the struct (_Ctype_struct___1), the user wrote the typedef (C.packet_t).
	aliases map[types.Type]string
	fn      *funcInfo
	seen    map[token.Pos]bool
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil || v.Pkg == nil {
		return nil, nil
	}
	a := &checker{pass: pass, v: v, sizes: pass.TypesSizes, byName: map[string]*cType{}, aliases: map[types.Type]string{}, seen: map[token.Pos]bool{}}
	if a.sizes == nil {
		a.sizes = types.SizesFor("gc", "amd64")
	}
	a.indexC()
	for _, f := range v.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			a.fn = newFuncInfo(v, fd.Body)
			ast.Inspect(fd.Body, a.visit)
		}
	}
	return nil, nil
}

// indexC records the C struct types and sizeof constants of the package by
// normalised name, for mirrors laid over memory whose C type is not written.
func (a *checker) indexC() {
	var cpkg *types.Package
	for _, imp := range a.v.Pkg.Imports() {
		if imp.Path() == "C" {
			cpkg = imp
		}
	}
	if cpkg == nil {
		return
	}
	for _, name := range cpkg.Scope().Names() {
		obj := cpkg.Scope().Lookup(name)
		switch obj := obj.(type) {
		case *types.TypeName:
			if _, ok := obj.Type().Underlying().(*types.Struct); ok {
				if _, isAlias := obj.Type().(*types.Alias); isAlias {
					a.aliases[types.Unalias(obj.Type())] = "C." + name
				}
				key := normC(name)
				if ct := a.byName[key]; ct == nil || ct.typ == nil {
					a.byName[key] = &cType{name: "C." + name, typ: obj.Type(), size: a.sizes.Sizeof(obj.Type())}
				}
			}
		case *types.Const:
			if rest, ok := strings.CutPrefix(name, "sizeof_"); ok {
				key := normC(rest)
				if _, taken := a.byName[key]; !taken {
					if n, ok := constInt(obj); ok {
						a.byName[key] = &cType{name: "C." + rest, size: n, sizeName: "C." + name}
					}
				}
			}
		}
	}
}

func (a *checker) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.CallExpr:
		a.conversion(n)
		if fn, ok := a.v.CCall(n); ok {
			a.sizedCall(n, fn)
		}
		a.binaryRead(n)
	case *ast.BinaryExpr:
		if n.Op == token.EQL || n.Op == token.NEQ {
			a.sizeofCompare(n)
		}
	}
	return true
}

// conversion checks (*G)(p) and (*C.x)(p) with p an unsafe.Pointer.
func (a *checker) conversion(call *ast.CallExpr) {
	tv, ok := a.v.Info.Types[call.Fun]
	if !ok || !tv.IsType() || len(call.Args) != 1 {
		return
	}
	arg := ast.Unparen(call.Args[0])
	if !isUnsafePointer(a.v.Info.TypeOf(arg)) {
		return
	}
	dst, ok := tv.Type.Underlying().(*types.Pointer)
	if !ok {
		return
	}
	array := a.isArrayUse(call)
	elem := dst.Elem()
	if arr, ok := types.Unalias(elem).Underlying().(*types.Array); ok && !isCType(elem) {
		elem, array = arr.Elem(), true
	}
	if _, ok := cName(elem); ok {
		// Go memory seen as C's type: (*C.x)(unsafe.Pointer(&g)).
		g := a.fn.goPointee(arg, 0)
		if g == nil || !isGoStruct(g.typ) {
			return
		}
		ct := a.cTypeOf(elem)
		if ct == nil || !a.corresponds(g.typ, ct) {
			return
		}
		a.compare(call, g.typ, ct, toC, g.array)
		return
	}
	if !isGoStruct(elem) {
		return
	}
	// C memory seen as a Go struct: (*G)(unsafe.Pointer(cp)), (*G)(C.f()).
	o := a.fn.origin(arg, 0)
	var ct *cType
	switch {
	case o.ctype != nil:
		ct = a.cTypeOf(o.ctype)
		if ct == nil || !a.corresponds(elem, ct) {
			return
		}
	case o.cmem:
		ct = a.byName[normGo(elem)]
		if ct == nil {
			return
		}
	default:
		return
	}
	a.compare(call, elem, ct, toGo, array)
}

// isArrayUse reports whether the converted pointer is the first argument of
// unsafe.Slice: its element is then repeated with Go's stride.
func (a *checker) isArrayUse(conv *ast.CallExpr) bool {
	var found bool
	// The parent is not at hand; unsafe.Slice calls are looked up by their argument.
	for _, call := range a.fn.slices {
		if len(call.Args) > 0 && ast.Unparen(call.Args[0]) == conv {
			found = true
		}
	}
	return found
}

func (a *checker) cTypeOf(t types.Type) *cType {
	name, _ := cName(t)
	if alias := a.aliases[types.Unalias(t)]; alias != "" && strings.HasPrefix(name, "C.<") {
		name = alias
	}
	if _, ok := t.Underlying().(*types.Struct); !ok {
		return nil
	}
	return &cType{name: name, typ: t, size: a.sizes.Sizeof(t)}
}

// corresponds reports whether the Go struct g is meant as a mirror of ct: the
// names agree, or at least half of C's named fields (one at least) have a Go
// field of the same name.
func (a *checker) corresponds(g types.Type, ct *cType) bool {
	if k := normGo(g); k != "" && k == normC(strings.TrimPrefix(ct.name, "C.")) {
		return true
	}
	if ct.typ == nil {
		return false
	}
	gs := fieldsOf(a.sizes, g)
	have := map[string]bool{}
	for _, f := range gs {
		if f.name != "_" {
			have[normField(f.name)] = true
		}
	}
	named, matched := 0, 0
	for _, f := range fieldsOf(a.sizes, ct.typ) {
		if f.name == "_" {
			continue
		}
		named++
		if have[normField(f.name)] {
			matched++
		}
	}
	return matched > 0 && 2*matched >= named
}

type direction int

const (
	toGo direction = iota // C memory read through a Go struct
	toC                   // Go memory handed over as a C struct
)

type field struct {
	name      string
	off, size int64
}

func fieldsOf(sizes types.Sizes, t types.Type) []field {
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	vars := make([]*types.Var, st.NumFields())
	for i := range vars {
		vars[i] = st.Field(i)
	}
	offs := sizes.Offsetsof(vars)
	out := make([]field, len(vars))
	for i, fv := range vars {
		out[i] = field{name: fv.Name(), off: offs[i], size: sizes.Sizeof(fv.Type())}
	}
	return out
}

// compare reports the first difference between the Go struct g and the C
// type ct, at the conversion call.
func (a *checker) compare(call *ast.CallExpr, g types.Type, ct *cType, dir direction, array bool) {
	gname := types.TypeString(g, types.RelativeTo(a.v.Pkg))
	gsize := a.sizes.Sizeof(g)
	const fix = "Use the cgo type itself, C accessor functions, or encoding/binary at offsets computed in C with offsetof; if a mirror is unavoidable, assert unsafe.Sizeof/unsafe.Offsetof against C.sizeof_x and offsetof at start-up."
	const rule = "(cmd/cgo: C.x has C's layout, fields Go cannot express become padding; a Go struct is aligned by Go's rules)"
	how := "laid over C memory as " + ct.name
	if dir == toC {
		how = "passed to C as " + ct.name
	}
	if ct.typ != nil {
		if msg := a.firstFieldDiff(g, gname, ct); msg != "" {
			a.report(call, fmt.Sprintf("%s is %s but its layout differs: %s %s. %s", gname, how, msg, rule, fix))
			return
		}
	}
	src := ct.name
	if ct.sizeName != "" {
		src = ct.sizeName
	}
	switch {
	case gsize > ct.size && dir == toGo:
		a.report(call, fmt.Sprintf("%s is %s but is %d bytes in Go and %d in C (%s): its fields are not where C put them, and Go reads and writes past the end of C's %d bytes %s. %s",
			gname, how, gsize, ct.size, src, ct.size, rule, fix))
	case gsize < ct.size && dir == toC:
		a.report(call, fmt.Sprintf("%s is %s but is %d bytes in Go and %d in C (%s): C reads and writes past the end of the Go value %s. %s",
			gname, how, gsize, ct.size, src, rule, fix))
	case gsize != ct.size && array:
		a.report(call, fmt.Sprintf("%s is %s and indexed as an array, but is %d bytes in Go and %d in C (%s): every element after the first is read at the wrong stride %s. %s",
			gname, how, gsize, ct.size, src, rule, fix))
	}
}

// firstFieldDiff compares the named fields of the Go struct with the cgo
// struct's: a Go field is paired with the C field of the same name, or with
// the C field at the same position when both have as many named fields;
// otherwise it must coincide with a C field at the same offset and size.
func (a *checker) firstFieldDiff(g types.Type, gname string, ct *cType) string {
	return a.fieldDiff(fieldsOf(a.sizes, g), ct, "in Go")
}

// fieldDiff compares Go fields, laid out one way or another, with C's.
func (a *checker) fieldDiff(gf []field, ct *cType, in string) string {
	cf := fieldsOf(a.sizes, ct.typ)
	var gNamed, cNamed []field
	for _, f := range gf {
		if f.name != "_" {
			gNamed = append(gNamed, f)
		}
	}
	byName := map[string]field{}
	for _, f := range cf {
		if f.name != "_" {
			cNamed = append(cNamed, f)
			byName[normField(f.name)] = f
		}
	}
	for i, f := range gNamed {
		p, ok := byName[normField(f.name)]
		if !ok && len(gNamed) == len(cNamed) {
			p, ok = cNamed[i], true
		}
		if ok {
			if p.off != f.off || p.size != f.size {
				return fmt.Sprintf("field %s is at offset %d (%d bytes) %s, but C's %s is at offset %d (%d bytes)",
					f.name, f.off, f.size, in, p.name, p.off, p.size)
			}
			continue
		}
		var at *field
		for j := range cf {
			if cf[j].off <= f.off && f.off < cf[j].off+cf[j].size {
				at = &cf[j]
				break
			}
		}
		switch {
		case at == nil:
			return fmt.Sprintf("field %s is at offset %d %s, past the end of %s (%d bytes)", f.name, f.off, in, ct.name, ct.size)
		case at.name == "_":
			return fmt.Sprintf("field %s is at offset %d (%d bytes) %s, but bytes %d to %d of %s are opaque to cgo: a member C places where Go cannot (packed, #pragma pack, bit-fields) or padding",
				f.name, f.off, f.size, in, at.off, at.off+at.size-1, ct.name)
		case at.off != f.off || at.size != f.size:
			return fmt.Sprintf("field %s is at offset %d (%d bytes) %s, where C has %s at offset %d (%d bytes)",
				f.name, f.off, f.size, in, at.name, at.off, at.size)
		}
	}
	return ""
}

// sizedCall reports C.f(unsafe.Pointer(&g), ..., C.sizeof_x, ...) where the Go
// struct g corresponds to x by name but has another size: C copies C's size
// through Go's layout (C.write(fd, unsafe.Pointer(&hdr), C.sizeof_hdr_t)).
func (a *checker) sizedCall(call *ast.CallExpr, fn string) {
	var size string
	for _, arg := range call.Args {
		if name, ok := a.cSizeof(arg); ok {
			size = name
		}
	}
	if size == "" {
		return
	}
	ct := a.byName[normC(strings.TrimPrefix(size, "sizeof_"))]
	if ct == nil {
		return
	}
	for _, arg := range call.Args {
		if !isUnsafePointer(a.v.Info.TypeOf(arg)) {
			continue
		}
		g := a.fn.goPointee(arg, 0)
		if g == nil || g.array || !isGoStruct(g.typ) || normGo(g.typ) != normC(strings.TrimPrefix(size, "sizeof_")) {
			continue
		}
		gsize := a.sizes.Sizeof(g.typ)
		if gsize == ct.size {
			continue
		}
		gname := types.TypeString(g.typ, types.RelativeTo(a.v.Pkg))
		effect := "its fields are not where C expects them"
		if gsize < ct.size {
			effect = "C reads or writes past the end of the Go value"
		}
		a.report(arg, fmt.Sprintf("%s is passed to C.%s with C.%s, but is %d bytes in Go and %d in C: %s (cmd/cgo: C.sizeof_T is C's size of T; a Go struct is aligned by Go's rules). Pass a C.%s, or make the Go struct match C's layout and assert unsafe.Sizeof equals C.%s",
			gname, fn, size, gsize, ct.size, effect, strings.TrimPrefix(size, "sizeof_"), size))
	}
}

// sizeofCompare reports unsafe.Sizeof(g) == C.sizeof_x (or !=) when the two
// constants differ: the check always fails, the mirror does not match.
func (a *checker) sizeofCompare(b *ast.BinaryExpr) {
	for _, pair := range [][2]ast.Expr{{b.X, b.Y}, {b.Y, b.X}} {
		sz, ok := a.unsafeSizeof(pair[0])
		if !ok {
			continue
		}
		cs, ok := a.cSizeof(pair[1])
		if !ok {
			continue
		}
		gv, ok1 := a.v.IntConst(sz)
		cv, ok2 := a.v.IntConst(pair[1])
		if !ok1 || !ok2 || gv == cv {
			return
		}
		arg := types.TypeString(a.v.Info.TypeOf(sz.Args[0]), types.RelativeTo(a.v.Pkg))
		a.report(b, fmt.Sprintf("unsafe.Sizeof of %s is %d but C.%s is %d: this comparison is constant, the Go mirror does not have C's layout (cmd/cgo: C.sizeof_T is C's size of T). Make the Go struct match C (explicit _ [N]byte padding, field types of C's sizes) or use the cgo type C.%s",
			arg, gv, cs, cv, strings.TrimPrefix(cs, "sizeof_")))
		return
	}
}

// unsafeSizeof returns the unsafe.Sizeof call inside e (through conversions).
func (a *checker) unsafeSizeof(e ast.Expr) (*ast.CallExpr, bool) {
	for {
		call, ok := ast.Unparen(e).(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return nil, false
		}
		if tv, ok := a.v.Info.Types[call.Fun]; ok && tv.IsType() {
			e = call.Args[0]
			continue
		}
		if isUnsafeFunc(a.v.Info, call, "Sizeof") {
			return call, true
		}
		return nil, false
	}
}

// cSizeof returns x for C.sizeof_x inside e (through conversions).
func (a *checker) cSizeof(e ast.Expr) (string, bool) {
	for {
		if name, ok := a.v.CName(e); ok && strings.HasPrefix(name, "sizeof_") {
			return name, true
		}
		call, ok := ast.Unparen(e).(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return "", false
		}
		if tv, ok := a.v.Info.Types[call.Fun]; !ok || !tv.IsType() {
			return "", false
		}
		e = call.Args[0]
	}
}

func (a *checker) report(n ast.Node, msg string) {
	if a.seen[n.Pos()] {
		return
	}
	a.seen[n.Pos()] = true
	a.v.Report(a.pass, analysis.Diagnostic{Pos: n.Pos(), End: n.End(), Message: msg})
}

// cName returns "C.x" when t is a cgo type.
func cName(t types.Type) (string, bool) {
	var name string
	switch t := t.(type) {
	case *types.Alias:
		name = t.Obj().Name()
	case *types.Named:
		name = t.Obj().Name()
	default:
		return "", false
	}
	rest, ok := strings.CutPrefix(name, "_Ctype_")
	if !ok {
		return "", false
	}
	if strings.HasPrefix(rest, "struct___") {
		return "C.<anonymous struct>", true
	}
	return "C." + rest, true
}

func isCType(t types.Type) bool { _, ok := cName(t); return ok }

func isGoStruct(t types.Type) bool {
	if isCType(t) {
		return false
	}
	_, ok := t.Underlying().(*types.Struct)
	return ok
}

func isUnsafePointer(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Kind() == types.UnsafePointer
}

func isUnsafeFunc(info *types.Info, call *ast.CallExpr, name string) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	pn, ok := info.Uses[id].(*types.PkgName)
	return ok && pn.Imported() == types.Unsafe
}

func constInt(c *types.Const) (int64, bool) {
	v := c.Val()
	if v == nil {
		return 0, false
	}
	var n int64
	_, err := fmt.Sscan(v.ExactString(), &n)
	return n, err == nil
}

// normC normalises a C type name: struct_packet, packet_t, PACKET → packet.
func normC(s string) string {
	s = strings.TrimPrefix(s, "struct_")
	s = strings.TrimSuffix(s, "_t")
	return strings.ToLower(strings.ReplaceAll(s, "_", ""))
}

// normGo normalises a Go type's name; "" for unnamed types.
func normGo(t types.Type) string {
	var name string
	switch t := t.(type) {
	case *types.Named:
		name = t.Obj().Name()
	case *types.Alias:
		name = t.Obj().Name()
	default:
		return ""
	}
	return strings.ToLower(strings.ReplaceAll(name, "_", ""))
}

// normField normalises a field name: cgo prefixes Go keywords with _ (C's
// type becomes _type), Go style capitalises (id → ID).
func normField(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// binaryRead checks binary.Read(r, order, &g) where r reads the bytes of a
// C struct x (bytes.NewReader(C.GoBytes(p, C.sizeof_x)), or unsafe.Slice
// with that length): encoding/binary packs g's fields one after the other,
// without alignment padding, so g must spell out C's padding as _ fields.
func (a *checker) binaryRead(call *ast.CallExpr) {
	fn := calleeFunc(a.v.Info, call)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "encoding/binary" || fn.Name() != "Read" || len(call.Args) != 3 {
		return
	}
	dt := a.v.Info.TypeOf(call.Args[2])
	p, ok := dt.Underlying().(*types.Pointer)
	if !ok || !isGoStruct(p.Elem()) {
		return
	}
	g := p.Elem()
	sizeName := a.readerSize(call.Args[0], 0)
	if sizeName == "" {
		return
	}
	ct := a.byName[normC(strings.TrimPrefix(sizeName, "sizeof_"))]
	if ct == nil {
		return
	}
	gf, _, ok := binaryFields(g)
	if !ok {
		return // binary.Read rejects it (int, pointers): an error at run time, not a misread
	}
	if ct.typ == nil {
		// Only C's size is known: a smaller encoding may be a right prefix,
		// a larger one fails with io.ErrUnexpectedEOF. Nothing certain to say.
		return
	}
	gname := types.TypeString(g, types.RelativeTo(a.v.Pkg))
	if msg := a.fieldDiff(gf, ct, "as encoded"); msg != "" {
		a.report(call, fmt.Sprintf("binary.Read decodes %s from the bytes of %s, but the encoded layout differs: %s (encoding/binary packs fields one after another, with no alignment padding; cmd/cgo: C.x has C's layout). Write C's padding out as _ [N]byte fields, or read at C's offsets", gname, ct.name, msg))
	}
}

// readerSize returns sizeof_x when the reader r reads a buffer made with
// length C.sizeof_x: bytes.NewReader(b), bytes.NewBuffer(b), with b from
// C.GoBytes(p, n) or unsafe.Slice(p, n), directly or through one local.
func (a *checker) readerSize(r ast.Expr, depth int) string {
	if depth > 4 {
		return ""
	}
	r = ast.Unparen(r)
	switch x := r.(type) {
	case *ast.Ident:
		if lv, ok := a.fn.local(x); ok && len(a.fn.assigns[lv]) == 1 && a.fn.assigns[lv][0] != nil {
			return a.readerSize(a.fn.assigns[lv][0], depth+1)
		}
	case *ast.SliceExpr:
		if x.Low == nil && x.High == nil {
			return a.readerSize(x.X, depth+1)
		}
	case *ast.CallExpr:
		if name, ok := a.v.CCall(x); ok && name == "GoBytes" && len(x.Args) == 2 {
			n, _ := a.cSizeof(x.Args[1])
			return n
		}
		if isUnsafeFunc(a.v.Info, x, "Slice") && len(x.Args) == 2 {
			n, _ := a.cSizeof(x.Args[1])
			return n
		}
		if fn := calleeFunc(a.v.Info, x); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "bytes" &&
			(fn.Name() == "NewReader" || fn.Name() == "NewBuffer") && len(x.Args) == 1 {
			return a.readerSize(x.Args[0], depth+1)
		}
	}
	return ""
}

func calleeFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		fn, _ := info.Uses[fun].(*types.Func)
		return fn
	case *ast.SelectorExpr:
		fn, _ := info.Uses[fun.Sel].(*types.Func)
		return fn
	}
	return nil
}

// binaryFields lays out a struct the way encoding/binary encodes it: each
// field right after the previous one. ok is false for types binary.Read
// rejects (int, uint, pointers, slices, ...).
func binaryFields(t types.Type) (out []field, size int64, ok bool) {
	st, isStruct := t.Underlying().(*types.Struct)
	if !isStruct {
		return nil, 0, false
	}
	var off int64
	for i := range st.NumFields() {
		f := st.Field(i)
		n := binarySize(f.Type())
		if n < 0 {
			return nil, 0, false
		}
		out = append(out, field{name: f.Name(), off: off, size: n})
		off += n
	}
	return out, off, true
}

func binarySize(t types.Type) int64 {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch u.Kind() {
		case types.Bool, types.Int8, types.Uint8:
			return 1
		case types.Int16, types.Uint16:
			return 2
		case types.Int32, types.Uint32, types.Float32:
			return 4
		case types.Int64, types.Uint64, types.Float64, types.Complex64:
			return 8
		case types.Complex128:
			return 16
		}
	case *types.Array:
		if e := binarySize(u.Elem()); e >= 0 {
			return e * u.Len()
		}
	case *types.Struct:
		_, n, ok := binaryFields(u)
		if ok {
			return n
		}
	}
	return -1
}
