// Package netutil is a stand-in with the API of golang.org/x/net/netutil.
package netutil

import "net"

func LimitListener(l net.Listener, n int) net.Listener { return l }
