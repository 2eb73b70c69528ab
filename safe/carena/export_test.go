package carena

// newChecked returns an arena in checked mode whatever the build tags, so the
// default test run covers the checked code paths too.
func newChecked() *Arena {
	a := &Arena{chunk: DefaultChunkSize, checked: true}
	a.created = callers()
	return a
}

func (a *Arena) isChecked() bool { return a.checked }
