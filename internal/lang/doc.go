// Package lang chooses the language of the cardholder messages from a
// card's Language Preference (5F2D) and the languages a terminal has
// (Book 4 §11.1, Book A §7.1). It is the one rule the contact kernel
// (package emv) and the contactless Entry Point (package contactless) both
// apply; it sits below both so that neither imports the other.
package lang
