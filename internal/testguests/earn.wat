;; Sends each message back to its sender 100 times, looping 1,000 times
;; between sends: work that only fits a small budget because each byte sent
;; earns fuel (wasmhost's fuel per byte). It emits "done" at the end.
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "done")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (local $i i32) (local $j i32)
    (loop $sends
      (drop (call $send (local.get $from) (local.get $p) (local.get $n)))
      (local.set $j (i32.const 0))
      (loop $spin
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $spin (i32.lt_u (local.get $j) (i32.const 1000))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $sends (i32.lt_u (local.get $i) (i32.const 100))))
    (call $emit (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0))))
