package kernel2

import (
	"io"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// insExchangeRelayResistanceData is EXCHANGE RELAY RESISTANCE DATA's
// instruction (Book C-2: CLA 80, INS EA, P1 P2 00 00, Lc 04, the
// Terminal Relay Resistance Entropy, Le 00).
const insExchangeRelayResistanceData = 0xEA

func exchangeRelayResistanceData(entropy []byte) apdu.Command {
	return apdu.Command{CLA: 0x80, INS: insExchangeRelayResistanceData, Data: entropy, Le: 256}
}

// Relay resistance data objects (Book C-2 Annex A).
const (
	tagTerminalRREntropy tlv.Tag = 0xDF8301
	tagDeviceRREntropy   tlv.Tag = 0xDF8302
	tagMinTimeRRAPDU     tlv.Tag = 0xDF8303
	tagMaxTimeRRAPDU     tlv.Tag = 0xDF8304
	tagDeviceEstimatedRR tlv.Tag = 0xDF8305
)

// tvrRRPMask is the field of TVR byte 5 bits 2-1 that says whether relay
// resistance was performed (Book C-2 Annex A; see package tvr).
const tvrRRPMask = 0x03

// maxRRPRetries is how many times the kernel repeats EXCHANGE RELAY
// RESISTANCE DATA when the card answers too late: the RRP Counter may
// reach 2 (Book C-2 State R1).
const maxRRPRetries = 2

// relayResistance is what the relay resistance protocol learnt: the
// entropies, the card's times (units of 100 µs), the measured processing
// time and the RRP Counter.
type relayResistance struct {
	terminalEntropy [4]byte
	deviceEntropy   [4]byte
	minTime         uint16
	maxTime         uint16
	estimated       uint16
	measured        uint16
	counter         byte
	performed       bool
}

// iccDynamicData is the relay resistance data the card signs into its CDA
// ICC Dynamic Data after the Transaction Data Hash Code (Book C-2,
// the ICC Dynamic Data of CDA after relay resistance): Terminal Relay Resistance Entropy, Device
// Relay Resistance Entropy, Min and Max Time For Processing Relay
// Resistance APDU, Device Estimated Transmission Time For Relay Resistance
// R-APDU.
func (r *relayResistance) iccDynamicData() []byte {
	b := make([]byte, 0, 14)
	b = append(b, r.terminalEntropy[:]...)
	b = append(b, r.deviceEntropy[:]...)
	return append(b, byte(r.minTime>>8), byte(r.minTime), byte(r.maxTime>>8), byte(r.maxTime),
		byte(r.estimated>>8), byte(r.estimated))
}

// waitingForExchangeRelayResistanceDataResponse is State R1, Waiting for
// Exchange Relay Resistance Data Response (Book C-2 State R1). The timer
// stopped when the answer came back (SR1.10). Then:
//
//   - the link failed: the kernel stops with the link's error;
//   - SW other than 9000: End Application, L2 STATUS BYTES;
//   - a response that is not one template 80 of exactly 10 bytes (the
//     Device Relay Resistance Entropy, 4 bytes; Min and Max Time For
//     Processing Relay Resistance APDU and Device Estimated Transmission
//     Time For Relay Resistance R-APDU, 2 bytes each): End Application, L2
//     PARSING ERROR;
//   - the Measured Relay Resistance Processing Time (SR1.18) is
//     max(0, timer − Terminal Expected Transmission Time For Relay
//     Resistance C-APDU − min(Device Estimated Transmission Time, Terminal
//     Expected Transmission Time For Relay Resistance R-APDU)), in units of
//     100 µs (the timer's fraction of a unit is dropped);
//   - measured < max(0, Min Time − Minimum Relay Resistance Grace Period)
//     (SR1.19): the card answered faster than it can, a card data error:
//     End Application, L2 CARD DATA ERROR;
//   - measured > Max Time + Maximum Relay Resistance Grace Period and the
//     RRP Counter below 2: a new Unpredictable Number becomes the entropy,
//     the counter goes up, and the command is sent again;
//   - otherwise the protocol is done: "relay resistance performed" (b2-b1
//     10); measured still beyond the maximum sets "time limits exceeded"
//     (b3); "threshold exceeded" (b4) is set when the two transmission
//     times disagree (both non-zero and either as a percentage of the
//     other below the Relay Resistance Transmission Time Mismatch
//     Threshold) or when max(0, measured − Min Time) exceeds the Relay
//     Resistance Accuracy Threshold. Reading: a zero transmission time
//     leaves the mismatch test out rather than dividing by zero.
//
// Then the records are read (State 4).
func waitingForExchangeRelayResistanceDataResponse(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.linkFailed(sig.err)
	}
	elapsed := s.answeredAt.Sub(s.sentAt)
	if sig.r.SW != apdu.SWOK {
		s.errInd.statusBytes(sig.r.SW)
		return s.done(s.endApplication())
	}
	t, v, err := tlv.Single(sig.r.Data)
	if err != nil || t != 0x80 || len(v) != 10 {
		s.errInd.l2 = l2ParsingError
		return s.done(s.endApplication())
	}
	r := &s.rrp
	copy(r.deviceEntropy[:], v[:4])
	r.minTime = uint16(v[4])<<8 | uint16(v[5])
	r.maxTime = uint16(v[6])<<8 | uint16(v[7])
	r.estimated = uint16(v[8])<<8 | uint16(v[9])
	c := &s.cfg

	units := int64(elapsed / (100 * time.Microsecond))
	measured := max(0, units-int64(c.ExpectedTimeCAPDU)-int64(min(r.estimated, c.ExpectedTimeRAPDU)))
	r.measured = uint16(min(measured, 0xFFFF))
	if measured < max(0, int64(r.minTime)-int64(c.MinGracePeriod)) {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	tooSlow := measured > int64(r.maxTime)+int64(c.MaxGracePeriod)
	if tooSlow && r.counter < maxRRPRetries {
		if _, err := io.ReadFull(s.a.Rand, s.un[:]); err != nil {
			s.errInd.l2 = l2TerminalDataError
			return s.done(s.endApplication())
		}
		r.terminalEntropy = s.un
		r.counter++
		s.send(exchangeRelayResistanceData(r.terminalEntropy[:]))
		return waitingForExchangeRelayResistanceDataResponse
	}
	if tooSlow {
		s.tvr.Set(tvr.RelayResistanceTimeLimitsExceeded)
	}
	mismatch := func(a, b uint16) bool { return uint32(a)*100/uint32(b) < uint32(c.TransmissionTimeMismatchThreshold) }
	if (r.estimated != 0 && c.ExpectedTimeRAPDU != 0 &&
		(mismatch(r.estimated, c.ExpectedTimeRAPDU) || mismatch(c.ExpectedTimeRAPDU, r.estimated))) ||
		max(0, measured-int64(r.minTime)) > int64(c.AccuracyThreshold) {
		s.tvr.Set(tvr.RelayResistanceThresholdExceeded)
	}
	s.tvr[4] &^= tvrRRPMask
	s.tvr.Set(tvr.RelayResistancePerformed)
	r.performed = true
	return s.readFirstRecord()
}
