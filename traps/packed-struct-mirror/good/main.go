// Command good reads the same C memory without guessing its layout: packed
// data through encoding/binary at the offsets C itself computed with offsetof,
// and the over-aligned record through cgo's own type C.rec_t, which carries
// C's layout. A hand-written mirror is kept only after its size and offsets
// are checked against C's at start-up.
package main

/*
#include <stddef.h>
#include <stdint.h>
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

// The layout as the C compiler sees it; cgo exposes enum constants to Go.
enum {
	PKT_FLAG = offsetof(packet_t, flag),
	PKT_ID = offsetof(packet_t, id),
	PKT_LEN = offsetof(packet_t, len),
	HDR_TAG = offsetof(hdr_t, tag),
	HDR_STAMP = offsetof(hdr_t, stamp),
	HDR_VER = offsetof(hdr_t, ver),
	REC_KIND = offsetof(rec_t, kind),
	REC_VALUE = offsetof(rec_t, value),
};

static unsigned char pkt_buf[64], hdr_buf[64];
static rec_t recs[2] = {{1, 1000}, {2, 2000}};

static void fill(void) {
	packet_t p[3] = {{1, 1000, 64}, {2, 2000, 128}, {3, 3000, 256}};
	hdr_t h = {7, 1700000000, 3};
	memcpy(pkt_buf, p, sizeof p);
	memcpy(hdr_buf, &h, sizeof h);
}
static void *packets(void) { return pkt_buf; }
static void *header(void) { return hdr_buf; }
static rec_t *records(void) { return recs; }
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"os"
	"unsafe"
)

// Packet is the decoded form of packet_t; it is never laid over C memory.
type Packet struct {
	Flag uint8
	ID   uint32
	Len  uint16
}

// decodePacket reads one packet_t from b at C's offsets, in the host's byte order.
func decodePacket(b []byte) Packet {
	return Packet{
		Flag: b[C.PKT_FLAG],
		ID:   binary.NativeEndian.Uint32(b[C.PKT_ID:]),
		Len:  binary.NativeEndian.Uint16(b[C.PKT_LEN:]),
	}
}

// Rec mirrors rec_t with the padding written out. It is only safe because
// checkLayout proves it matches C before any use.
type Rec struct {
	Kind  uint8
	_     [7]byte
	Value uint32
	_     [4]byte
}

// checkLayout compares the mirror with the layout the C compiler computed.
func checkLayout() error {
	if unsafe.Sizeof(Rec{}) != C.sizeof_rec_t || unsafe.Offsetof(Rec{}.Kind) != C.REC_KIND || unsafe.Offsetof(Rec{}.Value) != C.REC_VALUE {
		return fmt.Errorf("Rec: size %d, value at %d; C: size %d, value at %d",
			unsafe.Sizeof(Rec{}), unsafe.Offsetof(Rec{}.Value), C.sizeof_rec_t, C.REC_VALUE)
	}
	return nil
}

func main() {
	if err := checkLayout(); err != nil {
		fmt.Fprintln(os.Stderr, "layout mismatch:", err)
		os.Exit(1)
	}
	fmt.Println("layout_ok=1")
	C.fill()

	raw := unsafe.Slice((*byte)(C.packets()), 2*C.sizeof_packet_t)
	for i := range 2 {
		p := decodePacket(raw[i*C.sizeof_packet_t:])
		fmt.Printf("pkt%d_flag=%d\npkt%d_id=%d\npkt%d_len=%d\n", i, p.Flag, i, p.ID, i, p.Len)
	}

	h := unsafe.Slice((*byte)(C.header()), C.sizeof_hdr_t)
	fmt.Printf("hdr_tag=%d\nhdr_stamp=%d\nhdr_ver=%d\n",
		binary.NativeEndian.Uint16(h[C.HDR_TAG:]), binary.NativeEndian.Uint64(h[C.HDR_STAMP:]), h[C.HDR_VER])

	// cgo's C.rec_t has C's padding, so its fields are right without a mirror;
	// the checked mirror reads the same memory and must agree.
	recs := unsafe.Slice(C.records(), 2)
	mirror := (*[2]Rec)(unsafe.Pointer(C.records()))
	for i, r := range recs {
		if uint32(r.value) != mirror[i].Value {
			fmt.Fprintf(os.Stderr, "rec%d: C.rec_t says %d, mirror says %d\n", i, r.value, mirror[i].Value)
			os.Exit(1)
		}
		fmt.Printf("rec%d_kind=%d\nrec%d_value=%d\n", i, r.kind, i, r.value)
	}
}
