// Package app holds what the example programs share and a terminal
// application would do its own way: card profiles by name or file,
// opening a PC/SC reader for one transaction, and writing a recorded
// session to a file. The building blocks a terminal imports (console,
// PIN pad, amounts, demo configuration, hosts) are in package termkit.
package app
