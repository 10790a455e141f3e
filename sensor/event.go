package sensor

import (
	"time"

	"github.com/cnids/cnids/alert"
	"github.com/cnids/cnids/flow"
	"github.com/cnids/cnids/model"
)

// eveState maps a connection state to EVE's flow.state: terminated
// connections are closed, connections that saw both sides established,
// and one-sided ones new.
func eveState(c *flow.Conn) alert.FlowState {
	switch c.State {
	case flow.SF, flow.REJ, flow.RSTO, flow.RSTR, flow.RSTOS0, flow.SH, flow.RSTRH, flow.SHR:
		if c.Proto == flow.ProtoTCP {
			return alert.StateClosed
		}
	case flow.S1, flow.S2, flow.S3:
		return alert.StateEstablished
	}
	if c.OrigPkts > 0 && c.RespPkts > 0 {
		return alert.StateEstablished
	}
	return alert.StateNew
}

func eveReason(r flow.Reason) alert.FlowReason {
	switch r {
	case flow.Closed:
		return alert.ReasonClosed
	case flow.Timeout:
		return alert.ReasonTimeout
	case flow.Shutdown:
		return alert.ReasonShutdown
	case flow.Evicted:
		return alert.ReasonEvicted
	}
	return 0
}

// event fills ev from a classified connection; probs and feats are the
// event's preallocated storage (feats is used only with Config.Features).
func (p *Pipeline) event(f *family, ev *alert.Event, it *item, v *model.Verdict, probs []alert.ClassProb, feats []alert.FeatureValue) {
	c := &it.conn
	start, end := time.Unix(0, c.Start).UTC(), time.Unix(0, c.End).UTC()
	*ev = alert.Event{
		Time:     end,
		Type:     alert.TypeFlow,
		SrcIP:    c.OrigAddr,
		DestIP:   c.RespAddr,
		SrcPort:  c.OrigPort,
		DestPort: c.RespPort,
		Proto:    c.Proto,
		ICMPType: c.ICMPType,
		ICMPCode: c.ICMPCode,
		AppProto: it.appProto,
		InIface:  p.cfg.Interface,
		Flow: alert.Flow{
			Start: start, End: end,
			PktsToServer: c.OrigPkts, PktsToClient: c.RespPkts,
			BytesToServer: c.OrigIPBytes, BytesToClient: c.RespIPBytes,
			State:  eveState(c),
			Reason: eveReason(c.Reason),
		},
		KDD:    alert.KDD{Flag: c.State.String()},
		Source: alert.Source{File: c.File, FirstPacket: c.FirstPacket, LastPacket: c.LastPacket},
	}
	if c.LastFile != c.File {
		ev.Source.LastFile = c.LastFile
	}
	for _, id := range c.VLAN {
		if id != 0 && ev.VLAN.N < uint8(len(ev.VLAN.IDs)) {
			ev.VLAN.IDs[ev.VLAN.N] = id
			ev.VLAN.N++
		}
	}
	ev.FlowID = alert.FlowID(c.OrigAddr, c.RespAddr, c.Proto, c.OrigPort, c.RespPort, start)
	ev.SetCommunityID(0)
	for i, pr := range v.Probs {
		probs[i] = alert.ClassProb{Class: f.classes[i], P: float64(pr)}
	}
	ev.Alert = alert.Alert{Score: float64(v.Score), Probabilities: probs, Model: f.ModelName, Family: f.fam}
	if v.Alert {
		ev.Type = alert.TypeAlert
		ev.Alert.Signature = f.sigs[v.Top]
	}
	if p.cfg.Features {
		for j, sym := range f.symbolic {
			if sym {
				feats[j] = alert.Text(it.row.Symbols[j])
			} else {
				feats[j] = alert.Num(it.row.Values[j])
			}
		}
		ev.KDD.Features = feats
	}
}
