// Package attack is the process-level hostile suite of `terrarium serve`:
// its tests build the terrarium binary, start a real server on 127.0.0.1
// with a temporary data folder, attack it (only there, each attack bounded
// in time and count) and assert that the server's own memory stays flat,
// that it keeps answering, and what it answers. It has no code of its own.
//
// The slow cases run when TERRARIUM_SLOW=1 is set (CI sets it once).
package attack
