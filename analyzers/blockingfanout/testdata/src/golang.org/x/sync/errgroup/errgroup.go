// Package errgroup is a stand-in with the API of golang.org/x/sync/errgroup.
package errgroup

type Group struct{}

func (g *Group) Go(f func() error) { go f() }
func (g *Group) SetLimit(n int)    {}
func (g *Group) Wait() error       { return nil }
