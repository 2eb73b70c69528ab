package tracker

import (
	"path/filepath"
	"testing"
)

// BenchmarkReport measures what cgoguard run does after the program ends:
// decode a record file and build the report (group 20,000 leaked blocks by
// site, symbolize the stacks, apply the suppressions). The record file is
// made once, by a real run of the "sampled" scenario with every block
// tracked (220,000 allocations, 20,000 still allocated at exit).
//
//	go test -run '^$' -bench Report ./tracker
func BenchmarkReport(b *testing.B) {
	prog := program(b, "prog")
	dir := b.TempDir()
	res, err := Run(b.Context(), prog, []string{"sampled"}, Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "trk.*"))
	if len(files) != 1 || len(res.Reports) != 1 || len(res.Reports[0].Findings) != 1 {
		b.Fatalf("want one record file and one leak site, got %d files, %+v", len(files), res.Reports)
	}
	sym, err := NewSymbolizer(prog)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rec, err := readRecords(files[0])
		if err != nil {
			b.Fatal(err)
		}
		bl := &builder{sym: sym, rec: rec, memo: map[uint32]*Stack{}}
		bl.libs.maps = libraryMaps(rec.Maps, prog)
		rep := bl.report(prog, DefaultSuppressions, false)
		if len(rep.Findings) != 1 || rep.Findings[0].Blocks != 20000 {
			b.Fatalf("report: %+v", rep.Findings)
		}
	}
}

// BenchmarkSymbolizer measures loading a binary's DWARF line tables and
// symbols, which every run and every VerifyNone process pays once.
func BenchmarkSymbolizer(b *testing.B) {
	prog := program(b, "prog")
	for b.Loop() {
		if _, err := NewSymbolizer(prog); err != nil {
			b.Fatal(err)
		}
	}
}
