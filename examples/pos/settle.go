package main

import (
	"context"
	"fmt"
	"strings"
)

// networkRequest is an ISO 8583 network management (0800 sign-on, 0820
// sign-off) or reconciliation (0500 settlement) message; its String is
// the log line.
func (c *counter) networkRequest(mti, code string, stan uint32, extra string) *authRequest {
	return &authRequest{MTI: mti, ProcessingCode: code, STAN: stan, Time: c.env.now(), TerminalID: c.cfg.TerminalID,
		MerchantID: c.cfg.MerchantID, Currency: c.cfg.Currency, Network: extra}
}

// signOnline signs the terminal on with the acquirer (0800, field 60 the
// batch number and "001" sign-on; the answer 0810): the counter does it
// before its first transaction, and again before the next one when the
// line was down.
func (c *counter) signOnline(ctx context.Context) error {
	if c.online0800 {
		return nil
	}
	b, err := c.journal.batch()
	if err != nil {
		return err
	}
	stan, err := c.journal.nextSTAN()
	if err != nil {
		return err
	}
	c.con.Printf("%s\n", c.tr("signOnline"))
	resp, _, err := c.exchange(ctx, c.networkRequest("0800", "", stan, fmt.Sprintf("60=00%06d001 63=%s", b, c.operator)))
	if err != nil {
		return err
	}
	if err := c.journal.addNetwork(stan, c.env.now(), "0800", responseCode(resp)); err != nil {
		return err
	}
	if resp == nil || resp.ResponseCode != "00" {
		c.con.Printf("%s\n", c.tr("signOnFailed"))
		return nil
	}
	c.online0800 = true
	return nil
}

// signOff signs the operator off and the terminal off with the acquirer
// (0820, field 60 "002" sign-off).
func (c *counter) signOff(ctx context.Context) error {
	if c.online0800 {
		b, err := c.journal.batch()
		if err != nil {
			return err
		}
		stan, err := c.journal.nextSTAN()
		if err != nil {
			return err
		}
		resp, _, err := c.exchange(ctx, c.networkRequest("0820", "", stan, fmt.Sprintf("60=00%06d002 63=%s", b, c.operator)))
		if err != nil {
			return err
		}
		if err := c.journal.addNetwork(stan, c.env.now(), "0820", responseCode(resp)); err != nil {
			return err
		}
		c.online0800 = false
	}
	c.con.Printf(c.tr("signedOff")+"\n", c.operator)
	return nil
}

// total is the count and amount of one kind of transaction in a batch.
type total struct {
	count  int
	amount uint64
}

// settleKinds are the lines of the settlement report, in order.
var settleKinds = []string{"sale", "completion", "refund", "void", "preauth", "balance"}

// settle is the end of the day (结算): the totals of the open batch by
// kind (approved, not reversed; a voided sale is left out of the sales
// and its void listed), the 0500 exchange that gives them to the
// acquirer, the batch closed and the next one opened. Pre-authorisations
// and balance inquiries move no money: they are counted but not in the
// net amount.
func (c *counter) settle(ctx context.Context) error {
	c.con.Printf("\n--- %s ---\n", c.tr("settlement"))
	b, err := c.journal.batch()
	if err != nil {
		return err
	}
	es, err := c.journal.entries(b)
	if err != nil {
		return err
	}
	totals := map[string]*total{}
	for _, k := range settleKinds {
		totals[k] = &total{}
	}
	for _, e := range es {
		counted := e.approved() || e.Kind == "balance" && e.Outcome == "balance read" ||
			e.Kind == "balance" && e.Outcome == "approved"
		if e.Kind == "sale" && e.Voided && !e.Reversed {
			counted = false
		}
		if t := totals[e.Kind]; t != nil && counted {
			t.count++
			t.amount += e.Amount
		}
	}
	debits := totals["sale"].amount + totals["completion"].amount
	credits := totals["refund"].amount
	stan, err := c.journal.nextSTAN()
	if err != nil {
		return err
	}
	req := c.networkRequest("0500", "", stan, fmt.Sprintf("60=00%06d201 74=%010d 76=%010d 88=%016d 86=%016d",
		b, totals["sale"].count+totals["completion"].count, totals["refund"].count, credits, debits))
	resp, _, err := c.exchange(ctx, req)
	if err != nil {
		return err
	}
	if err := c.journal.addNetwork(stan, c.env.now(), "0500", responseCode(resp)); err != nil {
		return err
	}
	if resp == nil {
		c.con.Printf("%s\n", c.tr("settleFailed"))
		return nil
	}

	var sb strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&sb, format+"\n", a...) }
	pair := func(left, right string) {
		line("%s%s%s", left, strings.Repeat(" ", max(1, receiptWidth-width(left)-width(right))), right)
	}
	rule := strings.Repeat("=", receiptWidth)
	line("%s", rule)
	title := c.tr("settleReport")
	line("%s%s", strings.Repeat(" ", (receiptWidth-width(title))/2), title)
	c.receiptHead(pair, c.env.now(), c.operator, b, stan)
	line("")
	for _, name := range settleKinds {
		k := kindByName(name)
		t := totals[name]
		pair(fmt.Sprintf("%s %d", c.kindName(k), t.count), c.money(t.amount))
	}
	line("")
	net := int64(debits) - int64(credits)
	sign := ""
	if net < 0 {
		sign, net = "-", -net
	}
	pair(c.tr("net"), sign+c.money(uint64(net)))
	if resp.ResponseCode == "00" {
		line("%s", c.tr("balanced"))
	} else {
		line(c.tr("notBalanced"), resp.ResponseCode)
	}
	line("%s", rule)
	c.con.Printf("\n%s", sb.String())
	closed, err := c.journal.closeBatch(c.env.now())
	if err != nil {
		return err
	}
	c.con.Printf(c.tr("batchClosed")+"\n", closed, closed+1)
	return nil
}

func kindByName(name string) *kind {
	for _, k := range menu {
		if k.name == name {
			return k
		}
	}
	return nil
}

// responseCode is an answer's field 39, "" when there was no answer.
func responseCode(r *authResponse) string {
	if r == nil {
		return ""
	}
	return r.ResponseCode
}
