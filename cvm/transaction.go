package cvm

// TransactionClass is what a Transaction Type (9C) pays out or pays for,
// the one reading of 9C shared by the checks that depend on it: the CVM
// conditions of Book 3 Annex C3 here and the Application Usage Control
// check of Book 3 §10.4.2 in the kernel.
type TransactionClass uint8

// Transaction classes. Goods and services share ISO 8583 processing code
// 00; which of the two a purchase is the terminal says apart from 9C.
const (
	// ClassOther is every type that is neither goods, services nor cash:
	// refunds, inquiries, deposits, adjustments, pre-authorisations.
	ClassOther TransactionClass = iota
	// ClassGoodsAndServices is a purchase (00).
	ClassGoodsAndServices
	// ClassCash pays out cash: cash advance or withdrawal (01) and cash
	// disbursement (17).
	ClassCash
	// ClassCashback is a purchase of goods or services with cashback
	// (09).
	ClassCashback
)

// transactionClasses is the table of Transaction Types (9C, the first two
// digits of the ISO 8583:1987 processing code) by class; a type it does
// not list is ClassOther.
var transactionClasses = map[byte]TransactionClass{
	0x00:                ClassGoodsAndServices,
	TransactionCash:     ClassCash,
	0x17:                ClassCash,
	TransactionCashback: ClassCashback,
}

// ClassifyTransaction returns the class of Transaction Type typ (9C).
func ClassifyTransaction(typ byte) TransactionClass { return transactionClasses[typ] }

// String names the class.
func (c TransactionClass) String() string {
	switch c {
	case ClassGoodsAndServices:
		return "goods and services"
	case ClassCash:
		return "cash"
	case ClassCashback:
		return "cashback"
	}
	return "other"
}
