// Package pcsc is an [apdu.Transceiver] over a PC/SC smart card reader,
// written in pure Go: a client of the pcsc-lite daemon (pcscd) speaking its
// message protocol on the daemon's Unix socket, with no cgo and no
// libpcsclite.
//
// # Use
//
//	x, err := pcsc.EstablishContext(ctx)
//	defer x.Release()
//	readers, err := x.ListReaders(ctx)
//	st, err := x.WaitForCard(ctx, readers[0]) // ctx bounds the wait
//	card, err := x.Connect(ctx, st.Name)      // shared, T=0 or T=1
//	defer card.Disconnect(ctx, pcsc.LeaveCard)
//	resp, err := card.Transmit(ctx, cmd)      // or apdu.Exchange(ctx, card, c)
//
// The card chooses T=0 or T=1 and every exchange uses the protocol it
// chose, so T=0 cards work (61xx and 6Cxx come back as the card sent
// them; apdu's T=0 wrapper handles them). [Card.BeginTransaction] keeps
// other programs off the card for the length of an EMV transaction;
// [Card.Reconnect] resets it; [Context.WaitForRemoval] waits for the
// cardholder to take it out.
//
// Waits use a socket of their own, so a Context stays usable while one
// runs. A call whose context ends while the daemon is answering leaves
// the Context's socket out of step: it is closed, and later calls return
// [ErrClosed]; establish a new Context then. A call whose context has no
// deadline is bounded by [DefaultTimeout] (30 s), so a stalled daemon
// cannot block it for ever; waits for reader events and for another
// connection's transaction end only with their context.
//
// # Errors
//
// Failures are *[Error] values carrying the operation, the reader and the
// daemon's return code ([Code], named as in PC/SC: SCARD_E_TIMEOUT). A card
// pulled out matches [apdu.ErrCardRemoved]; a wait that reached its
// deadline matches [ErrTimeout] and context.DeadlineExceeded.
//
// # Systems
//
// Linux with pcsc-lite 1.8.24 or later (message protocol 4.4; Debian 12
// ships 1.9.9). The socket is /run/pcscd/pcscd.comm, or the path in
// PCSCLITE_CSOCK_NAME. On other systems every call returns
// [ErrNotSupported].
//
// # Testing against a real daemon
//
// The tests named E2E run against a real pcscd with vsmartcard's vpcd
// driver: the tests play the card, connecting to the driver on
// 127.0.0.1:35963 ("Virtual PCD 00 00"). They run when EMVKIT_PCSC_E2E=1
// and then fail, not skip, if the daemon or the reader is missing;
// .ci/pcsc-e2e.sh starts pcscd and runs them.
package pcsc
