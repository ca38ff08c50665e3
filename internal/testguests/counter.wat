;; Counts its boots in the store under "boots" (synced), sets a 100 ms timer
;; at every boot, and on each timer emits "tick" and re-arms it. On a
;; message it writes "unsynced" without kv_sync.
(module
  (import "terrarium" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (import "terrarium" "kv_put" (func $put (param i32 i32 i32 i32) (result i32)))
  (import "terrarium" "kv_sync" (func $sync (result i32)))
  (import "terrarium" "timer_set" (func $tset (param i64) (result i64)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "terrarium" "now" (func $now (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "boots")      ;; key at 0, len 5
  (data (i32.const 16) "tick")      ;; key at 16, len 4
  (data (i32.const 32) "unsynced")  ;; key at 32, len 8
  ;; value buffer at 64 (4 bytes, little-endian i32)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (if (i32.eq (call $get (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 4)) (i32.const -1))
      (then (i32.store (i32.const 64) (i32.const 0))))
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
    (drop (call $put (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 4)))
    (drop (call $sync))
    (drop (call $tset (i64.const 100000000))))
  (func (export "on_message") (param i32 i32 i32)
    (drop (call $put (i32.const 32) (i32.const 8) (i32.const 64) (i32.const 4))))
  (func (export "on_timer") (param i64)
    (i64.store (i32.const 128) (call $now))
    (call $emit (i32.const 16) (i32.const 4) (i32.const 128) (i32.const 8))
    (drop (call $tset (i64.const 100000000)))))
