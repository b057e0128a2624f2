package emv

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Bounds on the directory walk of Book 1 §12.3.2.
const (
	maxDirectoryDepth   = 4  // a PSE and three levels of DDFs below it
	maxDirectoryRecords = 32 // records read over all directories
	maxDirectories      = 8  // DDFs selected
	maxCandidates       = 32
	maxSelectNext       = 16 // SELECT next occurrence per terminal AID
)

var pseName = []byte("1PAY.SYS.DDF01")

// fci is a File Control Information template as Book 1 §11.3.4 lists it.
type fci struct {
	dfName        []byte // 84
	label         string // 50
	preferredName string // 9F12
	priority      byte   // 87
	pdol          []byte // 9F38
	sfi           byte   // 88, directory files only
	language      []byte // 5F2D
	hasPDOL       bool
}

// parseFCI reads a SELECT response: one 6F template holding 84 and A5
// (Book 1 §11.3.4). It refuses anything else.
func parseFCI(b []byte) (fci, error) { return parseFCIFor(b, Candidate{}) }

// parseFCIFor is parseFCI for the final SELECT of candidate c: a label or
// preferred name equal to the one the directory gave is c's own string,
// not a new one.
func parseFCIFor(b []byte, c Candidate) (fci, error) {
	var f fci
	tag, v, err := tlv.Single(b)
	if err != nil {
		return f, err
	}
	if tag != 0x6F {
		return f, fmt.Errorf("FCI template is %s, not 6F", tag)
	}
	it := tlv.NewIter(v)
	hasA5 := false
	for it.Next() {
		switch it.Tag() {
		case 0x84:
			f.dfName = it.Value()
		case 0xA5:
			hasA5 = true
			p := it.Children()
			for p.Next() {
				switch p.Tag() {
				case 0x50:
					f.label = sameName(c.Label, 0x50, p.Value())
				case 0x9F12:
					f.preferredName = sameName(c.PreferredName, 0x9F12, p.Value())
				case 0x87:
					if len(p.Value()) == 1 {
						f.priority = p.Value()[0]
					}
				case 0x9F38:
					f.pdol, f.hasPDOL = p.Value(), true
				case 0x5F2D:
					f.language = p.Value()
				case 0x88:
					if len(p.Value()) == 1 {
						f.sfi = p.Value()[0]
					}
				}
			}
			if err := p.Err(); err != nil {
				return f, err
			}
		}
	}
	if err := it.Err(); err != nil {
		return f, err
	}
	if len(f.dfName) == 0 || len(f.dfName) > 16 || !hasA5 {
		return f, fmt.Errorf("FCI lacks DF name 84 or proprietary template A5")
	}
	return f, nil
}

// selectApplication builds the candidate list and selects one application
// (Book 1 §12): the PSE directory if the card has one, else the terminal's
// list of AIDs; then the choice and the final SELECT.
func (s *transactionState) selectApplication() error {
	s.step = StepSelection
	if !s.built {
		s.built = true
		if err := s.buildCandidates(); err != nil {
			return err
		}
	}
	return s.chooseAndSelect()
}

func (s *transactionState) buildCandidates() error {
	usedPSE, err := s.candidatesFromPSE()
	if err != nil {
		return err
	}
	if !usedPSE || len(s.candidates) == 0 {
		// Book 1 §12.3.2 step 7 and §12.3.3: no PSE, a PSE that cannot be
		// used, or no match in it: the list of AIDs.
		s.candidates = s.candidates[:0]
		if err := s.candidatesFromAIDList(); err != nil {
			return err
		}
	}
	// Book 1 §12.4: in priority order; applications without a priority
	// (0) after those with one; the terminal's order among equals.
	slices.SortStableFunc(s.candidates, func(a, b Candidate) int {
		pa, pb := int(a.Priority&0x0F), int(b.Priority&0x0F)
		if pa == 0 {
			pa = 16
		}
		if pb == 0 {
			pb = 16
		}
		return pa - pb
	})
	s.log.LogAttrs(s.ctx, slog.LevelDebug, "emv: candidate list", slog.Int("candidates", len(s.candidates)))
	return nil
}

// candidatesFromPSE follows Book 1 §12.3.2. It reports whether the PSE
// could be used; an error only when the transaction must stop.
func (s *transactionState) candidatesFromPSE() (bool, error) {
	r, err := s.transmit(apdu.Select(pseName, false))
	if err != nil {
		return false, err
	}
	switch {
	case r.SW == apdu.SWFunctionNotSupported:
		// Card blocked or SELECT not supported: terminate.
		return false, s.fail("SELECT of the PSE answered 6A81", ErrCardBlocked)
	case r.SW != apdu.SWOK:
		// 6A82 no PSE, 6283 PSE blocked, anything else: list of AIDs.
		return false, nil
	}
	f, err := parseFCI(r.Data)
	if err != nil || f.sfi < 1 || f.sfi > 10 {
		return false, nil
	}
	s.chooseLanguage(f.language)
	// Directories are read one after the other: a DDF named in a
	// directory is selected, and its directory read, once the current
	// one is finished, because READ RECORD's SFI refers to the selected
	// DF (Book 1 §12.3.2 step 5, ISO 7816-4). Candidates keep the order
	// they were found in among equal priorities.
	type dir struct {
		name  []byte // nil for the PSE, already selected
		sfi   byte
		depth int
	}
	queue := []dir{{nil, f.sfi, 1}}
	records, dirs := 0, 0
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if d.name != nil {
			r, err := s.transmit(apdu.Select(d.name, false))
			if err != nil {
				return false, err
			}
			if r.SW != apdu.SWOK {
				continue
			}
			df, err := parseFCI(r.Data)
			if err != nil || df.sfi < 1 || df.sfi > 10 {
				continue
			}
			d.sfi = df.sfi
		}
		for rec := 1; rec <= 255; rec++ {
			if records == maxDirectoryRecords {
				return false, nil
			}
			records++
			r, err := s.transmit(apdu.ReadRecord(d.sfi, byte(rec)))
			if err != nil {
				return false, err
			}
			if r.SW == apdu.SWRecordNotFound {
				break // end of this directory
			}
			if r.SW != apdu.SWOK {
				return false, nil // Book 1 §12.3.2: any other error, list of AIDs
			}
			ddfs, ok := s.directoryRecord(r.Data)
			if !ok {
				return false, nil
			}
			for _, name := range ddfs {
				if d.depth+1 > maxDirectoryDepth || dirs == maxDirectories {
					continue
				}
				dirs++
				queue = append(queue, dir{name, 0, d.depth + 1})
			}
		}
	}
	return true, nil
}

// directoryRecord reads one directory record (a 70 template of 61
// entries), adds the ADFs the terminal supports to the candidate list and
// returns the DDF names it names. ok is false for a malformed record.
func (s *transactionState) directoryRecord(b []byte) (ddfs [][]byte, ok bool) {
	tag, v, err := tlv.Single(b)
	if err != nil || tag != 0x70 {
		return nil, false
	}
	it := tlv.NewIter(v)
	for it.Next() {
		if it.Tag() != 0x61 {
			continue
		}
		var c Candidate
		var adf, ddf []byte
		e := it.Children()
		for e.Next() {
			switch e.Tag() {
			case 0x4F:
				adf = e.Value()
			case 0x9D:
				ddf = e.Value()
			case 0x50:
				c.Label = displayName(0x50, e.Value())
			case 0x9F12:
				c.PreferredName = displayName(0x9F12, e.Value())
			case 0x87:
				if len(e.Value()) == 1 {
					c.Priority = e.Value()[0]
				}
			}
		}
		if e.Err() != nil {
			return nil, false
		}
		switch {
		case len(adf) >= 5 && len(adf) <= 16:
			if i := s.matchAID(adf); i >= 0 && len(s.candidates) < maxCandidates {
				c.AID = adf
				c.terminal = i
				s.candidates = append(s.candidates, c)
			}
		case len(ddf) > 0 && len(ddf) <= 16:
			ddfs = append(ddfs, ddf)
		}
	}
	return ddfs, it.Err() == nil
}

// matchAID returns the index of the terminal application that matches the
// card's ADF name (exactly, or as a prefix where partial selection is
// allowed; Book 1 §12.3.1), or -1.
func (s *transactionState) matchAID(adf []byte) int {
	for i, a := range s.cfg.Applications {
		if bytes.Equal(a.AID, adf) {
			return i
		}
	}
	for i, a := range s.cfg.Applications {
		if a.PartialSelection && len(adf) > len(a.AID) && bytes.HasPrefix(adf, a.AID) {
			return i
		}
	}
	return -1
}

// candidatesFromAIDList follows Book 1 §12.3.3: SELECT each terminal AID,
// and SELECT next occurrence while the card answers longer DF names.
func (s *transactionState) candidatesFromAIDList() error {
	for i, a := range s.cfg.Applications {
		next := false
		for n := 0; n < maxSelectNext; n++ {
			r, err := s.transmit(apdu.Select(a.AID, next))
			if err != nil {
				return err
			}
			if r.SW == apdu.SWFunctionNotSupported && !next {
				// Book 1 §12.3.3 step 2: card blocked or SELECT not
				// supported: the card session ends.
				return s.fail("SELECT answered 6A81", ErrCardBlocked)
			}
			if r.SW != apdu.SWOK && r.SW != apdu.SWWarningSelectedFileInvalidated {
				break // not (or no more) on the card: next terminal AID
			}
			f, err := parseFCI(r.Data)
			if err != nil || !bytes.HasPrefix(f.dfName, a.AID) {
				// A malformed FCI or a name that does not match: not
				// added (Book 1 §12.3.3 step 4).
				break
			}
			exact := len(f.dfName) == len(a.AID)
			// 6283: the application is blocked, not a candidate.
			if r.SW == apdu.SWOK && (exact || a.PartialSelection) && len(s.candidates) < maxCandidates && !s.hasCandidate(f.dfName) {
				s.candidates = append(s.candidates, Candidate{
					AID:           f.dfName,
					Label:         f.label,
					PreferredName: f.preferredName,
					Priority:      f.priority,
					terminal:      i,
				})
			}
			if exact {
				break
			}
			next = true // Book 1 §12.3.3 step 5: SELECT next with the same AID
		}
	}
	return nil
}

func (s *transactionState) hasCandidate(aid []byte) bool {
	for _, c := range s.candidates {
		if bytes.Equal(c.AID, aid) {
			return true
		}
	}
	return false
}

// chooseAndSelect picks an application from the candidate list and
// selects it (Book 1 §12.4). A candidate whose final SELECT fails is
// removed and the choice made again.
func (s *transactionState) chooseAndSelect() error {
	for len(s.candidates) > 0 {
		i, err := s.choose()
		if err != nil {
			return err
		}
		c := s.candidates[i]
		r, err := s.transmit(apdu.Select(c.AID, false))
		if err != nil {
			return err
		}
		if r.SW == apdu.SWFunctionNotSupported {
			// Book 1 §11.3.5 gives 6A81 to SELECT one meaning, "card
			// blocked or command not supported": a state of the card, not
			// of the application, which §12.3.2 (PSE) and §12.3.3 (list of
			// AIDs) answer by terminating the card session. The final
			// SELECT of §12.4 is the same command to the same card, so the
			// same answer ends the card session here too; removing the
			// application and choosing again (below) is for what concerns
			// one application: blocked (6283), another error, a bad FCI.
			return s.fail("final SELECT answered 6A81", ErrCardBlocked)
		}
		f, ferr := parseFCIFor(r.Data, c)
		if r.SW != apdu.SWOK || ferr != nil || !bytes.Equal(f.dfName, c.AID) {
			// Book 1 §12.4: the final SELECT failed (blocked 6283, an
			// error, a bad FCI): remove it and choose again.
			s.removeCandidate(i)
			s.tryAgain()
			continue
		}
		s.app = c
		s.app.Label, s.app.PreferredName, s.app.Priority = f.label, f.preferredName, f.priority
		if f.language != nil {
			s.chooseLanguage(f.language)
		}
		s.params = s.cfg.params(c.terminal)
		pdol, err := s.parseDOL(f.pdol)
		if err != nil {
			return s.failData("PDOL 9F38", err)
		}
		s.pdol = pdol
		s.cardData.reset()
		s.keepCard(0x84, f.dfName)
		label := s.take(len(f.label))
		copy(label, f.label)
		s.keepCard(0x50, label)
		if f.hasPDOL {
			s.keepCard(0x9F38, f.pdol)
		}
		s.res.AID = s.bytesOf(f.dfName...)
		s.res.Label = f.label
		s.res.PreferredName = f.preferredName
		s.termData.set(0x4F, s.res.AID)
		s.setApplicationData()
		if s.log.Enabled(s.ctx, slog.LevelInfo) {
			s.log.LogAttrs(s.ctx, slog.LevelInfo, "emv: application selected", slog.String("aid", hexUpper(f.dfName)), slog.String("label", f.label))
		}
		return nil
	}
	s.show(MsgNotAccepted)
	return s.fail("candidate list empty", &chipFailure{ErrNotAccepted})
}

// choose returns the index of the candidate to select (Book 1 §12.4).
func (s *transactionState) choose() (int, error) {
	if !s.term.canSelect() {
		// No cardholder selection or confirmation: the highest priority
		// application that does not require confirmation.
		for i, c := range s.candidates {
			if !c.ConfirmationRequired() {
				return i, nil
			}
		}
		s.candidates = s.candidates[:0]
		s.show(MsgNotAccepted)
		return 0, s.fail("every candidate requires confirmation and the terminal cannot ask", ErrNotAccepted)
	}
	if len(s.candidates) == 1 {
		c := s.candidates[0]
		if !c.ConfirmationRequired() {
			return 0, nil
		}
		ok, err := s.term.confirm(s.ctx, c)
		if err != nil {
			return 0, s.fail("confirmation", err)
		}
		if !ok {
			s.candidates = s.candidates[:0]
			s.show(MsgNotAccepted)
			return 0, s.fail("cardholder did not confirm", ErrNotAccepted)
		}
		return 0, nil
	}
	i, err := s.term.choose(s.ctx, slices.Clone(s.candidates))
	if err != nil {
		return 0, s.fail("cardholder selection", err)
	}
	if i < 0 || i >= len(s.candidates) {
		return 0, s.fail(fmt.Sprintf("selection returned %d of %d candidates", i, len(s.candidates)), ErrCancelled)
	}
	return i, nil
}

// tryAgain shows "TRY AGAIN" after an application was dropped, when
// there is another to try (Book 1 §12.4, Book 4 §11.2); with none left
// selection ends with "NOT ACCEPTED" alone.
func (s *transactionState) tryAgain() {
	if len(s.candidates) > 0 {
		s.show(MsgTryAgain)
	}
}

func (s *transactionState) removeCandidate(i int) {
	s.candidates = slices.Delete(s.candidates, i, i+1)
}

// keepCard stores a data object from the card; the value is the card's
// bytes (already a private copy, see transmit).
func (s *transactionState) keepCard(t tlv.Tag, v []byte) {
	if s.cardData.len() < maxCardObjects {
		s.cardData.set(t, v)
	}
}
