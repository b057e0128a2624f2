package pcsc_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/apdu/pcsc"
)

// A terminal waits for a card in the first reader, selects the PSE through
// apdu's T=0 wrapper and tells a pulled card from other failures. (Not run
// by go test: it needs a reader.)
func Example() {
	ctx := context.Background()
	x, err := pcsc.EstablishContext(ctx)
	if err != nil {
		log.Fatal(err) // SCARD_E_NO_SERVICE when pcscd is not running
	}
	defer x.Release()

	readers, err := x.ListReaders(ctx)
	if err != nil {
		log.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := x.WaitForCard(wctx, readers[0])
	if errors.Is(err, pcsc.ErrTimeout) {
		log.Fatal("no card inserted")
	} else if err != nil {
		log.Fatal(err)
	}

	card, err := x.Connect(ctx, st.Name)
	if err != nil {
		log.Fatal(err)
	}
	defer card.Disconnect(ctx, pcsc.LeaveCard)
	fmt.Printf("%s: %s, ATR % X\n", card.Reader(), card.Protocol(), card.ATR())

	resp, err := apdu.Exchange(ctx, apdu.NewT0(card), apdu.Select([]byte("1PAY.SYS.DDF01"), false))
	switch {
	case errors.Is(err, apdu.ErrCardRemoved):
		log.Fatal("card removed")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(resp.SW)
}
