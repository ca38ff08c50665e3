;; Hostile: a timer that re-arms itself 1 ns later, forever. Every callback
;; is at a new virtual instant, so callbacks_per_instant never fires, and
;; one timer is pending at a time; callbacks_per_second crashes it.
(module
  (import "terrarium" "timer_set" (func $timer_set (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $timer_set (i64.const 1))))
  (func (export "on_message") (param i32 i32 i32))
  (func (export "on_timer") (param i64) (drop (call $timer_set (i64.const 1)))))
