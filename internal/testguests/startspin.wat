;; Hostile: its start function never returns. It runs on the start budget
;; and must crash with "cpu budget exhausted in start", not "unreachable".
(module
  (memory (export "memory") 1)
  (func $spin (loop $l (br $l)))
  (start $spin)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param i32 i32 i32)))
