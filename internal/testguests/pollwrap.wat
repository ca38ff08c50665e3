;; Hostile: calls WASI poll_oneoff with nsubscriptions = 2^28, whose
;; 48-byte records (12 GiB) wrapped to 0 bytes in 32-bit arithmetic. The
;; host must see the range is outside memory: an ABI violation.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (drop (call $poll (i32.const 0) (i32.const 0) (i32.const 268435456) (i32.const 0))))
  (func (export "on_message") (param i32 i32 i32)))
