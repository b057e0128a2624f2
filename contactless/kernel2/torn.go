package kernel2

import (
	"bytes"
	"errors"
	"sync"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
)

// TornRecord is one record of the torn transaction log (Book C-2, torn
// transaction recovery): the card it belongs to (PAN and PAN Sequence
// Number as the card gave them), when the transaction was torn, and the
// kernel's data of the torn transaction, the value of a Torn Record
// (FF8101): primitive BER-TLV data objects.
type TornRecord struct {
	Time     time.Time
	PAN, PSN []byte
	Data     []byte
}

// A TornLog is the terminal's torn transaction log. The kernel reads all
// of it and writes it back whole, once or twice per activation, oldest
// record first; records are never changed in place. A log shared by
// several readers must serialise their activations for the same card.
// [MemoryTornLog] keeps it in memory.
type TornLog interface {
	// Records returns the log's records, oldest first. The kernel does not
	// change them.
	Records() []TornRecord
	// Replace makes records the log's content.
	Replace(records []TornRecord)
}

// MemoryTornLog is a [TornLog] in memory, safe for concurrent use. The
// zero value is an empty log.
type MemoryTornLog struct {
	mu   sync.Mutex
	recs []TornRecord
}

// Records returns a copy of the records.
func (l *MemoryTornLog) Records() []TornRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]TornRecord(nil), l.recs...)
}

// Replace sets the records (the slice is copied).
func (l *MemoryTornLog) Replace(records []TornRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs[:0:0], records...)
}

// Torn Record data objects (Book C-2 Annex A).
const (
	tagCDOL1RelatedData  tlv.Tag = 0xDF8107
	tagPDOLRelatedData   tlv.Tag = 0xDF8111
	tagDRDOLRelatedData  tlv.Tag = 0xDF8113
	tagReferenceControlP tlv.Tag = 0xDF8114
	tagDRDOL             tlv.Tag = 0x9F51
)

// insRecoverAC is RECOVER AC (Book C-2: CLA 80, INS D0, P1 P2 00 00, the
// DRDOL related data).
const insRecoverAC = 0xD0

// tornLog is the kernel's log when it keeps one: a log in the Config and a
// Max Number of Torn Transaction Log Records (DF811D) above zero.
func (s *transactionState) tornLog() TornLog {
	if s.k.cfg.TornLog == nil || s.cfg.MaxNumberOfTornTransactionLogRec == 0 {
		return nil
	}
	return s.k.cfg.TornLog
}

// cleanTornLog removes the records older than the Max Lifetime of Torn
// Transaction Log Record (DF811C) at activation (Book C-2 State 1), each
// handed to [Config.TornRecordLost] for the terminal to clear or reverse.
func (s *transactionState) cleanTornLog() {
	l := s.tornLog()
	if l == nil {
		return
	}
	recs := l.Records()
	limit := s.a.Time().Add(-time.Duration(s.cfg.MaxLifetimeOfTornTransactionLog) * time.Second)
	keep := recs[:0:0]
	for _, r := range recs {
		if r.Time.Before(limit) {
			s.tornLost(r)
			continue
		}
		keep = append(keep, r)
	}
	if len(keep) != len(recs) {
		l.Replace(keep)
	}
}

// findTornRecord looks, before GENERATE AC (Book C-2 S456.45 to S456.48),
// for a record of this card: same PAN, same PAN Sequence Number (both
// absent counts as the same). Only a card with a DRDOL (9F51) can recover.
func (s *transactionState) findTornRecord() (TornRecord, bool) {
	l := s.tornLog()
	if l == nil {
		return TornRecord{}, false
	}
	if _, ok := s.card.get(tagDRDOL); !ok {
		return TornRecord{}, false
	}
	pan, psn := s.card.value(0x5A), s.card.value(0x5F34)
	recs := l.Records()
	for i := len(recs) - 1; i >= 0; i-- {
		if bytes.Equal(recs[i].PAN, pan) && bytes.Equal(recs[i].PSN, psn) {
			return recs[i], true
		}
	}
	return TornRecord{}, false
}

// tornLost hands a record that leaves the log unrecovered to the terminal.
func (s *transactionState) tornLost(r TornRecord) {
	if f := s.k.cfg.TornRecordLost; f != nil {
		f(r)
	}
}

// removeTornRecord takes the record of this card out of the log.
func (s *transactionState) removeTornRecord(r TornRecord) {
	l := s.tornLog()
	if l == nil {
		return
	}
	recs := l.Records()
	keep := recs[:0:0]
	for _, x := range recs {
		if !(x.Time.Equal(r.Time) && bytes.Equal(x.PAN, r.PAN) && bytes.Equal(x.PSN, r.PSN) && bytes.Equal(x.Data, r.Data)) {
			keep = append(keep, x)
		}
	}
	l.Replace(keep)
}

// tornState is what a Torn Record keeps of the torn transaction: enough
// to verify and report the cryptogram RECOVER AC gives back.
type tornState struct {
	drdolData, pdolData, cdolData, cdol1 []byte
	un                                   [4]byte
	tvr                                  [5]byte
	cvmRes, caps                         [3]byte
	rcp                                  byte
	rrp                                  relayResistance
}

// errTornRecord reports a Torn Record the kernel cannot use.
var errTornRecord = errors.New("kernel2: torn record unusable")

// tornRecordData encodes the torn transaction as a Torn Record value.
func (s *transactionState) tornRecordData(drdolData []byte) []byte {
	b := make([]byte, 0, 256)
	for _, t := range [...]tlv.Tag{0x5A, 0x5F34} {
		if v, ok := s.card.get(t); ok {
			b = tlv.AppendTLV(b, t, v)
		}
	}
	for _, t := range [...]tlv.Tag{0x9F02, 0x9F03, 0x9A, 0x9F21, 0x9C} {
		if v, ok := s.terminal(t); ok {
			b = tlv.AppendTLV(b, t, v)
		}
	}
	b = tlv.AppendTLV(b, 0x9F37, s.un[:])
	b = tlv.AppendTLV(b, 0x95, s.tvr[:])
	b = tlv.AppendTLV(b, 0x9F34, s.cvmRes[:])
	b = tlv.AppendTLV(b, 0x9F33, s.caps[:])
	b = tlv.AppendTLV(b, tagReferenceControlP, []byte{s.genACP1})
	b = tlv.AppendTLV(b, tagPDOLRelatedData, s.pdolData)
	b = tlv.AppendTLV(b, 0x8C, s.card.value(0x8C))
	b = tlv.AppendTLV(b, tagCDOL1RelatedData, s.cdolData)
	b = tlv.AppendTLV(b, tagDRDOLRelatedData, drdolData)
	if r := &s.rrp; r.performed {
		b = tlv.AppendTLV(b, tagTerminalRREntropy, r.terminalEntropy[:])
		b = tlv.AppendTLV(b, tagDeviceRREntropy, r.deviceEntropy[:])
		b = tlv.AppendTLV(b, tagMinTimeRRAPDU, []byte{byte(r.minTime >> 8), byte(r.minTime)})
		b = tlv.AppendTLV(b, tagMaxTimeRRAPDU, []byte{byte(r.maxTime >> 8), byte(r.maxTime)})
		b = tlv.AppendTLV(b, tagDeviceEstimatedRR, []byte{byte(r.estimated >> 8), byte(r.estimated)})
	}
	return b
}

// parseTornRecord reads a Torn Record value back; anything missing, of the
// wrong length or malformed makes the record unusable.
func parseTornRecord(b []byte) (tornState, error) {
	var t tornState
	var n int
	it := tlv.NewStrictIter(b)
	rr := 0
	for it.Next() {
		v := it.Value()
		fixed := func(dst []byte) {
			if len(v) == len(dst) {
				copy(dst, v)
				n++
			}
		}
		u16 := func(dst *uint16) {
			if len(v) == 2 {
				*dst = uint16(v[0])<<8 | uint16(v[1])
				rr++
			}
		}
		switch it.Tag() {
		case 0x9F37:
			fixed(t.un[:])
		case 0x95:
			fixed(t.tvr[:])
		case 0x9F34:
			fixed(t.cvmRes[:])
		case 0x9F33:
			fixed(t.caps[:])
		case tagReferenceControlP:
			if len(v) == 1 {
				t.rcp = v[0]
				n++
			}
		case tagPDOLRelatedData:
			t.pdolData = v
			n++
		case 0x8C:
			t.cdol1 = v
			n++
		case tagCDOL1RelatedData:
			t.cdolData = v
			n++
		case tagDRDOLRelatedData:
			t.drdolData = v
			n++
		case tagTerminalRREntropy:
			if len(v) == 4 {
				copy(t.rrp.terminalEntropy[:], v)
				rr++
			}
		case tagDeviceRREntropy:
			if len(v) == 4 {
				copy(t.rrp.deviceEntropy[:], v)
				rr++
			}
		case tagMinTimeRRAPDU:
			u16(&t.rrp.minTime)
		case tagMaxTimeRRAPDU:
			u16(&t.rrp.maxTime)
		case tagDeviceEstimatedRR:
			u16(&t.rrp.estimated)
		}
	}
	if it.Err() != nil || n != 9 || (rr != 0 && rr != 5) {
		return t, errTornRecord
	}
	t.rrp.performed = rr == 5
	return t, nil
}

// recoverAC sends RECOVER AC for the torn record of this card (Book C-2
// S456.47, S456.48) and waits in State 10.
func (s *transactionState) recoverAC(r TornRecord) stateFn {
	ts, err := parseTornRecord(r.Data)
	if err != nil {
		// A record the kernel cannot read cannot be recovered: it leaves
		// the log, and the transaction goes on with GENERATE AC.
		s.a.Logger.Debug("kernel2: torn record", "err", err)
		s.removeTornRecord(r)
		s.tornLost(r)
		return s.prepareGenerateACCommand()
	}
	s.torn, s.tornRec = &ts, r
	s.send(apdu.Command{CLA: 0x80, INS: insRecoverAC, Data: ts.drdolData, Le: 256})
	return waitingForRecoverACResponse
}

// waitingForRecoverACResponse is State 10, Waiting for Recover AC Response
// (Book C-2 State 10):
//
//   - the link failed: the kernel stops with the link's error; the record
//     stays in the log for the next tap;
//   - 9000: the card gives back the torn transaction's cryptogram. The
//     record leaves the log, the kernel takes the torn transaction's data
//     (PDOL and CDOL1 related data, Unpredictable Number, TVR, CVM Results,
//     relay resistance data) back and goes on as after GENERATE AC, with
//     CDA verified over the torn transaction's data;
//   - any other status word: the card cannot recover it; the current
//     transaction goes on with GENERATE AC. Reading: the record is removed
//     once that GENERATE AC has an answer (the card has moved on to a new
//     transaction and will never give the torn cryptogram back).
func waitingForRecoverACResponse(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.linkFailed(sig.err)
	}
	if sig.r.SW != apdu.SWOK {
		s.torn = nil
		s.tornPending = true
		return s.prepareGenerateACCommand()
	}
	ts := s.torn
	s.removeTornRecord(s.tornRec)
	s.pdolData, s.cdolData = ts.pdolData, ts.cdolData
	if d, err := tlv.ParseDOL(ts.cdol1); err == nil {
		s.cdol1 = d
	}
	s.un, s.tvr, s.cvmRes, s.caps = ts.un, ts.tvr, ts.cvmRes, ts.caps
	s.acType = ts.rcp & 0xC0
	s.cdaReq = ts.rcp&apdu.RefCDA != 0
	s.rrp = ts.rrp
	s.recovered = true
	return waitingForGenerateACResponse1(s, sig)
}

// tearTransaction is State 9's answer to a link lost during GENERATE AC
// when the card can recover (a DRDOL) and the kernel keeps a log (Book C-2
// State 9, torn transactions): the transaction is added to the log as a Torn
// Record, the oldest record leaving it when it is full (to
// Config.TornRecordLost), and the outcome asks for the card again: Try
// Again at Start B, "Present Card Again" (Ready to Read) on the outcome
// and on restart, Error Indication L1 TIME OUT ERROR. Reading: Book A's
// Try Again, which the Entry Point restarts at Start B, carries Book C-2's
// restart after a torn GENERATE AC.
func (s *transactionState) tearTransaction(err error) stateFn {
	l := s.tornLog()
	drdol, ok := s.card.get(tagDRDOL)
	if l == nil || !ok || !errors.Is(err, apdu.ErrCardRemoved) || s.recovered {
		return s.linkFailed(err)
	}
	d, derr := tlv.ParseDOL(drdol)
	if derr != nil || d.Len() > maxDOLData {
		return s.linkFailed(err)
	}
	drdolData := d.Build(make([]byte, 0, d.Len()), s.tornValue)
	rec := TornRecord{Time: s.a.Time(), PAN: s.card.value(0x5A), PSN: s.card.value(0x5F34), Data: s.tornRecordData(drdolData)}
	recs := l.Records()
	for len(recs) >= int(s.cfg.MaxNumberOfTornTransactionLogRec) {
		s.tornLost(recs[0])
		recs = recs[1:]
	}
	l.Replace(append(recs, rec))
	s.errInd.l1 = l1TimeOut
	s.errInd.msgOn = contactless.MsgPresentCardAgain
	p := contactless.NewParameterSet(contactless.StatusTryAgain)
	p.Start = contactless.StartB
	p.UIRequestOnOutcome = s.ui(contactless.MsgPresentCardAgain, contactless.UIReadyToRead, 0)
	p.UIRequestOnRestart = s.ui(contactless.MsgPresentCardAgain, contactless.UIReadyToRead, 0)
	return s.done(s.withDiscretionary(&contactless.Outcome{Parameters: p}))
}

// tornValue gives the DRDOL the values of the GENERATE AC that was torn:
// those of its CDOL1 related data first, then the kernel's.
func (s *transactionState) tornValue(t tlv.Tag) ([]byte, bool) {
	if v, ok := s.cdol1.Value(s.cdolData, t); ok {
		return v, true
	}
	return s.dolValue(t)
}
