;; Grows its table by 2^27 elements in on_init: 1 GiB of host memory in
;; wazero (8 bytes an element), more than the default memory budget of
;; 256 MiB that linear memory and tables share (issue 15: 2^31-1 took the
;; server down with a 16 GiB allocation). Emits "grew" if the grow
;; returns at all.
(module
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (data (i32.const 0) "grew")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (drop (table.grow $t (ref.null func) (i32.const 0x8000000)))
    (call $emit (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0)))
  (func (export "on_message") (param i32 i32 i32)))
