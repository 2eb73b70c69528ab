package knowledge

import "testing"

func TestLocksAndThreads(t *testing.T) {
	if op, ok := Base.LockFunc("pthread_mutex_trylock"); !ok || op.Kind != TryLock || op.Param != 0 {
		t.Errorf("pthread_mutex_trylock: %+v %v", op, ok)
	}
	if _, ok := Base.LockFunc("pthread_cond_wait"); ok {
		t.Error("pthread_cond_wait releases and takes back its mutex: not a lock function")
	}
	if tc, ok := Base.ThreadCreator("pthread_create"); !ok || tc.Routine != 2 || tc.Arg != 3 || tc.Join != "pthread_join" {
		t.Errorf("pthread_create: %+v %v", tc, ok)
	}
	c, err := ParseConfig([]byte(`{"locks": {"lib_enter": "lock", "lib_leave": "unlock", "lib_try": "trylock"}, "threadCreators": {"lib_spawn": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	db := Base.With(c)
	for name, want := range map[string]LockKind{"lib_enter": Lock, "lib_leave": Unlock, "lib_try": TryLock, "pthread_mutex_lock": Lock} {
		if op, ok := db.LockFunc(name); !ok || op.Kind != want {
			t.Errorf("%s: %+v %v, want kind %d", name, op, ok, want)
		}
	}
	if tc, ok := db.ThreadCreator("lib_spawn"); !ok || tc.Routine != 1 || tc.Arg != -1 {
		t.Errorf("lib_spawn: %+v %v", tc, ok)
	}
	if _, ok := Base.LockFunc("lib_enter"); ok {
		t.Error("With changed Base")
	}
	for _, bad := range []string{`{"locks": {"f": "acquire"}}`, `{"threadCreators": {"f": -1}}`} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
