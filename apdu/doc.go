// Package apdu carries ISO 7816-4 commands to a card and brings back its
// answers.
//
// It owns the command and response encodings (cases 1 to 4, short lengths),
// the EMV commands of Book 3 §6.5 and Book 1 §11, the status-word table
// ([SW] and its names), and the one seam every card sits behind:
// [Transceiver]. A PC/SC reader, a recorded session, a contactless front end
// and the virtual test card all implement it.
//
// The T=0 procedures (61xx followed by GET RESPONSE, 6Cxx re-sent with the
// right Le; EMV Book 1 §9.3 and Annex A) live in one wrapper here, so the
// kernel's steps never see them. A trace recorder and a replaying
// Transceiver make sessions repeatable byte for byte; the data of VERIFY
// commands (the PIN block) is redacted before anything is recorded.
package apdu
