;; Grows its memory to the full 65,536 pages (4 GiB) at boot, writes the
;; last byte and the first, reads them back, and emits "mem" with the page
;; count as 4 little-endian bytes and the two bytes read. It then sends a
;; message from the last 16 bytes of memory to itself (index 0).
(module
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "mem")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (drop (memory.grow (i32.const 65535)))
    (i32.store8 (i32.const -1) (i32.const 42))
    (i32.store8 (i32.const 100) (i32.const 7))
    (i32.store (i32.const 16) (memory.size))
    (i32.store8 (i32.const 20) (i32.load8_u (i32.const -1)))
    (i32.store8 (i32.const 21) (i32.load8_u (i32.const 100)))
    (call $emit (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 6))
    (drop (call $send (i32.const 0) (i32.const -16) (i32.const 16))))
  (func (export "on_message") (param i32 i32 i32)))
