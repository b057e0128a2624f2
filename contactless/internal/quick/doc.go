// Package quick holds the steps that the "quick" contactless kernels share:
// Kernel 3 (Book C-3, Visa qVSDC) and Kernel 7 (Book C-7, UnionPay
// QuickPass, qUICS/qPBOC). Both take the whole card transaction from one
// GET PROCESSING OPTIONS whose format 2 response carries the cryptogram,
// read the records of the AFL, authenticate an offline approval with fast
// DDA (fDDA), and choose the cardholder verification from the Terminal
// Transaction Qualifiers (9F66) and the Card Transaction Qualifiers (9F6C),
// whose bits the two books place alike.
//
// The package works on bytes, small values and the reader's side of a
// transaction ([Reader], which each kernel's state embeds): each kernel
// keeps its own card data and the rules where its book differs (Kernel 3's
// issuer update processing, Kernel 7's required PDOL and fDDA version), and
// calls these for the parts its book words the same way: the outcomes
// ([Ending], [EndApplication], ...), the GET PROCESSING OPTIONS response
// ([GPOStatus], [ParseGPOResponse]), the records ([ReadAFL]), fDDA
// ([FDDA], [AuthenticateFDDA]) and the CVM ([VerifyCardholder]). The
// package is internal to contactless: it is not an API.
package quick
