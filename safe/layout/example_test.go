package layout_test

import (
	"fmt"

	"github.com/cgoguard/cgoguard/safe/internal/ctest"
	"github.com/cgoguard/cgoguard/safe/layout"
)

// Record is a hand-written mirror of struct ctest_record with one classic
// mistake: Go's int for C's int. In a test you would call
// layout.Check(t, Record{}, CRecord{}) with CRecord = C.struct_ctest_record.
type Record struct {
	Kind  uint8
	Num   int
	Name  [16]int8
	Score float64
	Flags uint8
	Stamp int64
}

func ExampleCompare() {
	fmt.Println(layout.Compare(Record{}, ctest.Record{}))
	// Output:
	// layout: Go layout_test.Record does not match C struct ctest_record:
	//   - size: Go 56 bytes, C 48 bytes
	//   - Num: Go offset 8, C offset 4 (id_num)
	//   - Num: Go size 8 (int), C size 4 (id_num C.int)
	//   - Name: Go offset 16, C offset 8 (id_name)
	//   - Score: Go offset 32, C offset 24 (id_score)
	//   - Flags: Go offset 40, C offset 32 (id_flags)
	//   - Stamp: Go offset 48, C offset 40 (id_stamp)
	//
	//     Go field  offset  size  type        C field   offset  size  type
	//     Kind      0       1     uint8       id_kind   0       1     C.uchar
	// ✗   Num       8       8     int         id_num    4       4     C.int
	// ✗   Name      16      16    [16]int8    id_name   8       16    [16]C.char
	// ✗   Score     32      8     float64     id_score  24      8     C.double
	// ✗   Flags     40      1     uint8       id_flags  32      1     C.uchar
	// ✗   Stamp     48      8     int64       id_stamp  40      8     C.long
}

// The mirror that `go tool cgo -godefs` generated (safe/internal/ctest/gen.go)
// matches, field names and all.
func ExampleCompare_generated() {
	fmt.Println(layout.Compare(ctest.RecordMirror{}, ctest.Record{}))
	// Output: <nil>
}
