;; Hostile: sends itself one message at boot and answers every message with
;; two more to itself, doubling the load at every hop. With a constant
;; latency they all land at the same instants, and callbacks_per_instant
;; crashes it. It finds its own index in the init document.
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $me (mut i32) (i32.const 0))
  (data (i32.const 16) "\22index\22:")
  (data (i32.const 32) "{\22type\22:\22flood\22}")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  ;; $index parses the number after "index": in the init document.
  (func $index (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32) (local $v i32) (local $c i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $i (local.get $p))
    (block $found
      (loop $scan
        (if (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $end)) (then (return (i32.const 0))))
        (br_if $found (i64.eq (i64.load (local.get $i)) (i64.load (i32.const 16))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (local.set $i (i32.add (local.get $i) (i32.const 8)))
    (block $done
      (loop $digits
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
        (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
        (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $c)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digits)))
    (local.get $v))
  (func (export "on_init") (param $p i32) (param $n i32)
    (global.set $me (call $index (local.get $p) (local.get $n)))
    (drop (call $send (global.get $me) (i32.const 32) (i32.const 16))))
  (func (export "on_message") (param i32 i32 i32)
    (drop (call $send (global.get $me) (i32.const 32) (i32.const 16)))
    (drop (call $send (global.get $me) (i32.const 32) (i32.const 16)))))
