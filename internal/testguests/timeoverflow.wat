;; Hostile: at 1 ms it sets a timer near 2^63 ns and one of 2.8 h (whose
;; drift scaling overflowed), emits now() as 8 little-endian bytes under
;; "now", and keeps emitting now() from a 1 ms timer.
(module
  (import "terrarium" "timer_set" (func $timer_set (param i64) (result i64)))
  (import "terrarium" "now" (func $now (result i64)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (global $armed (mut i32) (i32.const 0))
  (data (i32.const 0) "now")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $timer_set (i64.const 1000000))))
  (func (export "on_message") (param i32 i32 i32))
  (func (export "on_timer") (param i64)
    (if (i32.eqz (global.get $armed))
      (then
        (global.set $armed (i32.const 1))
        (drop (call $timer_set (i64.const 0x7ffffffffffffff0)))
        (drop (call $timer_set (i64.const 10080000000000)))))
    (i64.store (i32.const 16) (call $now))
    (call $emit (i32.const 0) (i32.const 3) (i32.const 16) (i32.const 8))
    (drop (call $timer_set (i64.const 1000000)))))
