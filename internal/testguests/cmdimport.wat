;; A WASI command guest (it exports _start, not terrarium_abi_v1) that
;; imports a Terrarium host function, which command guests may not.
(module
  (import "terrarium" "now" (func $now (result i64)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $now))))
