;; Grows its memory to the largest the host allows with memory_pages: 65536
;; (wasmhost.MaxUsablePages, 65,535 pages), checks that one page more is
;; refused, writes and reads back the last byte and the first, and emits
;; "mem": the page count (4 bytes, little-endian), the two bytes read, and
;; the result of the refused grow (4 bytes). It then sends a message from
;; the last 16 bytes of memory to itself (index 0).
(module
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "mem")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (drop (memory.grow (i32.const 65534)))
    (i32.store (i32.const 22) (memory.grow (i32.const 1)))
    (i32.store8 (i32.const -65537) (i32.const 42))
    (i32.store8 (i32.const 100) (i32.const 7))
    (i32.store (i32.const 16) (memory.size))
    (i32.store8 (i32.const 20) (i32.load8_u (i32.const -65537)))
    (i32.store8 (i32.const 21) (i32.load8_u (i32.const 100)))
    (call $emit (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 10))
    (drop (call $send (i32.const 0) (i32.const -65552) (i32.const 16))))
  (func (export "on_message") (param i32 i32 i32)))
