;; Hostile: fills its store with 64 KiB values, 100 puts and a kv_sync every
;; millisecond, until kv_put refuses. It then emits "full" with the code
;; kv_put returned (-5 once the store_bytes quota is reached) and stops.
(module
  (import "terrarium" "kv_put" (func $put (param i32 i32 i32 i32) (result i32)))
  (import "terrarium" "kv_sync" (func $sync (result i32)))
  (import "terrarium" "timer_set" (func $timer_set (param i64) (result i64)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 3)
  (global $key (mut i64) (i64.const 0))
  (data (i32.const 16) "full")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32) (drop (call $timer_set (i64.const 1000000))))
  (func (export "on_message") (param i32 i32 i32))
  (func (export "on_timer") (param i64)
    (local $i i32) (local $rc i32)
    (loop $l
      (global.set $key (i64.add (global.get $key) (i64.const 1)))
      (i64.store (i32.const 0) (global.get $key))
      (local.set $rc (call $put (i32.const 0) (i32.const 8) (i32.const 65536) (i32.const 65536)))
      (if (i32.ne (local.get $rc) (i32.const 0))
        (then
          ;; the code as one ASCII digit after a minus sign: "-5"
          (i32.store8 (i32.const 32) (i32.const 45))
          (i32.store8 (i32.const 33) (i32.add (i32.const 48) (i32.sub (i32.const 0) (local.get $rc))))
          (call $emit (i32.const 16) (i32.const 4) (i32.const 32) (i32.const 2))
          (drop (call $sync))
          (return)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))
    (drop (call $sync))
    (drop (call $timer_set (i64.const 1000000)))))
