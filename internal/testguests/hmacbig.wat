;; On each message, asks the host for HMAC-SHA256 of its whole first 16
;; pages (1 MiB) under an empty key (hmac_sha256), and emits "mac" with
;; the 32 bytes. The host charges fuel for the bytes it hashes, so a small
;; limits.fuel stops it.
(module
  (import "terrarium" "hmac_sha256" (func $hmac (param i32 i32 i32 i32 i32) (result i32)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 17)
  (data (i32.const 1114000) "mac")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1100000))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param i32 i32 i32)
    (drop (call $hmac (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1048576) (i32.const 1113900)))
    (call $emit (i32.const 1114000) (i32.const 3) (i32.const 1113900) (i32.const 32))))
