// Command fieldaccess must NOT compile: it shows that cgo drops the misaligned
// fields of packed C structs from the Go type (cmd/cgo/gcc.go, "Drop misaligned
// fields"), so C.packet_t has no id or len and C.hdr_t has no stamp.
package main

/*
#include <stdint.h>
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
*/
import "C"

import "fmt"

func main() {
	var p C.packet_t
	var h C.hdr_t
	fmt.Println(p.flag, h.tag, h.ver) // these compile: the fields are aligned
	fmt.Println(p.id, p.len, h.stamp)
}
