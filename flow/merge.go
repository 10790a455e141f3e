package flow

import (
	"context"
	"math"
)

// shardMsg carries a shard's finished connections and its watermark: no
// record the shard emits later has a Finish time below wm.
type shardMsg struct {
	shard int
	recs  []rec
	wm    int64
}

// recPool recycles record slices between the shards and the merger.
type recPool struct{ ch chan []rec }

func newRecPool(n int) *recPool { return &recPool{ch: make(chan []rec, n)} }

func (p *recPool) get() []rec {
	select {
	case s := <-p.ch:
		return s
	default:
		return make([]rec, 0, 512) // a packet batch (256) closes at most about as many connections
	}
}

func (p *recPool) put(s []rec) {
	clear(s) // drop references to content and strings
	select {
	case p.ch <- s[:0]:
	default:
	}
}

// connPool recycles the output batches the consumer hands back.
type connPool struct{ ch chan []Conn }

func (p *connPool) get(n int) []Conn {
	select {
	case s := <-p.ch:
		return s
	default:
		return make([]Conn, 0, n)
	}
}

func (p *connPool) put(s []Conn) {
	if cap(s) == 0 {
		return
	}
	clear(s[:cap(s)])
	select {
	case p.ch <- s[:0]:
	default:
	}
}

// merger orders the shards' records by (Finish, End, Start, arrival index
// of the first packet) and releases those below every shard's watermark.
type merger struct {
	wm       []int64
	slab     []rec
	free     []int32
	heap     []int32 // min-heap of slab indices
	out      chan<- []Conn
	outPool  *connPool
	batch    int
	released func(n int)
}

func newMerger(shards int, out chan<- []Conn, outPool *connPool, batch int, released func(int)) *merger {
	m := &merger{wm: make([]int64, shards), out: out, outPool: outPool, batch: batch, released: released}
	for i := range m.wm {
		m.wm[i] = math.MinInt64
	}
	return m
}

// run merges until in is closed (then releases everything) or ctx is done.
func (m *merger) run(ctx context.Context, in <-chan shardMsg, pool *recPool) {
	defer close(m.out)
	for {
		var msg shardMsg
		var ok bool
		select {
		case msg, ok = <-in:
		case <-ctx.Done():
			return
		}
		if !ok {
			m.release(ctx, math.MaxInt64, true)
			return
		}
		for i := range msg.recs {
			m.push(&msg.recs[i])
		}
		pool.put(msg.recs)
		if msg.wm > m.wm[msg.shard] {
			m.wm[msg.shard] = msg.wm
		}
		low := m.wm[0]
		for _, w := range m.wm[1:] {
			low = min(low, w)
		}
		if !m.release(ctx, low, false) {
			return
		}
	}
}

// release sends, in order, every record with Finish below wm (all of them
// when all is set). It reports false when ctx was cancelled.
func (m *merger) release(ctx context.Context, wm int64, all bool) bool {
	var cur []Conn
	for len(m.heap) > 0 {
		top := m.heap[0]
		if !all && m.slab[top].c.Finish >= wm {
			break
		}
		if cur == nil {
			cur = m.outPool.get(m.batch)
		}
		cur = append(cur, m.slab[top].c)
		m.pop()
		m.slab[top] = rec{}
		m.free = append(m.free, top)
		if len(cur) == m.batch {
			if !m.send(ctx, cur) {
				return false
			}
			cur = nil
		}
	}
	if len(m.heap) == 0 && cap(m.slab) > 1<<16 {
		// A large burst is over: give its memory back.
		m.slab, m.free, m.heap = nil, nil, nil
	}
	if len(cur) > 0 {
		return m.send(ctx, cur)
	}
	return true
}

func (m *merger) send(ctx context.Context, b []Conn) bool {
	select {
	case m.out <- b:
		m.released(len(b))
		return true
	case <-ctx.Done():
		return false
	}
}

func (m *merger) less(a, b int32) bool {
	x, y := &m.slab[a], &m.slab[b]
	switch {
	case x.c.Finish != y.c.Finish:
		return x.c.Finish < y.c.Finish
	case x.c.End != y.c.End:
		return x.c.End < y.c.End
	case x.c.Start != y.c.Start:
		return x.c.Start < y.c.Start
	}
	return x.seq < y.seq
}

func (m *merger) push(r *rec) {
	var i int32
	if n := len(m.free); n > 0 {
		i = m.free[n-1]
		m.free = m.free[:n-1]
		m.slab[i] = *r
	} else {
		m.slab = append(m.slab, *r)
		i = int32(len(m.slab) - 1)
	}
	m.heap = append(m.heap, i)
	for j := len(m.heap) - 1; j > 0; {
		parent := (j - 1) / 2
		if !m.less(m.heap[j], m.heap[parent]) {
			break
		}
		m.heap[j], m.heap[parent] = m.heap[parent], m.heap[j]
		j = parent
	}
}

func (m *merger) pop() {
	n := len(m.heap) - 1
	m.heap[0] = m.heap[n]
	m.heap = m.heap[:n]
	for j := 0; ; {
		l, r, small := 2*j+1, 2*j+2, j
		if l < n && m.less(m.heap[l], m.heap[small]) {
			small = l
		}
		if r < n && m.less(m.heap[r], m.heap[small]) {
			small = r
		}
		if small == j {
			return
		}
		m.heap[j], m.heap[small] = m.heap[small], m.heap[j]
		j = small
	}
}
