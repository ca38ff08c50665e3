;; Fills 64 KiB of its memory with memory.fill in an endless loop in
;; on_init: a few instructions an iteration, but 65,536 bytes written each
;; time, so only a fuel charge by length stops it in bounded host time
;; (issue 15: 140 bytes of this froze the server).
(module
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (loop $l
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 65536))
      (br $l)))
  (func (export "on_message") (param i32 i32 i32)))
