package nodes

import (
	"errors"
	"fmt"
	"maps"
)

// GuestSnapshotter is a guest whose state can be copied between callbacks
// and put into another instance of its module (a Wasm guest:
// wasmhost.Instance.Snapshot and Restore). The image is opaque here.
type GuestSnapshotter interface {
	SnapshotGuest() (any, error)
	RestoreGuest(img any) error
}

// Image is a node's state at a snapshot (Node.Snapshot): its lifecycle,
// clocks, timers and quota counters, its guest's image and its store's
// contents.
type Image struct {
	state       State
	incarnation int
	crashReason string
	skew        int64
	driftPPM    int64
	nextTimer   int64
	timers      map[int64]struct{}
	wakeGen     uint64
	instantAt   int64
	instantN    int
	second      int64
	secondN     int
	peakN       int
	logBytes    int64
	guest       any // the guest's image; nil for a node without a running guest
	store       *storeImage
}

// storeImage is a store's operations, durable and buffered.
type storeImage struct {
	pend, buf                   map[string]bufOp
	pendBytes, buffered, synced int64
}

// Snapshot copies the node's state. A guest that cannot be copied, and a
// store whose contents have reached Badger, are refused with the node's
// name and the reason.
func (n *Node) Snapshot() (*Image, error) {
	img := &Image{state: n.state, incarnation: n.incarnation, crashReason: n.crashReason, skew: n.skew,
		driftPPM: n.driftPPM, nextTimer: n.nextTimer, timers: maps.Clone(n.timers), wakeGen: n.wakeGen,
		instantAt: n.instantAt, instantN: n.instantN, second: n.second, secondN: n.secondN, peakN: n.peakN,
		logBytes: n.logBytes}
	if n.guest != nil && n.state == Running {
		g, ok := n.guest.(GuestSnapshotter)
		if !ok {
			return nil, fmt.Errorf("node %s: its guest (%T) cannot be snapshotted", n.Name, n.guest)
		}
		gi, err := g.SnapshotGuest()
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		img.guest = gi
	}
	if n.store != nil {
		si, err := n.store.snapshot()
		if err != nil {
			return nil, fmt.Errorf("node %s's store: %w", n.Name, err)
		}
		img.store = si
	}
	return img, nil
}

// Restore puts img into the node, a node of the same spec in another
// simulation of the same scenario: a running guest is restored into the
// node's instance (which must be one of the same module, running), a
// node down in img has its instance closed.
func (n *Node) Restore(img *Image) error {
	if img.guest != nil {
		g, ok := n.guest.(GuestSnapshotter)
		if !ok || n.state != Running {
			return fmt.Errorf("node %s: its guest runs in the snapshot but not here (%s): restore into a simulation whose nodes have booted", n.Name, n.state)
		}
		if err := g.RestoreGuest(img.guest); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	} else if n.guest != nil {
		n.guest.Close()
		n.guest = nil
	}
	if (img.store == nil) != (n.store == nil) {
		return fmt.Errorf("node %s: a store in one simulation and not the other", n.Name)
	}
	if img.store != nil {
		if err := n.store.restore(img.store); err != nil {
			return fmt.Errorf("node %s's store: %w", n.Name, err)
		}
	}
	n.state, n.incarnation, n.crashReason, n.skew, n.driftPPM = img.state, img.incarnation, img.crashReason, img.skew, img.driftPPM
	n.nextTimer, n.timers, n.wakeGen = img.nextTimer, maps.Clone(img.timers), img.wakeGen
	n.instantAt, n.instantN, n.second, n.secondN, n.peakN, n.logBytes = img.instantAt, img.instantN, img.second, img.secondN, img.peakN, img.logBytes
	return nil
}

// errInBadger refuses a store with contents in Badger.
var errInBadger = errors.New("its contents have reached Badger, and a snapshot copies only a store held in memory")

// snapshot copies the store's operations; values are never changed in
// place (a put stores a fresh copy), so the maps are copied, not them.
func (s *Store) snapshot() (*storeImage, error) {
	if s.onDisk || s.shared != nil {
		return nil, errInBadger
	}
	return &storeImage{pend: maps.Clone(s.pend), buf: maps.Clone(s.buf), pendBytes: s.pendBytes, buffered: s.buffered, synced: s.synced}, nil
}

// restore replaces the store's operations with img's.
func (s *Store) restore(img *storeImage) error {
	if s.onDisk || s.shared != nil {
		return errInBadger
	}
	s.endRead()
	s.pend, s.buf = maps.Clone(img.pend), maps.Clone(img.buf)
	s.pendBytes, s.buffered, s.synced = img.pendBytes, img.buffered, img.synced
	return nil
}
