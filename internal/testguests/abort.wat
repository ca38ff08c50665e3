;; Calls env.abort the way AssemblyScript's runtime does: the message and
;; the file name are AssemblyScript strings (UTF-16LE, byte length in the
;; u32 before the data), then a line and a column.
(module
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  ;; "boom: héllo" (11 UTF-16 units = 22 bytes) at 64
  (data (i32.const 60) "\16\00\00\00b\00o\00o\00m\00:\00 \00h\00\e9\00l\00l\00o\00")
  ;; "assembly/index.ts" (17 units = 34 bytes) at 128
  (data (i32.const 124) "\22\00\00\00a\00s\00s\00e\00m\00b\00l\00y\00/\00i\00n\00d\00e\00x\00.\00t\00s\00")
  (func (export "terrarium_abi_v1"))
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "on_init") (param i32 i32)
    (call $abort (i32.const 64) (i32.const 128) (i32.const 12) (i32.const 34)))
  (func (export "on_message") (param i32 i32 i32)))
