;; Hostile: sends one million messages to node 0 from on_init. The
;; sends_per_callback quota crashes it at the first send over the quota.
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\22type\22:\22spam\22}")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (local $i i32)
    (loop $l
      (drop (call $send (i32.const 0) (i32.const 0) (i32.const 15)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000)))))
  (func (export "on_message") (param i32 i32 i32)))
