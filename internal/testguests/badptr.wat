;; Breaks the ABI: sends a message whose bytes lie past the end of memory.
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param $from i32) (param i32 i32)
    (drop (call $send (local.get $from) (i32.const 65000) (i32.const 4096)))))
