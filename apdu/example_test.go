package apdu_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/emvkit/emvkit/apdu"
)

// A T=0 card answers SELECT with 61xx; the wrapper fetches the FCI with
// GET RESPONSE, so the caller sees one response (EMV Book 1 §9.3.1).
func ExampleT0() {
	session, err := apdu.ReadSession(strings.NewReader(`{
  "source": "example",
  "proves": "Book 1 §9.3.1: 61xx followed by GET RESPONSE",
  "exchanges": [
    {"command": "00A4040007A000000003101000", "response": "610A"},
    {"command": "00C000000A", "response": "6F088407A00000000310109000"}
  ]
}`))
	if err != nil {
		panic(err)
	}
	card := apdu.NewReplay(session, apdu.ReplayStrict)
	resp, err := apdu.Exchange(context.Background(), apdu.NewT0(card), apdu.Select([]byte{0xA0, 0, 0, 0, 3, 0x10, 0x10}, false))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%X %v\n", resp.Data, resp.SW)
	fmt.Println(card.Close())
	// Output:
	// 6F088407A0000000031010 9000 (success)
	// <nil>
}

// A Recorder prints the trace for a person: PAN and track 2 masked, the
// PIN block of VERIFY never recorded.
func ExampleRecorder_WriteTrace() {
	session, err := apdu.ReadSession(strings.NewReader(`{
  "source": "example",
  "proves": "a printed trace",
  "exchanges": [
    {"command": "00B2010C00", "response": "700A5A0847617390010101199000"},
    {"command": "0020008008XXXXXXXXXXXXXXXX", "response": "63C2"}
  ]
}`))
	if err != nil {
		panic(err)
	}
	rec := apdu.NewRecorder(apdu.NewReplay(session, apdu.ReplayStrict))
	rec.Now = func() time.Time { return time.Unix(0, 0) }
	ctx := context.Background()
	_, _ = apdu.Exchange(ctx, rec, apdu.ReadRecord(1, 1))
	_, _ = apdu.Exchange(ctx, rec, apdu.Verify(apdu.VerifyPlaintextPIN, []byte{0x24, 0x12, 0x34, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}))
	_ = rec.WriteTrace(os.Stdout)
	// Output:
	//   1 READ RECORD 00B2010C Le=00 -> 700A5A08476173******0119 9000 (success) (0s)
	//   2 VERIFY 00200080 Lc=08 [8 bytes redacted] -> 63C2 (verification failed, 2 tries left) (0s)
}

// A recording is written in the session file format, the PIN block as XX.
func ExampleRecorder_Session() {
	card := apdu.NewReplay(&apdu.Session{Source: "s", Proves: "p", Exchanges: []apdu.SessionExchange{
		{Command: []byte{0x00, 0x20, 0x00, 0x80, 0x02, 0, 0}, Response: []byte{0x90, 0x00}},
	}}, apdu.ReplayStrict)
	rec := apdu.NewRecorder(card)
	_, _ = apdu.Exchange(context.Background(), rec, apdu.Verify(apdu.VerifyPlaintextPIN, []byte{0x21, 0x2F}))
	_ = rec.Session("emv/emvtest, example", "Book 3 §6.5.12: VERIFY answered 9000").Write(os.Stdout)
	// Output:
	// {
	//   "source": "emv/emvtest, example",
	//   "proves": "Book 3 §6.5.12: VERIFY answered 9000",
	//   "exchanges": [
	//     {"command": "0020008002XXXX", "response": "9000"}
	//   ]
	// }
}
