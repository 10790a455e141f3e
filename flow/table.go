package flow

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// batch carries packets from the reader to one shard. Payload bytes that
// the shard keeps (content services) are copied into arena first.
type batch struct {
	pkts  []Packet
	arena []byte
	now   int64 // reader clock when sent: the shard's new time
	flush bool  // after the packets, emit every flow (end of input)
}

// arenaCap holds any single payload (IP caps it at 65535 bytes). A batch
// allocates its arena at the first payload it keeps.
const arenaCap = 64 << 10

// Table is the sharded flow table. One goroutine (the reader) calls
// Packet, Advance, Flush and Close; another reads finished connections
// from Out; Stats may be called from any goroutine.
type Table struct {
	cfg     Config
	ctx     context.Context
	dec     *Decoder
	ftp     *ftpRegistry
	content *portSet
	pkt     Packet
	routeFn func(*Packet)

	clock     int64
	seq       uint64
	lastBeat  int64
	heartbeat int64
	in        []chan *batch
	cur       []*batch
	batches   sync.Pool
	recs      *recPool
	outPool   *connPool
	mergeIn   chan shardMsg
	out       chan []Conn
	shardCnt  []shardCounters
	shardWG   sync.WaitGroup
	mergeDone chan struct{}
	closed    bool
	err       error

	ftpExpect atomic.Uint64
	emitted   atomic.Uint64
}

// NewTable starts a flow table: its shard goroutines and the merge
// goroutine. They stop after Close has delivered everything, or at once
// when ctx is cancelled (dropping what is in flight; Out is then closed).
func NewTable(ctx context.Context, cfg Config) (*Table, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	dec, err := NewDecoder(cfg.Decoder)
	if err != nil {
		return nil, err
	}
	n := cfg.Shards
	t := &Table{
		cfg:       cfg,
		ctx:       ctx,
		dec:       dec,
		ftp:       newFTPRegistry(int64(cfg.Timeouts.FTPExpect)),
		content:   newPortSet(cfg.ContentPorts),
		heartbeat: int64(cfg.Heartbeat / time.Nanosecond),
		in:        make([]chan *batch, n),
		cur:       make([]*batch, n),
		recs:      newRecPool(4 * n),
		outPool:   &connPool{ch: make(chan []Conn, 16)},
		mergeIn:   make(chan shardMsg, 4*n),
		out:       make(chan []Conn, 8),
		shardCnt:  make([]shardCounters, n),
		mergeDone: make(chan struct{}),
	}
	t.routeFn = t.route
	bs := cfg.BatchSize
	t.batches.New = func() any {
		return &batch{pkts: make([]Packet, 0, bs)}
	}
	to := cfg.Timeouts
	par := &shardParams{
		timeout: [numClasses]int64{
			classTCPUnanswered: int64(to.TCPAttempt),
			classTCPAnswered:   int64(to.TCPInactive),
			classTCPClosed:     int64(to.TCPLinger),
			classUDPUnanswered: int64(to.UDPInactive),
			classUDPAnswered:   int64(to.UDPInactive),
			classOther:         int64(to.OtherInactive),
		},
		active:     int64(to.Active),
		status:     int64(cfg.StatusInterval),
		maxFlows:   (cfg.MaxFlows + n - 1) / n,
		contentCap: cfg.ContentCap,
		content:    t.content,
		servers:    newPortSet(cfg.ServerPorts),
	}
	if len(cfg.ContentPorts) == 0 {
		par.contentCap = 0
	}
	release := func(b *batch) {
		clear(b.pkts) // drop string references
		b.pkts, b.arena, b.flush = b.pkts[:0], b.arena[:0], false
		t.batches.Put(b)
	}
	for i := range n {
		t.in[i] = make(chan *batch, 4)
		t.cur[i] = t.getBatch()
		s := newShard(i, par, &t.shardCnt[i])
		t.shardWG.Add(1)
		go func() {
			defer t.shardWG.Done()
			s.run(ctx, t.in[i], t.mergeIn, release, t.recs)
		}()
	}
	m := newMerger(n, t.out, t.outPool, 256, func(k int) { t.emitted.Add(uint64(k)) })
	go func() {
		defer close(t.mergeDone)
		m.run(ctx, t.mergeIn, t.recs)
	}()
	return t, nil
}

func (t *Table) getBatch() *batch { return t.batches.Get().(*batch) }

// Out returns the channel of finished connections, in order of Finish time
// (ties broken by End, Start, then the arrival order of the first packet).
// It is closed after Close has delivered everything, or when the context
// is cancelled.
func (t *Table) Out() <-chan []Conn { return t.out }

// Recycle hands a batch received from Out back for reuse. Optional: the
// caller must not use the batch (its Conn values) afterwards.
func (t *Table) Recycle(b []Conn) { t.outPool.put(b) }

// Packet decodes one frame and feeds it to the table: data of link type lt
// captured at ts (Unix ns), packet number num of file ("" when live). data
// is not retained. Times are made non-decreasing: a frame stamped earlier
// than the table's clock is taken as arriving at the clock. Decoding
// problems are counted (Stats), not returned; the error is ErrClosed or
// the context's error.
func (t *Table) Packet(data []byte, lt layers.LinkType, ts int64, file string, num uint64) error {
	if t.closed {
		return ErrClosed
	}
	if t.err != nil {
		return t.err
	}
	t.tick(ts)
	if t.dec.Decode(data, lt, t.clock, file, num, &t.pkt) == Decoded {
		t.route(&t.pkt)
	}
	if t.clock-t.lastBeat >= t.heartbeat {
		t.beat(false)
	}
	return t.err
}

// tick moves the clock to ts (never back) and fires the fragment timers.
func (t *Table) tick(ts int64) {
	if ts > t.clock {
		t.clock = ts
	}
	t.dec.ExpireFragments(t.clock, t.routeFn)
}

// route keys a decoded packet, consults the FTP registry and appends the
// packet to its shard's batch.
func (t *Table) route(p *Packet) {
	if p.Time < t.clock {
		p.Time = t.clock // a failed fragment train reports its first fragment's time
	}
	p.seq = t.seq
	t.seq++
	p.key, p.fromLo = PacketKey(p)
	p.ftpData = false
	keep := false
	if p.Proto == ProtoTCP {
		if len(p.Payload) > 0 && (p.SrcPort == 21) != (p.DstPort == 21) {
			t.ftpExpect.Add(uint64(t.ftp.observe(p)))
		}
		if p.Flags&FlagSYN != 0 {
			p.ftpData = t.ftp.match(p)
		}
		keep = len(p.Payload) > 0 && (t.content.has(p.SrcPort) || t.content.has(p.DstPort))
	}
	s := int(p.key.Hash() % uint64(len(t.cur)))
	b := t.cur[s]
	if keep && len(b.arena)+len(p.Payload) > cap(b.arena) {
		if cap(b.arena) > 0 {
			t.send(s, false)
			b = t.cur[s]
		}
		if cap(b.arena) == 0 {
			b.arena = make([]byte, 0, arenaCap)
		}
	}
	b.pkts = append(b.pkts, *p)
	q := &b.pkts[len(b.pkts)-1]
	q.Payload = nil
	if keep {
		off := len(b.arena)
		b.arena = append(b.arena, p.Payload...)
		q.Payload = b.arena[off:len(b.arena):len(b.arena)]
	}
	if len(b.pkts) == cap(b.pkts) {
		t.send(s, false)
	}
}

// send hands shard s its current batch, stamped with the clock.
func (t *Table) send(s int, flush bool) {
	if t.err != nil {
		return
	}
	b := t.cur[s]
	b.now, b.flush = t.clock, flush
	select {
	case t.in[s] <- b:
		t.cur[s] = t.getBatch()
	case <-t.ctx.Done():
		t.err = t.ctx.Err()
	}
}

// beat sends every shard its batch, empty or not (a heartbeat).
func (t *Table) beat(flush bool) {
	for s := range t.cur {
		t.send(s, flush)
	}
	t.lastBeat = t.clock
}

// Advance moves packet time forward to now (Unix ns) without a packet, as
// the wiring does from the wall clock on a quiet live link: timers due
// before now fire. A time at or before the clock does nothing. Give a
// time slightly behind the wall clock (the capture's buffering delay) so
// that packets still in flight are not stamped later than they were.
func (t *Table) Advance(now int64) error {
	if t.closed {
		return ErrClosed
	}
	if t.err != nil {
		return t.err
	}
	if now > t.clock {
		t.tick(now)
		t.beat(false)
	}
	return t.err
}

// Flush ends every connection at the current clock (Reason Shutdown, or
// Closed for terminated ones), ends the fragment trains and forgets the
// FTP expectations, as at the end of input; the table stays usable (for
// per-file processing) and later packets are stamped after the flush.
// Records are delivered through Out as usual.
func (t *Table) Flush() error {
	if t.closed {
		return ErrClosed
	}
	if t.err != nil {
		return t.err
	}
	t.dec.FlushFragments(t.routeFn)
	t.ftp.reset()
	t.beat(true)
	t.clock++ // what follows sorts after the flushed records
	return t.err
}

// Close flushes the table, stops its goroutines and closes Out after the
// last record was received from it, so it blocks until the consumer has
// drained Out (or the context is cancelled). It returns the context's
// error if that cut the delivery short.
func (t *Table) Close() error {
	if t.closed {
		return ErrClosed
	}
	if t.err == nil {
		t.dec.FlushFragments(t.routeFn)
		t.beat(true)
	}
	t.closed = true
	for _, c := range t.in {
		close(c)
	}
	t.shardWG.Wait()
	close(t.mergeIn)
	<-t.mergeDone
	if t.err != nil {
		return t.err
	}
	return t.ctx.Err()
}

// Stats are the table's counters.
type Stats struct {
	// DecoderStats are the decoding and fragment counters; Frames counts
	// the frames given to Packet.
	DecoderStats
	// FTPExpectations counts data connections announced on FTP control
	// channels; FTPData the connections emitted with FTPData set.
	FTPExpectations, FTPData uint64
	// FlowsCreated counts connections created (ICMP packets included);
	// FlowsActive is the number live now.
	FlowsCreated uint64
	FlowsActive  int64
	// FlowsClosed, FlowsExpired, FlowsEvicted and FlowsShutdown count the
	// connections ended by each Reason.
	FlowsClosed, FlowsExpired, FlowsEvicted, FlowsShutdown uint64
	// ContentDropped counts payload bytes of content connections not kept
	// (over ContentCap, or out-of-order segments with no room).
	ContentDropped uint64
	// Emitted counts the records delivered through Out.
	Emitted uint64
}

// Stats returns a snapshot of the counters; safe from any goroutine.
func (t *Table) Stats() Stats {
	s := Stats{DecoderStats: t.dec.Stats(), FTPExpectations: t.ftpExpect.Load(), Emitted: t.emitted.Load()}
	for i := range t.shardCnt {
		c := &t.shardCnt[i]
		s.FlowsCreated += c.created.Load()
		s.FlowsActive += c.active.Load()
		s.FlowsClosed += c.closed.Load()
		s.FlowsExpired += c.expired.Load()
		s.FlowsEvicted += c.evicted.Load()
		s.FlowsShutdown += c.shutdown.Load()
		s.ContentDropped += c.contentDropped.Load()
		s.FTPData += c.ftpData.Load()
	}
	return s
}
