package emvtest

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/require"
)

// send transmits a command and parses the answer, failing the test on a
// transport error.
func send(t testing.TB, c *Card, cmd apdu.Command) apdu.Response {
	t.Helper()
	r, err := apdu.Exchange(context.Background(), c, cmd)
	require.NoError(t, err)
	return r
}

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// find returns the value of tag in b (depth first), failing if absent.
func find(t testing.TB, b []byte, tag tlv.Tag) []byte {
	t.Helper()
	v, ok := tlv.Find(b, tag)
	require.Truef(t, ok, "tag %s not in % X", tag, b)
	return v
}

// readAFL reads every record the AFL names, returning them in order.
func readAFL(t testing.TB, c *Card, afl []byte) [][]byte {
	t.Helper()
	var recs [][]byte
	for i := 0; i+4 <= len(afl); i += 4 {
		for r := afl[i+1]; r <= afl[i+2]; r++ {
			resp := send(t, c, apdu.ReadRecord(afl[i]>>3, r))
			require.Equal(t, apdu.SWOK, resp.SW)
			recs = append(recs, resp.Data)
		}
	}
	return recs
}

// cdol1Data is a fixed CDOL1 (CDOL1Default) value set: amount 10.00, other
// 0, country 0840, TVR 0000000000, currency 0840, date 261123, type 00,
// UN 12345678, terminal type 22, CVM results 1F0002.
var cdol1Data = h("000000001000 000000000000 0840 0000000000 0840 261123 00 12345678 22 1F0002")

// cdol2Data is a CDOL2Default value set with ARC "00".
var cdol2Data = h("3030 000000001000 000000000000 0840 0000000000 0840 261123 00 12345678")

// startTransaction selects the application with aid and sends GPO with
// the given PDOL data; it returns the GPO response data.
func startTransaction(t testing.TB, c *Card, aid, pdolData []byte) apdu.Response {
	t.Helper()
	r := send(t, c, apdu.Select(aid, false))
	require.Equal(t, apdu.SWOK, r.SW)
	return send(t, c, apdu.GetProcessingOptions(pdolData))
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
