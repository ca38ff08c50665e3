;; Looks names up through the host (node_index, node_name). A message is an
;; endpoint's name; the guest replies to the sender with two messages: the
;; name found again from that name's index ("?" if the host knows no such
;; name), then the sender's own name from its index.
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "terrarium" "node_name" (func $node_name (param i32 i32 i32) (result i32)))
  (import "terrarium" "node_index" (func $node_index (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 2048) "?")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param $n i32) (result i32) (i32.const 4096))
  (func (export "on_init") (param i32 i32))
  (func $reply_name (param $to i32) (param $i i32)
    (local $l i32)
    (local.set $l (call $node_name (local.get $i) (i32.const 1024) (i32.const 64)))
    (if (i32.lt_s (local.get $l) (i32.const 0))
      (then (drop (call $send (local.get $to) (i32.const 2048) (i32.const 1))) (return)))
    (drop (call $send (local.get $to) (i32.const 1024) (local.get $l))))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (call $reply_name (local.get $from) (call $node_index (local.get $p) (local.get $n)))
    (call $reply_name (local.get $from) (local.get $from)))
  (func (export "on_timer") (param i64)))
