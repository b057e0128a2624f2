// Package app holds what the example programs share: reading amounts, a
// console that prompts for lines and for secrets without echo, a PIN pad
// over that console, the virtual issuer as an emv.Host, card profiles by
// name or file, opening a PC/SC reader for one transaction, and writing a
// recorded session to a file.
//
// It is part of the examples, not of the library: terminal applications
// bring their own PIN pad, host link and reader handling.
package app
