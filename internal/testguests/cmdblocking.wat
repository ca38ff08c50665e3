;; A WASI command guest that reads stdin with plain blocking fd_read (no
;; FD_NONBLOCK, no poll_oneoff), as Rust's or C's standard library would,
;; and after each read writes one {"type":"seen"} envelope to c0. It never
;; answers init.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; the read iovec: 4096 bytes at 1024; nread at 8
  (data (i32.const 0) "\00\04\00\00\00\10\00\00")
  ;; the write iovec: the line at 100, 48 bytes; nwritten at 24
  (data (i32.const 16) "\64\00\00\00\30\00\00\00")
  (data (i32.const 100) "{\"src\":\"n0\",\"dest\":\"c0\",\"body\":{\"type\":\"seen\"}}\n")
  (func (export "_start")
    (loop $l
      (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
      (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
      (br $l))))
