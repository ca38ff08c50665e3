;; Hostile: kv_put of a value one byte over the largest (65,537 bytes, which
;; must return -3), then of the largest (65,536 bytes) and kv_sync (which
;; panicked inside Badger's in-memory store), then another largest value
;; left unsynced before it traps, so that the crash flushes it. Each result
;; is emitted as "rc" with a one-digit code: "0", "-3", ...
(module
  (import "terrarium" "kv_put" (func $put (param i32 i32 i32 i32) (result i32)))
  (import "terrarium" "kv_sync" (func $sync (result i32)))
  (import "terrarium" "emit" (func $emit (param i32 i32 i32 i32)))
  (memory (export "memory") 3)
  (data (i32.const 0) "big1big2rc")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func $report (param $rc i32)
    (if (i32.lt_s (local.get $rc) (i32.const 0))
      (then
        (i32.store8 (i32.const 32) (i32.const 45))
        (i32.store8 (i32.const 33) (i32.add (i32.const 48) (i32.sub (i32.const 0) (local.get $rc))))
        (call $emit (i32.const 8) (i32.const 2) (i32.const 32) (i32.const 2)))
      (else
        (i32.store8 (i32.const 32) (i32.add (i32.const 48) (local.get $rc)))
        (call $emit (i32.const 8) (i32.const 2) (i32.const 32) (i32.const 1)))))
  (func (export "on_init") (param i32 i32)
    (call $report (call $put (i32.const 0) (i32.const 4) (i32.const 65536) (i32.const 65537)))
    (call $report (call $put (i32.const 0) (i32.const 4) (i32.const 65536) (i32.const 65536)))
    (call $report (call $sync))
    (call $report (call $put (i32.const 4) (i32.const 4) (i32.const 65536) (i32.const 65536)))
    unreachable)
  (func (export "on_message") (param i32 i32 i32)))
