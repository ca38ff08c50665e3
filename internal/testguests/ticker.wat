;; A well-behaved node for the hostile-module suite: it emits "tick" every
;; 10 ms of virtual time and echoes every message back to its sender.
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "terrarium" "timer_set" (func $timer_set (param i64) (result i64)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "tick{}")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (drop (call $timer_set (i64.const 10000000))))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (drop (call $send (local.get $from) (local.get $p) (local.get $n))))
  (func (export "on_timer") (param i64)
    (call $emit (i32.const 0) (i32.const 4) (i32.const 4) (i32.const 2))
    (drop (call $timer_set (i64.const 10000000)))))
