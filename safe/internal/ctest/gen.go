package ctest

// zmirror_linux_amd64.go is generated from godefs_input.go by cgo itself: a
// plain Go struct with the C layout, for code that must hold a C struct in Go
// memory without cgo. The layout package's tests check it against the cgo type
// and that it is up to date. It is per platform, like the C ABI it mirrors.
//go:generate sh -c "go tool cgo -godefs godefs_input.go | gofmt > zmirror_linux_amd64.go && rm -rf _obj _cgo_*.o"
