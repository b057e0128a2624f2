// Package apdu carries ISO 7816-4 commands to a card and brings back its
// answers.
//
// It owns the command and response encodings (cases 1 to 4, short lengths),
// the EMV commands of Book 3 §6.5 and Book 1 §11, the status-word table
// ([SW] and its names), and the one seam every card sits behind:
// [Transceiver]. A PC/SC reader, a recorded session, a contactless front end
// and the virtual test card all implement it. apdu imports no other package
// of this module.
//
// # Commands and responses
//
// [Command] encodes with [Command.Bytes] and decodes with [ParseCommand];
// the builders ([Select], [ReadRecord], [GetProcessingOptions],
// [GenerateAC], [GetData], [InternalAuthenticate], [ExternalAuthenticate],
// [GetChallenge], [Verify]) give the exact bytes the books define.
// [Exchange] sends one command and parses the [Response]; a status word the
// caller cannot accept becomes a [*StatusError].
//
// # T=0
//
// The T=0 procedures (61xx followed by GET RESPONSE, 6Cxx re-sent with the
// right Le, the case 4 warning of Annex A7; EMV Book 1 §9.3 and Annex A)
// live in one wrapper, [T0], so the kernel's steps never see them. Every
// round is bounded, and so is every answer: at most [MaxShortResponse]
// data bytes each (the most a short Le asks for), at most MaxResponse
// gathered for one command.
//
// # Traces, sessions and replay
//
// A [Recorder] wraps a Transceiver and keeps every exchange with its
// duration; [Recorder.WriteTrace] prints it for a person with the PAN and
// track 2 masked ([MaskPAN]). A [Session] is the JSON file format of
// testdata/README.md: a header saying where the session came from and what
// it proves, the kernel's part as raw JSON, and the exchanges.
// [ReadSession] reads it strictly and [Session.Write] writes it stably.
// [NewReplay] answers from a Session, byte for byte ([ReplayStrict]) or by
// command for recordings of another terminal ([ReplayByCommand]).
//
// # Secrets
//
// The data of VERIFY and PIN CHANGE/UNBLOCK (the PIN block, a new PIN) is
// redacted before anything is recorded ([RedactCommand]), is written as XX
// in session files, and no fmt verb prints it from a [Command]
// ([Command.Format]) or from an error of this package.
package apdu
