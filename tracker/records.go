package tracker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// The record file written by the interposer (preload/c/tracker.c); the
// constants and offsets below mirror that file's.
const (
	recMagic       = "CGGTRK1\x00"
	recVersion     = 1
	hdrSize        = 64 * 1024
	typesOff       = 4096
	shardStatsOff  = 32768
	mapsOff        = 40960
	nodeSize       = 64
	errSize        = 128
	stackHdrWords  = 6
	chunkNodes     = 1
	chunkStacks    = 2
	chunkErrs      = 3
	stateLive      = 1
	stateFreed     = 2
	flagOverflow   = 1
	flagStacksFull = 2
	flagErrsFull   = 4
	sfGo           = 1
	sfTrunc        = 2
	sfCallback     = 4
)

// Error kinds, as written by the interposer.
const (
	errDoubleFree     = 1
	errInvalidFree    = 2
	errWriteAfterFree = 3
	errInvalidRealloc = 4
)

// rawStack is one interned call stack: PCs[0] is the C return address of the
// allocator hook, the rest the goroutine's Go return addresses.
type rawStack struct {
	Flags                uint32
	PCs                  []uint64
	AllocObjs, AllocSize uint64
	FreeObjs, FreeSize   uint64
}

type rawNode struct {
	Ptr, Size      uint64
	APC, FPC       uint64
	AStack, FStack uint32
	Epoch          uint32
	State, Kind    uint8
	TID            uint32
}

type rawErr struct {
	Kind, TID               uint32
	Ptr, Size               uint64
	AStack, FStack, F2Stack uint32
	APC, FPC, F2PC          uint64
	Detail                  uint64
}

// records is the decoded content of one process's record file.
type records struct {
	PID        int
	Bias       uint64
	Flags      uint64
	Quarantine uint64
	SampleRate uint64 // 0: every block tracked
	Maps       []mapping
	Nodes      []rawNode
	Errs       []rawErr
	stacks     map[uint32]*rawStack
	words      [][]byte // stack-store chunks in order
	Allocs     uint64
	Frees      uint64
	AllocBytes uint64
	FreeBytes  uint64
}

var le = binary.LittleEndian

// readRecords maps and decodes a record file.
func readRecords(path string) (*records, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < hdrSize {
		return nil, fmt.Errorf("%s: truncated record file (%d bytes)", path, fi.Size())
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	defer syscall.Munmap(data)
	return decodeRecords(data)
}

func decodeRecords(data []byte) (*records, error) {
	if string(data[:8]) != recMagic {
		return nil, errors.New("not a tracker record file (bad magic)")
	}
	if v := le.Uint32(data[8:]); v != recVersion {
		return nil, fmt.Errorf("record file version %d, want %d", v, recVersion)
	}
	chunkSize := uint64(le.Uint32(data[16:]))
	maxChunks := uint64(le.Uint32(data[20:]))
	if le.Uint32(data[12:]) != hdrSize || le.Uint32(data[24:]) != nodeSize || le.Uint32(data[28:]) != errSize {
		return nil, errors.New("record file layout mismatch")
	}
	if le.Uint64(data[104:]) != 1 { // ready
		return nil, errors.New("record file incomplete (the process died during start-up)")
	}
	r := &records{
		PID:        int(le.Uint32(data[32:])),
		Bias:       le.Uint64(data[40:]),
		Flags:      le.Uint64(data[80:]),
		Quarantine: le.Uint64(data[96:]),
		SampleRate: le.Uint64(data[120:]),
		stacks:     map[uint32]*rawStack{},
	}
	if m := data[mapsOff:hdrSize]; len(m) > 0 {
		if i := indexByte(m, 0); i >= 0 {
			m = m[:i]
		}
		r.Maps = parseMaps(string(m))
	}
	nchunks := le.Uint64(data[48:])
	nodesUsed := le.Uint64(data[56:])
	nerrs := le.Uint64(data[72:])
	if nchunks > maxChunks || uint64(len(data)) < hdrSize+nchunks*chunkSize {
		// A chunk announced but not yet sized: the process was killed
		// while growing the file. Keep what is complete.
		have := (uint64(len(data)) - hdrSize) / chunkSize
		if have < nchunks {
			nchunks = have
		}
	}
	nshards := le.Uint32(data[36:])
	for s := uint32(0); s < nshards; s++ {
		o := shardStatsOff + int(s)*64
		r.Allocs += le.Uint64(data[o:])
		r.Frees += le.Uint64(data[o+8:])
		r.AllocBytes += le.Uint64(data[o+16:])
		r.FreeBytes += le.Uint64(data[o+24:])
	}
	var nodeChunks, errChunks [][]byte
	for k := uint64(0); k < nchunks; k++ {
		c := data[hdrSize+k*chunkSize : hdrSize+(k+1)*chunkSize]
		switch data[typesOff+k] {
		case chunkNodes:
			nodeChunks = append(nodeChunks, c)
		case chunkStacks:
			// Copied: the mapping goes away when readRecords returns.
			r.words = append(r.words, append([]byte(nil), c...))
		case chunkErrs:
			errChunks = append(errChunks, c)
		}
	}
	perChunk := chunkSize / nodeSize
	for i := uint64(0); i < nodesUsed; i++ {
		if i/perChunk >= uint64(len(nodeChunks)) {
			break
		}
		b := nodeChunks[i/perChunk][(i%perChunk)*nodeSize:]
		st := b[48]
		if st != stateLive && st != stateFreed {
			continue
		}
		r.Nodes = append(r.Nodes, rawNode{
			Ptr: le.Uint64(b), Size: le.Uint64(b[8:]),
			APC: le.Uint64(b[16:]), FPC: le.Uint64(b[24:]),
			AStack: le.Uint32(b[32:]), FStack: le.Uint32(b[36:]),
			Epoch: le.Uint32(b[44:]),
			State: st, Kind: b[49], TID: le.Uint32(b[52:]),
		})
	}
	perChunk = chunkSize / errSize
	for i := uint64(0); i < nerrs; i++ {
		if i/perChunk >= uint64(len(errChunks)) {
			r.Flags |= flagErrsFull
			break
		}
		b := errChunks[i/perChunk][(i%perChunk)*errSize:]
		kind := le.Uint32(b)
		if kind == 0 {
			continue // being written when the process ended
		}
		r.Errs = append(r.Errs, rawErr{
			Kind: kind, TID: le.Uint32(b[4:]),
			Ptr: le.Uint64(b[8:]), Size: le.Uint64(b[16:]),
			AStack: le.Uint32(b[24:]), FStack: le.Uint32(b[28:]), F2Stack: le.Uint32(b[32:]),
			APC: le.Uint64(b[40:]), FPC: le.Uint64(b[48:]), F2PC: le.Uint64(b[56:]),
			Detail: le.Uint64(b[64:]),
		})
	}
	return r, nil
}

// stack decodes stack id (0 = none) from the stack store.
func (r *records) stack(id uint32) *rawStack {
	if id == 0 {
		return nil
	}
	if s, ok := r.stacks[id]; ok {
		return s
	}
	var s *rawStack
	w := uint64(id - 1)
	if len(r.words) > 0 {
		per := uint64(len(r.words[0])) / 8
		if c := w / per; c < uint64(len(r.words)) {
			b := r.words[c][(w%per)*8:]
			info := le.Uint64(b)
			n := info & 0xffff
			if n > 0 && (w%per)+stackHdrWords+n <= per {
				s = &rawStack{
					Flags:     uint32(info >> 16),
					AllocObjs: le.Uint64(b[16:]), AllocSize: le.Uint64(b[24:]),
					FreeObjs: le.Uint64(b[32:]), FreeSize: le.Uint64(b[40:]),
				}
				for i := uint64(0); i < n; i++ {
					s.PCs = append(s.PCs, le.Uint64(b[(stackHdrWords+i)*8:]))
				}
			}
		}
	}
	r.stacks[id] = s
	return s
}

// allStacks returns every interned stack with its id, in store order.
func (r *records) allStacks() map[uint32]*rawStack {
	out := map[uint32]*rawStack{}
	if len(r.words) == 0 {
		return out
	}
	per := uint64(len(r.words[0])) / 8
	for c, chunk := range r.words {
		for w := uint64(0); w < per; {
			info := le.Uint64(chunk[w*8:])
			n := info & 0xffff
			if info == 0 || n == 0 {
				break // rest of this chunk unused
			}
			id := uint32(uint64(c)*per + w + 1)
			if s := r.stack(id); s != nil {
				out[id] = s
			}
			w += stackHdrWords + n
		}
	}
	return out
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
