package main

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver: no cgo
)

// journal is the counter's transaction journal: an SQLite database file
// that survives a restart, so that a void and the settlement read back
// the transactions of the batch. It holds the masked PAN only, never a
// PIN, a PIN block, a full PAN or track data. Each row is written before
// the receipt prints: a receipt is never printed for a transaction the
// journal does not know.
type journal struct{ db *sql.DB }

// entry is one journal row.
type entry struct {
	ID             int64
	Batch          int
	STAN           uint32
	Time           time.Time
	Operator       string
	Kind           string // menu item: sale, refund, void, preauth, completion, balance
	MTI            string
	ProcessingCode string
	Amount         uint64
	MaskedPAN      string
	Entry          string // chip, tap, swipe, fallback (swipe after a chip failure), key (no card)
	AuthCode       string // field 38
	RRN            string // field 37
	ResponseCode   string // field 39, "" when the host was not asked
	Outcome        string // approved, declined, cancelled, reversed, ...
	Field55        []byte // the ICC data of the authorisation or clearing record
	Original       uint32 // STAN of the transaction a void, refund or completion refers to
	Voided         bool
	Reversed       bool
	// ReversalPending: the reversal found no answer either; it goes
	// again before the next transaction.
	ReversalPending bool
}

// approved reports whether the row counts in the settlement totals.
func (e *entry) approved() bool {
	return e.Outcome == "approved" && !e.Voided && !e.Reversed
}

const journalSchema = `
CREATE TABLE IF NOT EXISTS batch (
	number INTEGER PRIMARY KEY,
	opened TEXT NOT NULL,
	closed TEXT
);
CREATE TABLE IF NOT EXISTS txn (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	batch INTEGER NOT NULL REFERENCES batch(number),
	stan INTEGER NOT NULL,
	time TEXT NOT NULL,
	operator TEXT NOT NULL,
	kind TEXT NOT NULL,
	mti TEXT NOT NULL,
	processing_code TEXT NOT NULL,
	amount INTEGER NOT NULL,
	masked_pan TEXT NOT NULL,
	entry TEXT NOT NULL,
	auth_code TEXT NOT NULL,
	rrn TEXT NOT NULL,
	response_code TEXT NOT NULL,
	outcome TEXT NOT NULL,
	field55 TEXT NOT NULL,
	original INTEGER NOT NULL,
	voided INTEGER NOT NULL DEFAULT 0,
	reversed INTEGER NOT NULL DEFAULT 0,
	reversal_pending INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS stan (
	one INTEGER PRIMARY KEY CHECK (one = 1),
	last INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS network (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	stan INTEGER NOT NULL,
	time TEXT NOT NULL,
	mti TEXT NOT NULL,
	response_code TEXT NOT NULL
);`

// openJournal opens (or creates) the journal at path, with a batch open.
func openJournal(path string, now time.Time) (*journal, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, fmt.Errorf("pos: journal %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one counter, one writer
	if _, err := db.Exec(journalSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("pos: journal %s: %w", path, err)
	}
	j := &journal{db: db}
	if _, err := j.batch(); errors.Is(err, sql.ErrNoRows) {
		_, err = db.Exec(`INSERT INTO batch(number, opened) VALUES (1, ?)`, now.UTC().Format(time.RFC3339))
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("pos: journal: open the first batch: %w", err)
		}
	} else if err != nil {
		db.Close()
		return nil, fmt.Errorf("pos: journal: %w", err)
	}
	return j, nil
}

func (j *journal) Close() error { return j.db.Close() }

// batch returns the number of the open batch.
func (j *journal) batch() (int, error) {
	var n int
	err := j.db.QueryRow(`SELECT number FROM batch WHERE closed IS NULL ORDER BY number DESC LIMIT 1`).Scan(&n)
	return n, err
}

// nextSTAN returns the next System Trace Audit Number (field 11): one
// more than the last one journalled, 000001 after 999999.
func (j *journal) nextSTAN() (uint32, error) {
	var last int64
	err := j.db.QueryRow(`SELECT last FROM stan`).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pos: journal: %w", err)
	}
	return uint32(last%999999) + 1, nil
}

// useSTAN keeps the STAN a message went out with as the last one.
func (j *journal) useSTAN(stan uint32) error {
	_, err := j.db.Exec(`INSERT INTO stan(one, last) VALUES (1, ?) ON CONFLICT(one) DO UPDATE SET last = excluded.last`, stan)
	return err
}

// addNetwork journals a network management or reconciliation message
// (0800, 0820, 0500) and its answer's response code ("" for none), so
// that its STAN is not used again.
func (j *journal) addNetwork(stan uint32, now time.Time, mti, responseCode string) error {
	_, err := j.db.Exec(`INSERT INTO network(stan, time, mti, response_code) VALUES (?,?,?,?)`, stan, now.UTC().Format(time.RFC3339), mti, responseCode)
	if err == nil {
		err = j.useSTAN(stan)
	}
	if err != nil {
		return fmt.Errorf("pos: journal: %s STAN %06d: %w", mti, stan, err)
	}
	return nil
}

// add writes a row in the open batch and returns it with its ID and
// batch set.
func (j *journal) add(e *entry) error {
	b, err := j.batch()
	if err != nil {
		return fmt.Errorf("pos: journal: %w", err)
	}
	e.Batch = b
	r, err := j.db.Exec(`INSERT INTO txn(batch, stan, time, operator, kind, mti, processing_code, amount, masked_pan, entry,
		auth_code, rrn, response_code, outcome, field55, original, voided, reversed, reversal_pending) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		e.Batch, e.STAN, e.Time.UTC().Format(time.RFC3339), e.Operator, e.Kind, e.MTI, e.ProcessingCode, e.Amount, e.MaskedPAN, e.Entry,
		e.AuthCode, e.RRN, e.ResponseCode, e.Outcome, hex.EncodeToString(e.Field55), e.Original, e.Voided, e.Reversed, e.ReversalPending)
	if err != nil {
		return fmt.Errorf("pos: journal: write STAN %06d: %w", e.STAN, err)
	}
	e.ID, _ = r.LastInsertId()
	if err := j.useSTAN(e.STAN); err != nil {
		return fmt.Errorf("pos: journal: STAN %06d: %w", e.STAN, err)
	}
	return nil
}

// markVoided marks the row of STAN voided.
func (j *journal) markVoided(stan uint32) error {
	_, err := j.db.Exec(`UPDATE txn SET voided = 1 WHERE stan = ?`, stan)
	return err
}

// markReversed marks the row of STAN reversed, its reversal no longer
// pending.
func (j *journal) markReversed(stan uint32) error {
	_, err := j.db.Exec(`UPDATE txn SET reversed = 1, reversal_pending = 0 WHERE stan = ?`, stan)
	return err
}

// pendingReversals returns the rows whose reversal found no answer.
func (j *journal) pendingReversals() ([]*entry, error) {
	rows, err := j.db.Query(`SELECT ` + entryColumns + ` FROM txn WHERE reversal_pending = 1 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("pos: journal: pending reversals: %w", err)
	}
	defer rows.Close()
	var es []*entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("pos: journal: pending reversals: %w", err)
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

const entryColumns = `id, batch, stan, time, operator, kind, mti, processing_code, amount, masked_pan, entry,
	auth_code, rrn, response_code, outcome, field55, original, voided, reversed, reversal_pending`

func scanEntry(s interface{ Scan(...any) error }) (*entry, error) {
	var e entry
	var t, f55 string
	if err := s.Scan(&e.ID, &e.Batch, &e.STAN, &t, &e.Operator, &e.Kind, &e.MTI, &e.ProcessingCode, &e.Amount, &e.MaskedPAN, &e.Entry,
		&e.AuthCode, &e.RRN, &e.ResponseCode, &e.Outcome, &f55, &e.Original, &e.Voided, &e.Reversed, &e.ReversalPending); err != nil {
		return nil, err
	}
	e.Time, _ = time.Parse(time.RFC3339, t)
	e.Field55, _ = hex.DecodeString(f55)
	return &e, nil
}

// find returns the row of STAN, nil when there is none.
func (j *journal) find(stan uint32) (*entry, error) {
	e, err := scanEntry(j.db.QueryRow(`SELECT `+entryColumns+` FROM txn WHERE stan = ?`, stan))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pos: journal: STAN %06d: %w", stan, err)
	}
	return e, nil
}

// entries returns the rows of a batch in order.
func (j *journal) entries(batch int) ([]*entry, error) {
	rows, err := j.db.Query(`SELECT `+entryColumns+` FROM txn WHERE batch = ? ORDER BY id`, batch)
	if err != nil {
		return nil, fmt.Errorf("pos: journal: batch %d: %w", batch, err)
	}
	defer rows.Close()
	var es []*entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("pos: journal: batch %d: %w", batch, err)
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// refunded returns the amount already refunded against the transaction
// of STAN.
func (j *journal) refunded(stan uint32) (uint64, error) {
	var n sql.NullInt64
	err := j.db.QueryRow(`SELECT SUM(amount) FROM txn WHERE kind = 'refund' AND original = ? AND outcome = 'approved'`, stan).Scan(&n)
	return uint64(n.Int64), err
}

// closeBatch closes the open batch and opens the next one.
func (j *journal) closeBatch(now time.Time) (closed int, err error) {
	b, err := j.batch()
	if err != nil {
		return 0, fmt.Errorf("pos: journal: %w", err)
	}
	tx, err := j.db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	ts := now.UTC().Format(time.RFC3339)
	if _, err := tx.Exec(`UPDATE batch SET closed = ? WHERE number = ?`, ts, b); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(`INSERT INTO batch(number, opened) VALUES (?, ?)`, b+1, ts); err != nil {
		return 0, err
	}
	return b, tx.Commit()
}

// line is the row as the journal listing prints it (field 55 left out).
func (e *entry) line() string {
	s := fmt.Sprintf("%06d %s %s %s %d %s %s %s %s %s %s", e.STAN, e.Kind, e.MTI, e.ProcessingCode, e.Amount, e.MaskedPAN, e.Entry, e.RRN, e.AuthCode, e.ResponseCode, e.Outcome)
	if e.Original != 0 {
		s += fmt.Sprintf(" of %06d", e.Original)
	}
	if e.Voided {
		s += " voided"
	}
	if e.Reversed {
		s += " reversed"
	}
	if e.ReversalPending {
		s += " reversal pending"
	}
	return s
}
