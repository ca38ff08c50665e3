;; A complete Terrarium node in WebAssembly text: Maelstrom's echo server.
;;
;;   request  {"src":"c0","dest":"n1","body":{"type":"echo","msg_id":7,"echo":"hi"}}
;;   reply    {"src":"n1","dest":"c0","body":{"type":"echo_ok","in_reply_to":7,"echo":"hi"}}
;;
;; It uses only the guest ABI v1 of docs/ABI.md: it exports memory,
;; terrarium_abi_v1, alloc, on_init and on_message, and imports send and log.
;; It answers to the host's sender index (the `from` of on_message), never to
;; what the envelope claims. A request it cannot read gets a Maelstrom error
;; body with code 12 (malformed-request) when it has a msg_id.
;;
;; Build: npx wat2wasm echo.wat -o echo.wasm (make examples does it).
(module
  (import "terrarium" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "terrarium" "log" (func $log (param i32 i32 i32)))

  ;; 160 pages (10 MiB): requests land at $IN (up to 4 MiB, the default
  ;; max_message_bytes), replies are built at $OUT.
  (memory (export "memory") 160)
  (global $IN i32 (i32.const 65536))
  (global $OUT i32 (i32.const 5242880))
  (global $MAX_IN i32 (i32.const 5177344)) ;; $OUT - $IN

  ;; String constants: offset, then length where they are used.
  (data (i32.const 0)   "\22src\22:\22")          ;; 7 bytes
  (data (i32.const 16)  "\22dest\22:\22")         ;; 8
  (data (i32.const 32)  "\22body\22:")            ;; 7
  (data (i32.const 48)  "\22msg_id\22:")          ;; 9
  (data (i32.const 64)  "\22echo\22:")            ;; 7
  (data (i32.const 80)  "{\22src\22:\22")         ;; 8
  (data (i32.const 96)  "\22,\22dest\22:\22")     ;; 10
  (data (i32.const 112) "\22,\22body\22:{\22type\22:\22echo_ok\22,\22in_reply_to\22:") ;; 41
  (data (i32.const 160) ",\22echo\22:")           ;; 8
  (data (i32.const 176) "}}")                     ;; 2
  (data (i32.const 192) "wat echo node ready")    ;; 19
  (data (i32.const 224) "\22,\22body\22:{\22type\22:\22error\22,\22code\22:12,\22text\22:\22not an echo request\22,\22in_reply_to\22:") ;; 78

  (func (export "terrarium_abi_v1"))

  ;; alloc: every message goes to $IN; a larger one than fits is refused by
  ;; returning a pointer outside memory (the host then crashes the node).
  (func (export "alloc") (param $size i32) (result i32)
    (if (result i32) (i32.le_u (local.get $size) (global.get $MAX_IN))
      (then (global.get $IN))
      (else (i32.const -1))))

  (func (export "on_init") (param $ptr i32) (param $len i32)
    (call $log (i32.const 1) (i32.const 192) (i32.const 19)))

  ;; $find returns the offset just past the first occurrence of the needle
  ;; [n, n+nlen) in [p, end), or -1.
  (func $find (param $p i32) (param $end i32) (param $n i32) (param $nlen i32) (result i32)
    (local $i i32) (local $j i32)
    (local.set $i (local.get $p))
    (block $none
      (loop $at
        (br_if $none (i32.gt_u (i32.add (local.get $i) (local.get $nlen)) (local.get $end)))
        (local.set $j (i32.const 0))
        (block $differ
          (loop $cmp
            (if (i32.eq (local.get $j) (local.get $nlen))
              (then (return (i32.add (local.get $i) (local.get $nlen)))))
            (br_if $differ (i32.ne (i32.load8_u (i32.add (local.get $i) (local.get $j)))
                                   (i32.load8_u (i32.add (local.get $n) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cmp)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $at)))
    (i32.const -1))

  ;; $stringEnd returns the offset of the quote that closes the JSON string
  ;; whose contents start at $p (backslash escapes skipped), or -1.
  (func $stringEnd (param $p i32) (param $end i32) (result i32)
    (local $c i32)
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.eq (local.get $c) (i32.const 34)) (then (return (local.get $p))))
        (if (i32.eq (local.get $c) (i32.const 92))
          (then (local.set $p (i32.add (local.get $p) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  ;; $valueEnd returns the end of the JSON value at $p: a string, or a
  ;; scalar up to the next , or }. (Objects and arrays are not echoed.)
  (func $valueEnd (param $p i32) (param $end i32) (result i32)
    (local $c i32) (local $q i32)
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i32.const -1))))
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 34))
      (then
        (local.set $q (call $stringEnd (i32.add (local.get $p) (i32.const 1)) (local.get $end)))
        (if (i32.lt_s (local.get $q) (i32.const 0)) (then (return (i32.const -1))))
        (return (i32.add (local.get $q) (i32.const 1)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.or (i32.eq (local.get $c) (i32.const 44)) (i32.eq (local.get $c) (i32.const 125))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $p))

  ;; $digitsEnd returns the end of the run of ASCII digits at $p.
  (func $digitsEnd (param $p i32) (param $end i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (br_if $done (i32.gt_u (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)) (i32.const 9)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $p))

  ;; $put copies [src, src+n) to $at and returns $at + n.
  (func $put (param $at i32) (param $src i32) (param $n i32) (result i32)
    (memory.copy (local.get $at) (local.get $src) (local.get $n))
    (i32.add (local.get $at) (local.get $n)))

  (func (export "on_message") (param $from i32) (param $p i32) (param $n i32)
    (local $end i32) (local $body i32)
    (local $s0 i32) (local $s1 i32) (local $d0 i32) (local $d1 i32)
    (local $m0 i32) (local $m1 i32) (local $e0 i32) (local $e1 i32)
    (local $out i32) (local $isEcho i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))

    ;; The envelope: src, dest, then the body.
    (local.set $s0 (call $find (local.get $p) (local.get $end) (i32.const 0) (i32.const 7)))
    (local.set $d0 (call $find (local.get $p) (local.get $end) (i32.const 16) (i32.const 8)))
    (local.set $body (call $find (local.get $p) (local.get $end) (i32.const 32) (i32.const 7)))
    (if (i32.or (i32.lt_s (local.get $s0) (i32.const 0))
          (i32.or (i32.lt_s (local.get $d0) (i32.const 0)) (i32.lt_s (local.get $body) (i32.const 0))))
      (then (return))) ;; not an envelope: nobody to answer
    (local.set $s1 (call $stringEnd (local.get $s0) (local.get $end)))
    (local.set $d1 (call $stringEnd (local.get $d0) (local.get $end)))
    (if (i32.or (i32.lt_s (local.get $s1) (i32.const 0)) (i32.lt_s (local.get $d1) (i32.const 0)))
      (then (return)))

    ;; The body: msg_id and echo. A request is an echo when it has both.
    (local.set $m0 (call $find (local.get $body) (local.get $end) (i32.const 48) (i32.const 9)))
    (if (i32.lt_s (local.get $m0) (i32.const 0)) (then (return))) ;; no msg_id: no reply
    (local.set $m1 (call $digitsEnd (local.get $m0) (local.get $end)))
    (local.set $e0 (call $find (local.get $body) (local.get $end) (i32.const 64) (i32.const 7)))
    (local.set $isEcho (i32.ge_s (local.get $e0) (i32.const 0)))
    (if (local.get $isEcho)
      (then
        (local.set $e1 (call $valueEnd (local.get $e0) (local.get $end)))
        (local.set $isEcho (i32.ge_s (local.get $e1) (i32.const 0)))))

    ;; The reply: {"src":<dest>,"dest":<src>,"body":{...}}.
    (local.set $out (call $put (global.get $OUT) (i32.const 80) (i32.const 8)))
    (local.set $out (call $put (local.get $out) (local.get $d0) (i32.sub (local.get $d1) (local.get $d0))))
    (local.set $out (call $put (local.get $out) (i32.const 96) (i32.const 10)))
    (local.set $out (call $put (local.get $out) (local.get $s0) (i32.sub (local.get $s1) (local.get $s0))))
    (if (local.get $isEcho)
      (then
        (local.set $out (call $put (local.get $out) (i32.const 112) (i32.const 41)))
        (local.set $out (call $put (local.get $out) (local.get $m0) (i32.sub (local.get $m1) (local.get $m0))))
        (local.set $out (call $put (local.get $out) (i32.const 160) (i32.const 8)))
        (local.set $out (call $put (local.get $out) (local.get $e0) (i32.sub (local.get $e1) (local.get $e0)))))
      (else
        (local.set $out (call $put (local.get $out) (i32.const 224) (i32.const 78)))
        (local.set $out (call $put (local.get $out) (local.get $m0) (i32.sub (local.get $m1) (local.get $m0))))))
    (local.set $out (call $put (local.get $out) (i32.const 176) (i32.const 2)))
    (drop (call $send (local.get $from) (global.get $OUT) (i32.sub (local.get $out) (global.get $OUT))))))
