// Package dataflow solves forward data-flow problems over a function's
// go/cfg graph: the worklist iteration that cgoguard's flow-sensitive
// analyzers share, so each states only its lattice (what a block does,
// how two paths join, when two states are equal).
package dataflow

import "golang.org/x/tools/go/cfg"

// Problem is a forward analysis with states of type S. The zero S must
// stand for "no path reaches here yet", and Meet(zero, s) must equal s.
type Problem[S any] struct {
	Entry    S                          // the state on entry to the first block
	Transfer func(b *cfg.Block, in S) S // the state after b, given the state before it; must not modify in
	Meet     func(a, b S) S             // the state where paths with states a and b join
	Equal    func(a, b S) bool          // whether two states are the same
}

// Forward iterates p over g to a fixed point and returns the state on
// entry to each block that a path from the entry reaches. The iteration
// is bounded (50 visits per block) so that a lattice with an infinite
// ascending chain cannot hang an analysis; a state cut off there is the
// last one computed.
func Forward[S any](g *cfg.CFG, p Problem[S]) map[*cfg.Block]S {
	in := map[*cfg.Block]S{}
	if len(g.Blocks) == 0 {
		return in
	}
	entry := g.Blocks[0]
	in[entry] = p.Entry
	out := map[*cfg.Block]S{}
	work := []*cfg.Block{entry}
	for steps := 0; len(work) > 0 && steps < 50*len(g.Blocks)+50; steps++ {
		blk := work[0]
		work = work[1:]
		s := p.Transfer(blk, in[blk])
		if o, ok := out[blk]; ok && p.Equal(o, s) {
			continue
		}
		out[blk] = s
		for _, succ := range blk.Succs {
			old, seen := in[succ]
			n := p.Meet(old, s)
			if !seen || !p.Equal(n, old) {
				in[succ] = n
				work = append(work, succ)
			}
		}
	}
	return in
}
