// Package cgate is a stand-in with the API of cgoguard's safe/cgate.
package cgate

import "context"

type Gate struct{}

func New(limit int) *Gate                              { return &Gate{} }
func (g *Gate) Do(ctx context.Context, f func()) error { f(); return nil }
func (g *Gate) Enter(ctx context.Context) error        { return nil }
func (g *Gate) Leave()                                 {}
