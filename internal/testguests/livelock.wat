;; Hostile: a timer that re-arms itself with delay 0, so virtual time would
;; never advance. The callbacks_per_instant quota crashes it.
(module
  (import "terrarium" "timer_set" (func $timer_set (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $timer_set (i64.const 0))))
  (func (export "on_message") (param i32 i32 i32))
  (func (export "on_timer") (param i64) (drop (call $timer_set (i64.const 0)))))
