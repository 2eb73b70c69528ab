package layout

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct __attribute__((packed)) {
	uint8_t  flag;
	uint32_t id;
	uint16_t len;
} packet_t;

#pragma pack(push, 2)
typedef struct {
	uint16_t tag;
	uint64_t stamp;
	uint8_t  ver;
} hdr_t;
#pragma pack(pop)

typedef struct {
	uint8_t  kind;
	uint32_t value __attribute__((aligned(8)));
} rec_t;

struct point { int x, y; };

struct sockaddr_like { uint16_t family; char data[14]; };

static packet_t pkts[4];
static rec_t recs[4];
static unsigned char raw[64];
static struct sockaddr_like sa;

static packet_t *packets(void) { return pkts; }
static rec_t *records(void) { return recs; }
static void *header(void) { return raw; }
static void *blob(void) { return raw; }
static struct sockaddr_like *addr(void) { return &sa; }
static int norm(struct point *p) { return p->x * p->x + p->y * p->y; }
*/
import "C"

import (
	"bytes"
	"encoding/binary"
	"unsafe"
)

// Packet mirrors packet_t with Go's alignment: ID lands at 4, not 1.
type Packet struct {
	Flag uint8
	ID   uint32
	Len  uint16
}

// Rec misses rec_t's aligned(8): Value at 4, C has it at 8.
type Rec struct {
	Kind  uint8
	Value uint32
}

// Hdr mirrors hdr_t (pack(2)): 24 bytes in Go, 12 in C.
type Hdr struct {
	Tag   uint16
	Stamp uint64
	Ver   uint8
}

// Point uses Go int for C int.
type Point struct{ X, Y int }

func readPacket() uint32 {
	p := (*Packet)(unsafe.Pointer(C.packets())) // want `Packet is laid over C memory as C.packet_t but its layout differs: field ID is at offset 4 \(4 bytes\) in Go, but bytes 1 to 6 of C.packet_t are opaque to cgo`
	return p.ID
}

func readRecs() uint32 {
	up := unsafe.Pointer(C.records())
	rs := (*[4]Rec)(up) // want `Rec is laid over C memory as C.rec_t but its layout differs: field Value is at offset 4 \(4 bytes\) in Go, but C's value is at offset 8 \(4 bytes\)`
	return rs[1].Value
}

func readHeader() uint64 {
	_ = C.sizeof_hdr_t
	h := (*Hdr)(C.header()) // want `Hdr is laid over C memory as C.hdr_t but is 24 bytes in Go and 12 in C \(C.sizeof_hdr_t\)`
	return h.Stamp
}

func norm(x, y int) int {
	p := Point{x, y}
	return int(C.norm((*C.struct_point)(unsafe.Pointer(&p)))) // want `Point is passed to C as C.struct_point but its layout differs: field X is at offset 0 \(8 bytes\) in Go, but C's x is at offset 0 \(4 bytes\)`
}

// Rec16 has rec_t's padding but not its trailing padding: 12 bytes, C has 16.
type Rec16 struct {
	Kind  uint8
	_     [7]byte
	Value uint32
}

func firstValue() uint32 {
	r := (*Rec16)(unsafe.Pointer(C.records())) // a prefix view of one rec_t: fine
	return r.Value
}

func allValues(n int) []Rec16 {
	return unsafe.Slice((*Rec16)(unsafe.Pointer(C.records())), n) // want `Rec16 is laid over C memory as C.rec_t and indexed as an array, but is 12 bytes in Go and 16 in C`
}

func sizeCheck() bool {
	return unsafe.Sizeof(Rec{}) != C.sizeof_rec_t // want `unsafe.Sizeof of Rec is 8 but C.sizeof_rec_t is 16: this comparison is constant`
}

// --- Silent. ---

// RecOK writes rec_t's padding out: the same layout as C.rec_t.
type RecOK struct {
	Kind  uint8
	_     [7]byte
	Value uint32
	_     [4]byte
}

func recsOK(n int) []RecOK {
	if unsafe.Sizeof(RecOK{}) != C.sizeof_rec_t {
		panic("layout")
	}
	return unsafe.Slice((*RecOK)(unsafe.Pointer(C.records())), n)
}

// PointC matches struct point.
type PointC struct{ X, Y int32 }

func normOK(x, y int32) int {
	p := PointC{x, y}
	return int(C.norm((*C.struct_point)(unsafe.Pointer(&p))))
}

// sockaddrIn reinterprets the C address on purpose: no correspondence by
// name or field names, so it is not taken for a mirror.
type sockaddrIn struct {
	Fam  uint16
	Port uint16
	Addr [4]byte
	Zero [8]byte
}

func port() uint16 {
	return (*sockaddrIn)(unsafe.Pointer(C.addr())).Port
}

// Blob has no C counterpart: bytes of unknown layout are not judged.
type Blob struct {
	A uint8
	B uint64
}

func blob() uint64 { return (*Blob)(C.blob()).B }

// Using cgo's own type never mismatches.
func direct() uint32 {
	r := C.records()
	return uint32(r.value)
}

// Packet decoded from Go bytes, not laid over C memory.
func fromGo(b []byte) uint32 {
	return (*Packet)(unsafe.Pointer(&b[0])).ID
}

func sendHeader(h *Hdr) {
	C.memcpy(C.header(), unsafe.Pointer(h), C.sizeof_hdr_t) // want `Hdr is passed to C.memcpy with C.sizeof_hdr_t, but is 24 bytes in Go and 12 in C: its fields are not where C expects them`
}

// Small is smaller than C's struct point, which C fills in whole.
type Small struct{ X int32 }

func tooSmall() int32 {
	var s Small
	C.norm((*C.struct_point)(unsafe.Pointer(&s))) // want `Small is passed to C as C.struct_point but is 4 bytes in Go and 8 in C \(C.struct_point\): C reads and writes past the end of the Go value`
	return s.X
}

// Points handed to C as an array: PointC matches, silent.
func normAll(ps []PointC) {
	for i := range ps {
		C.norm((*C.struct_point)(unsafe.Pointer(&ps[i])))
	}
}

func sendOK(r *RecOK) {
	C.memcpy(C.header(), unsafe.Pointer(r), C.sizeof_rec_t)
}

// RecWire is decoded with encoding/binary, which packs fields: Value lands
// at byte 1 of the encoding, C has it at 8.
type RecWire struct {
	Kind  uint8
	Value uint32
}

func decodeRec(r *C.rec_t) (RecWire, error) {
	var w RecWire
	b := C.GoBytes(unsafe.Pointer(r), C.sizeof_rec_t)
	err := binary.Read(bytes.NewReader(b), binary.NativeEndian, &w) // want `binary.Read decodes RecWire from the bytes of C.rec_t, but the encoded layout differs: field Value is at offset 1 \(4 bytes\) as encoded, but C's value is at offset 8 \(4 bytes\)`
	return w, err
}

// RecWireOK spells C's padding out: every field at C's offset.
type RecWireOK struct {
	Kind  uint8
	_     [7]byte
	Value uint32
	_     [4]byte
}

func decodeRecOK(r *C.rec_t) (RecWireOK, error) {
	var w RecWireOK
	err := binary.Read(bytes.NewReader(C.GoBytes(unsafe.Pointer(r), C.sizeof_rec_t)), binary.NativeEndian, &w)
	return w, err
}

// HdrWire reads hdr_t, of which only the size is known here (C.sizeof_hdr_t):
// without C's layout nothing is certain, and the packed encoding happens to
// match pack(2).
type HdrWire struct {
	Tag   uint16
	Stamp uint64
	Ver   uint8
}

func decodeHdr() (HdrWire, error) {
	var h HdrWire
	raw := unsafe.Slice((*byte)(C.header()), C.sizeof_hdr_t)
	err := binary.Read(bytes.NewReader(raw), binary.NativeEndian, &h)
	return h, err
}
