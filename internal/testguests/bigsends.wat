;; Hostile: sends itself (it runs as index 1 in the hostile suite) twenty
;; messages of 4 MiB from on_init, 80 MiB in one callback. The
;; send_bytes_per_callback quota (16 MiB) crashes it at the 5th.
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 65)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 0))
  (func (export "on_init") (param i32 i32)
    (local $i i32)
    (loop $l
      (drop (call $send (i32.const 1) (i32.const 0) (i32.const 4194304)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 20)))))
  (func (export "on_message") (param i32 i32 i32)))
