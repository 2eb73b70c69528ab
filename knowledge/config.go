package knowledge

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"
)

// Config is a project's own knowledge of its C libraries, read from a JSON
// file (cgoguard.json by default):
//
//	{
//	  "allocators":     {"sqlite3_mprintf": "sqlite3_free", "git_buf_alloc": "git_buf_dispose"},
//	  "deallocators":   {"sqlite3_free": 0, "zmq_msg_close": 0},
//	  "takesOwnership": {"lib_adopt_buffer": [0]},
//	  "blocking":       ["lib_wait_for_event"],
//	  "threadLocal":    ["lib_last_error"],
//	  "locks":          {"lib_mutex_enter": "lock", "lib_mutex_leave": "unlock", "lib_mutex_try": "trylock"},
//	  "threadCreators": {"lib_thread_start": 1}
//	}
//
// locks names functions that take ("lock"), release ("unlock") or try to
// take ("trylock": 0 on success) the lock their first argument points to;
// threadCreators names functions that start a thread running the function
// passed as the given argument.
type Config struct {
	Allocators     map[string]string `json:"allocators"`
	Deallocators   map[string]int    `json:"deallocators"`
	TakesOwnership map[string][]int  `json:"takesOwnership"`
	Blocking       []string          `json:"blocking"`
	ThreadLocal    []string          `json:"threadLocal"`
	Locks          map[string]string `json:"locks"`
	ThreadCreators map[string]int    `json:"threadCreators"`
}

var lockKinds = map[string]LockKind{"lock": Lock, "unlock": Unlock, "trylock": TryLock}

// ParseConfig decodes a config file's bytes; unknown fields are errors so that
// a misspelt key does not silently change nothing.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	for name, d := range c.Allocators {
		if name == "" || d == "" {
			return nil, fmt.Errorf("allocators: empty name in %q: %q", name, d)
		}
	}
	for name, p := range c.Deallocators {
		if p < 0 {
			return nil, fmt.Errorf("deallocators: %s: negative argument index %d", name, p)
		}
	}
	for name, k := range c.Locks {
		if _, ok := lockKinds[k]; !ok {
			return nil, fmt.Errorf("locks: %s: %q is not lock, unlock or trylock", name, k)
		}
	}
	for name, p := range c.ThreadCreators {
		if p < 0 {
			return nil, fmt.Errorf("threadCreators: %s: negative argument index %d", name, p)
		}
	}
	return &c, nil
}

// LoadConfig reads and parses a config file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return c, nil
}

// With returns a new DB holding db's facts plus c's. db is not changed.
func (db *DB) With(c *Config) *DB {
	n := &DB{
		allocators:         maps.Clone(db.allocators),
		deallocators:       maps.Clone(db.deallocators),
		blocking:           maps.Clone(db.blocking),
		threadLocalResults: maps.Clone(db.threadLocalResults),
		takesOwnership:     maps.Clone(db.takesOwnership),
		locks:              maps.Clone(db.locks),
		threadCreators:     maps.Clone(db.threadCreators),
	}
	if c == nil {
		return n
	}
	if n.takesOwnership == nil {
		n.takesOwnership = map[string][]int{}
	}
	for name, d := range c.Allocators {
		n.allocators[name] = Allocator{Name: name, Dealloc: d, SizeArg: -1, CountArg: -1}
		if _, ok := n.deallocators[d]; !ok {
			n.deallocators[d] = Deallocator{Name: d, Param: 0}
		}
	}
	for name, p := range c.Deallocators {
		n.deallocators[name] = Deallocator{Name: name, Param: p}
	}
	for name, ps := range c.TakesOwnership {
		n.takesOwnership[name] = ps
	}
	for _, b := range c.Blocking {
		n.blocking[b] = true
	}
	for _, t := range c.ThreadLocal {
		n.threadLocalResults[t] = true
	}
	if n.locks == nil {
		n.locks = map[string]LockOp{}
	}
	for name, k := range c.Locks {
		n.locks[name] = LockOp{Name: name, Kind: lockKinds[k]}
	}
	if n.threadCreators == nil {
		n.threadCreators = map[string]ThreadCreator{}
	}
	for name, p := range c.ThreadCreators {
		n.threadCreators[name] = ThreadCreator{Name: name, Routine: p, Arg: -1}
	}
	return n
}
