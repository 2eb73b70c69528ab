// Command bad lays hand-written Go mirror structs over C memory. The C structs
// are packed, #pragma pack(2) and over-aligned, so Go's natural alignment puts
// the mirror's fields at other offsets than C's and every read after the first
// misplaced field returns bytes of a neighbouring field.
package main

/*
#include <stdint.h>
#include <string.h>

// A wire packet: no padding, id at offset 1, len at 5, 7 bytes a packet.
typedef struct __attribute__((packed)) {
	uint8_t  flag;
	uint32_t id;
	uint16_t len;
} packet_t;

// A header compiled under #pragma pack(2): stamp at offset 2, 12 bytes.
#pragma pack(push, 2)
typedef struct {
	uint16_t tag;
	uint64_t stamp;
	uint8_t  ver;
} hdr_t;
#pragma pack(pop)

// A record whose value is over-aligned to 8: value at offset 8, 16 bytes.
typedef struct {
	uint8_t  kind;
	uint32_t value __attribute__((aligned(8)));
} rec_t;

// Receive buffers as a C library would fill them; zeroed beyond the data so
// that a mirror reading too far reads zeros, not whatever follows in memory.
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
static void *records(void) { return recs; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Packet mirrors packet_t the way it looks in C source; Go aligns ID to 4.
type Packet struct {
	Flag uint8
	ID   uint32
	Len  uint16
}

// Hdr mirrors hdr_t; Go aligns Stamp to 8.
type Hdr struct {
	Tag   uint16
	Stamp uint64
	Ver   uint8
}

// Rec mirrors rec_t but misses the aligned(8) attribute.
type Rec struct {
	Kind  uint8
	Value uint32
}

func main() {
	C.fill()
	pk := (*[2]Packet)(C.packets()) // trap: Go mirror of a packed C struct: ID at offset 4 instead of 1, stride 12 instead of 7
	h := (*Hdr)(C.header())
	r := (*[2]Rec)(C.records())
	for i, p := range pk {
		fmt.Printf("pkt%d_flag=%d\npkt%d_id=%d\npkt%d_len=%d\n", i, p.Flag, i, p.ID, i, p.Len)
	}
	fmt.Printf("hdr_tag=%d\nhdr_stamp=%d\nhdr_ver=%d\n", h.Tag, h.Stamp, h.Ver)
	for i, x := range r {
		fmt.Printf("rec%d_kind=%d\nrec%d_value=%d\n", i, x.Kind, i, x.Value)
	}
	fmt.Printf("go_sizeof_packet=%d\nc_sizeof_packet=%d\n", unsafe.Sizeof(Packet{}), C.sizeof_packet_t)
	fmt.Printf("go_sizeof_hdr=%d\nc_sizeof_hdr=%d\n", unsafe.Sizeof(Hdr{}), C.sizeof_hdr_t)
	fmt.Printf("go_sizeof_rec=%d\nc_sizeof_rec=%d\n", unsafe.Sizeof(Rec{}), C.sizeof_rec_t)
}
