package tracker

// ProfileData is the C-heap profile of one run: allocation and in-use counts
// per allocation stack.
type ProfileData struct {
	Samples []ProfileSample
}

// ProfileSample is one allocation stack's counts.
type ProfileSample struct {
	Stack                 *Stack
	AllocObjs, AllocBytes int64
	InuseObjs, InuseBytes int64
}

func (b *builder) profileData() *ProfileData {
	inuse := map[uint32][2]int64{}
	for _, n := range b.rec.Nodes {
		if n.State == stateLive && n.AStack != 0 {
			c := inuse[n.AStack]
			inuse[n.AStack] = [2]int64{c[0] + 1, c[1] + int64(n.Size)}
		}
	}
	pd := &ProfileData{}
	for id, raw := range b.rec.allStacks() {
		if raw.AllocObjs == 0 {
			continue
		}
		st := b.stack(id, 0)
		if st == nil {
			continue
		}
		c := inuse[id]
		pd.Samples = append(pd.Samples, ProfileSample{Stack: st, AllocObjs: int64(raw.AllocObjs), AllocBytes: int64(raw.AllocSize), InuseObjs: c[0], InuseBytes: c[1]})
	}
	return pd
}
