// Package tvr owns the bit names of the Terminal Verification Results (tag
// 95, EMV 4.4 Book 3 Annex C5) and the Transaction Status Information (tag
// 9B, Annex C6).
//
// It is a leaf so that every package that sets these bits (the kernel in
// package emv, cardholder verification in package cvm) names them from one
// table.
package tvr
