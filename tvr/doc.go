// Package tvr owns the bit names of the Terminal Verification Results (tag
// 95, EMV 4.4 Book 3 Annex C5) and the Transaction Status Information (tag
// 9B, Annex C6).
//
// It is a leaf below every package that sets these bits (the contact kernel
// in package emv, cardholder verification in package cvm, and the
// contactless kernels under contactless/), so that all of them name the bits
// from one table.
package tvr
