// Package layout checks that a Go struct mirrors a C struct byte for byte.
//
// Go code sometimes keeps its own copy of a C struct's layout: to decode it
// from bytes, to hold it in Go memory, to share it with a package that cannot
// use cgo. Go has no attribute for C layout (there is no //go:pack); a mirror
// is right only if every field lands where C put it, and it silently goes
// wrong when someone writes int for C's int (8 bytes against 4) or the C header
// changes. Check compares the mirror with the type cgo generated from the real
// header, which has C's layout by construction:
//
//	func TestMirror(t *testing.T) {
//		layout.Check(t, Record{}, C.struct_record{}) // in a non-test file: see below
//	}
//
// It compares size, alignment, and each field's offset and size, matching
// fields by name: a Go field matches a C field with the same name, ignoring
// case and underscores, or after dropping a prefix common to all the C
// fields (tv_sec is Sec, as cgo -godefs names it). Map names the rest;
// IgnoreC skips C fields the mirror leaves out on purpose. Nested structs are
// compared field by field too. A failure prints the two layouts side by side
// with the differences marked.
//
// cgo types cannot appear in _test.go files (they cannot import "C"), so give
// the test a way to name one: an exported alias (type CRecord =
// C.struct_record) in a non-test file of the package, or an internal package.
//
// # Generating a mirror instead
//
// When a mirror is really needed, let cgo write it: a file with
// //go:build ignore that declares type Record C.struct_record, and
//
//	//go:generate sh -c "go tool cgo -godefs types.go | gofmt > ztypes_linux_amd64.go"
//
// (see safe/internal/ctest/gen.go). Keep a Check test beside it anyway: it
// fails when the header changes and nobody regenerates.
//
// What cgo cannot represent it leaves out: bitfields, and the fields of a
// packed struct that are not naturally aligned, become anonymous _ padding.
// Such a C field can have no Go mirror; Check reports a Go field that lands in
// that padding, and the remedy is C accessor functions or explicit
// encoding/binary decoding, not a struct.
package layout

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
)

// TestingT is the part of *testing.T that Check uses.
type TestingT interface {
	Helper()
	Error(args ...any)
}

// Option adjusts how Check and Compare match fields.
type Option func(*config)

type config struct {
	names   map[string]string // Go field path -> C field name
	ignoreC map[string]bool   // C field paths
}

// Map matches the Go field goField with the C field cField. In nested structs
// use the Go path ("Hdr.Len").
func Map(goField, cField string) Option {
	return func(c *config) { c.names[goField] = cField }
}

// IgnoreC skips the C field cField (a C path, "hdr.len" when nested), which
// the mirror leaves out on purpose.
func IgnoreC(cField string) Option {
	return func(c *config) { c.ignoreC[cField] = true }
}

// Check reports, through t, every difference between the layout of the Go
// mirror and the C type (the types of the two values; pointers are followed).
// It returns whether they match.
func Check(t TestingT, mirror, ctype any, opts ...Option) bool {
	t.Helper()
	if err := Compare(mirror, ctype, opts...); err != nil {
		t.Error(err)
		return false
	}
	return true
}

// Compare returns an error describing every layout difference between the Go
// mirror and the C type, or nil if they match.
func Compare(mirror, ctype any, opts ...Option) error {
	cfg := config{names: map[string]string{}, ignoreC: map[string]bool{}}
	for _, o := range opts {
		o(&cfg)
	}
	g, c := deref(reflect.TypeOf(mirror)), deref(reflect.TypeOf(ctype))
	if g == nil || c == nil {
		return fmt.Errorf("layout: Compare needs two struct values, got %T and %T", mirror, ctype)
	}
	if g.Kind() != reflect.Struct || c.Kind() != reflect.Struct {
		return fmt.Errorf("layout: Compare needs two structs, got %v and %v", g, c)
	}
	d := &diff{cfg: cfg}
	if g.Size() != c.Size() {
		d.problem("size: Go %d bytes, C %d bytes", g.Size(), c.Size())
	}
	if g.Align() != c.Align() {
		d.problem("alignment: Go %d, C %d", g.Align(), c.Align())
	}
	d.fields(g, c, "", "", 0)
	if len(d.problems) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "layout: Go %v does not match C %v:\n", g, cName(c))
	for _, p := range d.problems {
		fmt.Fprintf(&b, "  - %s\n", p)
	}
	b.WriteString("\n")
	slices.SortStableFunc(d.rows, func(x, y row) int { return cmp.Compare(x.order, y.order) })
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tGo field\toffset\tsize\ttype\t\tC field\toffset\tsize\ttype")
	for _, r := range d.rows {
		mark := " "
		if r.bad {
			mark = "✗"
		}
		fmt.Fprintf(tw, "%s \t%s\t%s\t%s\t%s\t\t%s\t%s\t%s\t%s\n", mark, r.g.name, r.g.off, r.g.size, r.g.typ, r.c.name, r.c.off, r.c.size, r.c.typ)
	}
	tw.Flush()
	return fmt.Errorf("%s", strings.TrimRight(b.String(), "\n"))
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// cName turns cgo's _Ctype_struct_foo into struct foo for messages.
func cName(t reflect.Type) string {
	n := t.Name()
	if s, ok := strings.CutPrefix(n, "_Ctype_struct_"); ok {
		return "struct " + s
	}
	if s, ok := strings.CutPrefix(n, "_Ctype_"); ok {
		return s
	}
	return t.String()
}

type side struct{ name, off, size, typ string }

type row struct {
	g, c  side
	bad   bool
	order uintptr // C offset if there is a C field, else Go offset
}

type diff struct {
	cfg      config
	problems []string
	rows     []row
}

func (d *diff) problem(format string, args ...any) {
	d.problems = append(d.problems, fmt.Sprintf(format, args...))
}

func describe(path string, f reflect.StructField, base uintptr) side {
	return side{path, fmt.Sprint(base + f.Offset), fmt.Sprint(f.Type.Size()), typeName(f.Type)}
}

func typeName(t reflect.Type) string {
	s := t.String()
	// cgo's names are noise here: ctest._Ctype_int is C int.
	if i := strings.Index(s, "_Ctype_"); i >= 0 {
		j := strings.LastIndexAny(s[:i], "]*") + 1
		s = s[:j] + "C." + s[i+len("_Ctype_"):]
	}
	return s
}

// fields matches g's fields with c's and records rows and problems. base is
// the offset of both structs in the outermost one.
func (d *diff) fields(g, c reflect.Type, gPrefix, cPrefix string, base uintptr) {
	var cFields []reflect.StructField
	var pads []reflect.StructField // cgo's _ padding: where it dropped C fields
	for i := range c.NumField() {
		f := c.Field(i)
		if f.Name == "_" {
			pads = append(pads, f)
			continue
		}
		if d.cfg.ignoreC[cPrefix+f.Name] {
			continue
		}
		cFields = append(cFields, f)
	}
	prefix := commonPrefix(cFields)
	used := map[string]bool{}

	for i := range g.NumField() {
		gf := g.Field(i)
		if gf.Name == "_" {
			continue
		}
		gPath := gPrefix + gf.Name
		cf, ok := d.match(gPath, gf.Name, cFields, prefix, used)
		if !ok {
			r := row{g: describe(gPath, gf, base), bad: true, order: base + gf.Offset}
			if pad, in := overlaps(gf, pads); in {
				d.problem("Go field %s (offset %d) lies in padding that cgo put where it could not represent C fields (offsets %d-%d: packed struct or bitfield); it cannot be mirrored by a Go field",
					gPath, base+gf.Offset, base+pad.Offset, base+pad.Offset+pad.Type.Size()-1)
				r.c = side{name: "(cgo padding)", off: fmt.Sprint(base + pad.Offset), size: fmt.Sprint(pad.Type.Size())}
			} else {
				d.problem("Go field %s has no C counterpart (use Map to name it)", gPath)
			}
			d.rows = append(d.rows, r)
			continue
		}
		used[cf.Name] = true
		cPath := cPrefix + cf.Name
		r := row{g: describe(gPath, gf, base), c: describe(cPath, cf, base), order: base + cf.Offset}
		if gf.Offset != cf.Offset {
			d.problem("%s: Go offset %d, C offset %d (%s)", gPath, base+gf.Offset, base+cf.Offset, cPath)
			r.bad = true
		}
		if gf.Type.Size() != cf.Type.Size() {
			d.problem("%s: Go size %d (%s), C size %d (%s %s)", gPath, gf.Type.Size(), typeName(gf.Type), cf.Type.Size(), cPath, typeName(cf.Type))
			r.bad = true
		}
		if gk, ck := class(gf.Type), class(cf.Type); gk != "" && ck != "" && gk != ck {
			d.problem("%s: Go %s is %s, C %s is %s", gPath, typeName(gf.Type), gk, cPath, ck)
			r.bad = true
		}
		d.rows = append(d.rows, r)
		if !r.bad && gf.Type.Kind() == reflect.Struct && cf.Type.Kind() == reflect.Struct {
			d.fields(gf.Type, cf.Type, gPath+".", cPath+".", base+gf.Offset)
		}
	}
	for _, cf := range cFields {
		if !used[cf.Name] {
			d.problem("C field %s%s (offset %d, size %d) has no Go counterpart (use Map, or IgnoreC if that is deliberate)", cPrefix, cf.Name, base+cf.Offset, cf.Type.Size())
			d.rows = append(d.rows, row{c: describe(cPrefix+cf.Name, cf, base), bad: true, order: base + cf.Offset})
		}
	}
}

func (d *diff) match(gPath, gName string, cFields []reflect.StructField, prefix string, used map[string]bool) (reflect.StructField, bool) {
	if want, ok := d.cfg.names[gPath]; ok {
		for _, cf := range cFields {
			if cf.Name == want {
				return cf, true
			}
		}
		return reflect.StructField{}, false
	}
	for _, strip := range []string{"", prefix} {
		for _, cf := range cFields {
			if used[cf.Name] {
				continue
			}
			if normalize(gName) == normalize(strings.TrimPrefix(cf.Name, strip)) {
				return cf, true
			}
		}
	}
	return reflect.StructField{}, false
}

// normalize folds case and underscores: buf_len, BufLen and bufLen agree.
// cgo renames C fields that are Go keywords with a leading _ (type -> _type).
func normalize(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// commonPrefix returns the prefix up to an underscore that every C field
// shares ("tv_" in struct timespec), which cgo -godefs drops.
func commonPrefix(fs []reflect.StructField) string {
	if len(fs) < 2 {
		return ""
	}
	first := fs[0].Name
	i := strings.IndexByte(strings.TrimLeft(first, "_"), '_')
	if i < 0 {
		return ""
	}
	p := first[:len(first)-len(strings.TrimLeft(first, "_"))+i+1]
	for _, f := range fs[1:] {
		if !strings.HasPrefix(f.Name, p) {
			return ""
		}
	}
	return p
}

func overlaps(f reflect.StructField, pads []reflect.StructField) (reflect.StructField, bool) {
	for _, p := range pads {
		if f.Offset < p.Offset+p.Type.Size() && p.Offset < f.Offset+f.Type.Size() {
			return p, true
		}
	}
	return reflect.StructField{}, false
}

// class groups kinds whose bits mean the same thing: a float mirrored by an
// integer of the same size has the right layout and the wrong values.
func class(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a float"
	case reflect.Complex64, reflect.Complex128:
		return "a complex"
	}
	return ""
}
