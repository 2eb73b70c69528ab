// Package limited serves HTTP through a LimitListener: its handlers are bounded.
package limited

/*
#include <unistd.h>
static void nap(void) { usleep(1000); }
*/
import "C"

import (
	"net"
	"net/http"

	"golang.org/x/net/netutil"
)

func serve(l net.Listener) error {
	return http.Serve(netutil.LimitListener(l, 64), http.HandlerFunc(handle))
}

func handle(w http.ResponseWriter, r *http.Request) { // want handle:"blocksInC"
	C.nap()
}
