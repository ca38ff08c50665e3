;; A WASI command guest whose _start returns at once, without proc_exit.
(module
  (memory (export "memory") 1)
  (func (export "_start")))
