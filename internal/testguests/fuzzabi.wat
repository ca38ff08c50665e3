;; Calls host functions with arguments taken from its messages, for the fuzz
;; test of the ABI boundary. A message is a sequence of 49-byte records: one
;; selector byte and six little-endian i64 arguments (each import takes the
;; low 32 bits where it wants an i32). Selectors, modulo 23: 0 send,
;; 1 timer_set, 2 timer_cancel, 3 now, 4 rand, 5 kv_get, 6 kv_put,
;; 7 kv_delete, 8 kv_scan, 9 kv_sync, 10 log, 11 emit, 12 poll_oneoff,
;; 13 fd_write, 14 env.abort, 15 random_get, 16 clock_time_get,
;; 17 node_name, 18 node_index; and the bulk instructions that fuel
;; charges by length (internal/fuel/bulk.go): 19 memory.fill, 20 memory.copy,
;; 21 table.grow, 22 table.fill (on a table of one element).
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "terrarium" "timer_set" (func $timer_set (param i64) (result i64)))
  (import "terrarium" "timer_cancel" (func $timer_cancel (param i64) (result i32)))
  (import "terrarium" "now" (func $now (result i64)))
  (import "terrarium" "rand" (func $rand (result i64)))
  (import "terrarium" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "terrarium" "kv_put" (func $kv_put (param i32 i32 i32 i32) (result i32)))
  (import "terrarium" "kv_delete" (func $kv_delete (param i32 i32) (result i32)))
  (import "terrarium" "kv_scan" (func $kv_scan (param i32 i32 i32 i32) (result i32)))
  (import "terrarium" "kv_sync" (func $kv_sync (result i32)))
  (import "terrarium" "log" (func $log (param i32 i32 i32)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (import "terrarium" "node_name" (func $node_name (param i32 i32 i32) (result i32)))
  (import "terrarium" "node_index" (func $node_index (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 2)
  (table $t 1 funcref)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 65536))
  (func (export "on_init") (param i32 i32))
  (func $arg (param $r i32) (param $k i32) (result i64)
    (i64.load (i32.add (i32.add (local.get $r) (i32.const 1)) (i32.mul (local.get $k) (i32.const 8)))))
  (func $a (param $r i32) (param $k i32) (result i32)
    (i32.wrap_i64 (call $arg (local.get $r) (local.get $k))))
  (func $call (param $r i32)
    (local $sel i32)
    (local.set $sel (i32.rem_u (i32.load8_u (local.get $r)) (i32.const 23)))
    (block $b22 (block $b21 (block $b20 (block $b19
    (block $b18 (block $b17 (block $b16 (block $b15 (block $b14 (block $b13 (block $b12 (block $b11 (block $b10
    (block $b9 (block $b8 (block $b7 (block $b6 (block $b5 (block $b4 (block $b3 (block $b2
    (block $b1 (block $b0
      (br_table $b0 $b1 $b2 $b3 $b4 $b5 $b6 $b7 $b8 $b9 $b10 $b11 $b12 $b13 $b14 $b15 $b16 $b17 $b18 $b19 $b20 $b21 $b22 (local.get $sel)))
      (drop (call $send (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)))) (return))
      (drop (call $timer_set (call $arg (local.get $r) (i32.const 0)))) (return))
      (drop (call $timer_cancel (call $arg (local.get $r) (i32.const 0)))) (return))
      (drop (call $now)) (return))
      (drop (call $rand)) (return))
      (drop (call $kv_get (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)) (call $a (local.get $r) (i32.const 3)))) (return))
      (drop (call $kv_put (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)) (call $a (local.get $r) (i32.const 3)))) (return))
      (drop (call $kv_delete (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)))) (return))
      (drop (call $kv_scan (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)) (call $a (local.get $r) (i32.const 3)))) (return))
      (drop (call $kv_sync)) (return))
      (call $log (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2))) (return))
      (call $emit (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)) (call $a (local.get $r) (i32.const 3))) (return))
      (drop (call $poll (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)) (call $a (local.get $r) (i32.const 3)))) (return))
      (drop (call $fd_write (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)) (call $a (local.get $r) (i32.const 3)))) (return))
      (call $abort (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)) (call $a (local.get $r) (i32.const 3))) (return))
      (drop (call $random_get (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)))) (return))
      (drop (call $clock (call $a (local.get $r) (i32.const 0)) (call $arg (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)))) (return))
      (drop (call $node_name (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2)))) (return))
      (drop (call $node_index (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)))) (return))
      (memory.fill (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2))) (return))
      (memory.copy (call $a (local.get $r) (i32.const 0)) (call $a (local.get $r) (i32.const 1)) (call $a (local.get $r) (i32.const 2))) (return))
      (drop (table.grow $t (ref.null func) (call $a (local.get $r) (i32.const 0)))) (return))
    (table.fill $t (call $a (local.get $r) (i32.const 0)) (ref.null func) (call $a (local.get $r) (i32.const 1))))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $l
        (br_if $done (i32.gt_u (i32.add (local.get $p) (i32.const 49)) (local.get $end)))
        (call $call (local.get $p))
        (local.set $p (i32.add (local.get $p) (i32.const 49)))
        (br $l))))
  (func (export "on_timer") (param i64)))
