;; Gear scan for the content-defined chunker: the same loop as `scanJs` in gear-scan.ts, in
;; WebAssembly. Source of the bytes in gear-scan-wasm.ts: after editing, run
;;   node --import tsx packages/core/src/chunking/gear-scan.assemble.ts
;; (gear-scan.test.ts fails while the two differ).
;;
;; Memory (one 64 KiB page, filled by the host): the 256 gear words at byte 0 (little-endian
;; int32), input bytes from byte 1024 on. Why it is faster than V8's code for the JS loop: no
;; bounds checks (the page's guard region covers them), and the hash chain is one `lea` per byte.
;; Unrolled 8 times so the loop's own test is paid once per 8 bytes.
(module
  (memory (export "memory") 1 1)
  ;; The hash after the last byte hashed by `scan` (the host reads it back).
  (global $h (export "h") (mut i32) (i32.const 0))

  ;; Gear step per byte: h = (h << 1) + GEAR[byte]. Hash bytes [$i, $to) starting from hash $h0; stop after the first byte whose hash passes
  ;; (h & $mask) == 0 and return the index just past it, or -1 if none did. The hash is left in
  ;; the global $h either way.
  (func (export "scan") (param $i i32) (param $to i32) (param $mask i32) (param $h0 i32) (result i32)
    (local $h i32)
    (local $end8 i32)
    (local.set $h (local.get $h0))
    (local.set $end8 (i32.sub (local.get $to) (i32.const 7)))
    (block $cut
      ;; 8 bytes per turn while at least 8 remain.
      (block $tail
        (br_if $tail (i32.ge_s (local.get $i) (local.get $end8)))
        (loop $eight
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u offset=0 (local.get $i)) (i32.const 2)))))
          (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
            (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $cut)))
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u offset=1 (local.get $i)) (i32.const 2)))))
          (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
            (then (local.set $i (i32.add (local.get $i) (i32.const 2))) (br $cut)))
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u offset=2 (local.get $i)) (i32.const 2)))))
          (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
            (then (local.set $i (i32.add (local.get $i) (i32.const 3))) (br $cut)))
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u offset=3 (local.get $i)) (i32.const 2)))))
          (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
            (then (local.set $i (i32.add (local.get $i) (i32.const 4))) (br $cut)))
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u offset=4 (local.get $i)) (i32.const 2)))))
          (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
            (then (local.set $i (i32.add (local.get $i) (i32.const 5))) (br $cut)))
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u offset=5 (local.get $i)) (i32.const 2)))))
          (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
            (then (local.set $i (i32.add (local.get $i) (i32.const 6))) (br $cut)))
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u offset=6 (local.get $i)) (i32.const 2)))))
          (if (i32.eqz (i32.and (local.get $h) (local.get $mask)))
            (then (local.set $i (i32.add (local.get $i) (i32.const 7))) (br $cut)))
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u offset=7 (local.get $i)) (i32.const 2)))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))
          (br_if $cut (i32.eqz (i32.and (local.get $h) (local.get $mask))))
          (br_if $eight (i32.lt_s (local.get $i) (local.get $end8)))))
      ;; The last 0–7 bytes, one at a time.
      (block $done
        (br_if $done (i32.ge_s (local.get $i) (local.get $to)))
        (loop $one
          (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
            (i32.load (i32.shl (i32.load8_u (local.get $i)) (i32.const 2)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $cut (i32.eqz (i32.and (local.get $h) (local.get $mask))))
          (br_if $one (i32.lt_s (local.get $i) (local.get $to)))))
      (global.set $h (local.get $h))
      (return (i32.const -1)))
    (global.set $h (local.get $h))
    (local.get $i))
)
