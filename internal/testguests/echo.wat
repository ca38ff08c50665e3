;; A tiny reactor guest: replies to every message with the same bytes.
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param $n i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (drop (call $send (local.get $from) (local.get $p) (local.get $n))))
  (func (export "on_timer") (param i64)))
