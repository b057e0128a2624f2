package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emvkit/emvkit/apdu/pcsc"
)

// AnyReader, as a reader name, picks the first reader that holds a card.
const AnyReader = "any"

// Reader is a card in a PC/SC reader, held for one transaction: the
// connection is shared, but other programs are kept off the card until
// Close (SCardBeginTransaction).
type Reader struct {
	x    *pcsc.Context
	Card *pcsc.Card // the apdu.Transceiver the kernel talks to
	Name string
}

// OpenReader waits up to wait for a card in the named reader (or in any
// reader, for [AnyReader]), connects to it with the protocol it offers
// (T=0 or T=1) and begins a PC/SC transaction. A wait that ends without
// a card returns an error matching pcsc.ErrTimeout.
func OpenReader(ctx context.Context, name string, wait time.Duration) (*Reader, error) {
	x, err := pcsc.EstablishContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("PC/SC: %w (is pcscd running?)", err)
	}
	r, err := openCard(ctx, x, name, wait)
	if err != nil {
		x.Release()
		return nil, err
	}
	return r, nil
}

func openCard(ctx context.Context, x *pcsc.Context, name string, wait time.Duration) (*Reader, error) {
	readers, err := x.ListReaders(ctx)
	if err != nil {
		return nil, fmt.Errorf("PC/SC: %w", err)
	}
	var names []string
	if name != AnyReader && name != "" {
		found := false
		for _, r := range readers {
			found = found || r == name
		}
		if !found {
			return nil, fmt.Errorf("no reader %q (readers: %s)", name, quoteAll(readers))
		}
		names = []string{name}
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	st, err := x.WaitForCard(wctx, names...)
	if err != nil {
		if errors.Is(err, pcsc.ErrTimeout) && ctx.Err() == nil {
			where := "any reader"
			if len(names) == 1 {
				where = fmt.Sprintf("%q", names[0])
			}
			return nil, fmt.Errorf("no card in %s within %s: %w", where, wait, err)
		}
		return nil, err
	}
	card, err := x.Connect(ctx, st.Name)
	if err != nil {
		return nil, err
	}
	if err := card.BeginTransaction(ctx); err != nil {
		card.Disconnect(context.Background(), pcsc.LeaveCard)
		return nil, err
	}
	return &Reader{x: x, Card: card, Name: st.Name}, nil
}

// Describe says which reader and card: "Virtual PCD 00 00, T=1, ATR 3B...".
func (r *Reader) Describe() string {
	return fmt.Sprintf("%s, %s, ATR %X", r.Name, r.Card.Protocol(), r.Card.ATR())
}

// WaitForRemoval waits until the card has left the reader ("REMOVE CARD").
func (r *Reader) WaitForRemoval(ctx context.Context) error {
	return r.x.WaitForRemoval(ctx, r.Name)
}

// Close ends the PC/SC transaction, resets the card and releases the
// context. A card pulled out meanwhile is not an error here.
func (r *Reader) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.Card.EndTransaction(ctx, pcsc.LeaveCard)
	r.Card.Disconnect(ctx, pcsc.ResetCard)
	return r.x.Release()
}

// ListReaders returns every reader pcscd knows with its state.
func ListReaders(ctx context.Context) ([]pcsc.ReaderState, error) {
	x, err := pcsc.EstablishContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("PC/SC: %w (is pcscd running?)", err)
	}
	defer x.Release()
	return x.ReaderStates(ctx)
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
