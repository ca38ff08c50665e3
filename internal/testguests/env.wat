;; Replies to every message with its WASI environment: the variables'
;; bytes as environ_get lays them out (each KEY=value ends with a NUL).
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 32768))
  (func (export "on_init") (param i32 i32))
  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 64) (i32.const 1024)))
    (drop (call $send (local.get $from) (i32.const 1024) (i32.load (i32.const 4))))))
