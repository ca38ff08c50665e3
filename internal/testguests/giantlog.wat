;; Hostile: writes 100 log lines of 64 MiB each from on_init (the memory is
;; 64 MiB and a page). Each line is truncated to log_line_bytes with a
;; marker, and log_bytes_per_callback crashes the node.
(module
  (import "terrarium" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1025)
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 67108864))
  (func (export "on_init") (param i32 i32)
    (local $i i32)
    (memory.fill (i32.const 0) (i32.const 65) (i32.const 67108864))
    (loop $l
      (call $log (i32.const 1) (i32.const 0) (i32.const 67108864))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100)))))
  (func (export "on_message") (param i32 i32 i32)))
