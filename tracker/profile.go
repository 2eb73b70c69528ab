package tracker

import (
	"io"
	"math"

	"github.com/google/pprof/profile"
)

// ProfileData is the C-heap profile of one run: allocation counts per
// allocation stack over the whole run, and what was still allocated at exit.
type ProfileData struct {
	Samples []ProfileSample
	// SampleRate is the run's Options.SampleRate: when positive, Samples
	// hold the sampled blocks' counts and Profile scales them up.
	SampleRate int64
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
	pd := &ProfileData{SampleRate: int64(b.rec.SampleRate)}
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

// Profile converts the data to a pprof profile with the sample types of Go's
// heap profile (alloc_objects, alloc_space, inuse_objects, inuse_space), so
// "go tool pprof" reads it like a heap profile of the C heap. Each stack's
// leaf is the C entry point the Go code called (e.g. C.CString).
func (pd *ProfileData) Profile() *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"},
			{Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"},
			{Type: "inuse_space", Unit: "bytes"},
		},
		DefaultSampleType: "inuse_space",
		PeriodType:        &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:            max(pd.SampleRate, 1),
	}
	funcs := map[string]*profile.Function{}
	locs := map[string]*profile.Location{}
	fn := func(name, file string) *profile.Function {
		k := name + "\x00" + file
		if f, ok := funcs[k]; ok {
			return f
		}
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, Filename: file}
		p.Function = append(p.Function, f)
		funcs[k] = f
		return f
	}
	loc := func(key string, lines []profile.Line, addr uint64) *profile.Location {
		if l, ok := locs[key]; ok {
			return l
		}
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Address: addr, Line: lines}
		p.Location = append(p.Location, l)
		locs[key] = l
		return l
	}
	for _, s := range pd.Samples {
		var stack []*profile.Location
		if s.Stack.Via != "" {
			stack = append(stack, loc("via:"+s.Stack.Via, []profile.Line{{Function: fn(s.Stack.Via, "")}}, 0))
		}
		// Frames inlined at one PC share a location, innermost first.
		for i := 0; i < len(s.Stack.Go); {
			j := i
			var lines []profile.Line
			for ; j < len(s.Stack.Go); j++ {
				f := s.Stack.Go[j]
				lines = append(lines, profile.Line{Function: fn(f.Func, f.File), Line: int64(f.Line)})
				if !f.Inlined {
					j++
					break
				}
			}
			f := s.Stack.Go[i]
			stack = append(stack, loc(stackKey(&Stack{Go: s.Stack.Go[i:j]}), lines, f.PC))
			i = j
		}
		ao, ab := scale(s.AllocObjs, s.AllocBytes, pd.SampleRate)
		io, ib := scale(s.InuseObjs, s.InuseBytes, pd.SampleRate)
		p.Sample = append(p.Sample, &profile.Sample{
			Location: stack,
			Value:    []int64{ao, ab, io, ib},
		})
	}
	return p
}

// scale estimates the true counts behind sampled ones. A block of size s
// is sampled with probability 1-exp(-s/rate) (exponential gaps between
// sampled bytes), so each sampled block stands for 1/(1-exp(-s/rate))
// blocks; the mean size of the site stands in for s, as in the Go
// runtime's heap profile.
func scale(objs, bytes, rate int64) (int64, int64) {
	if rate <= 1 || objs == 0 || bytes == 0 {
		return objs, bytes
	}
	avg := float64(bytes) / float64(objs)
	f := 1 / (1 - math.Exp(-avg/float64(rate)))
	return int64(float64(objs) * f), int64(float64(bytes) * f)
}

// WritePprof writes the profile in pprof's gzipped protobuf format.
func (pd *ProfileData) WritePprof(w io.Writer) error {
	return pd.Profile().Write(w)
}
