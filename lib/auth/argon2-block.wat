;; Argon2's compression function G (RFC 9106 §3.5-3.6) on native 64-bit words, for ./argon2.ts.
;; Source of the bytes in ./argon2-block.wasm.ts: after editing, run `npm run gen:argon2-wasm`
;; (spec/auth/argon2-wasm.spec.ts fails while the two differ).
;;
;; Memory, imported (./argon2.ts sizes it per hash), little-endian like RFC 9106's blocks:
;;   [0, 1024)     R, G's working block
;;   [1024, 4096)  argon2id's address block, input block and zero block (§3.4.1.2), set up in JS
;;   [4096, ...)   the memory B: block i of the whole matrix at 4096 + 1024·i
;; A block is 128 64-bit words, RFC 9106's 8x8 matrix of 16-byte registers, row by row.
(module
  (import "env" "memory" (memory 1))

  ;; GB (RFC 9106 Figure 19) on the words of R at byte offsets $a, $b, $c, $d. Each BlaMka step
  ;; x = x + y + 2·lo32(x)·lo32(y) (mod 2^64) is written out in place: a function for it, called
  ;; 4 times per G, made the whole hash ~3x slower (Node 20's V8 does not inline wasm calls).
  (func $G (param $a i32) (param $b i32) (param $c i32) (param $d i32)
    (local $va i64) (local $vb i64) (local $vc i64) (local $vd i64)
    (local.set $va (i64.load (local.get $a)))
    (local.set $vb (i64.load (local.get $b)))
    (local.set $vc (i64.load (local.get $c)))
    (local.set $vd (i64.load (local.get $d)))
    ;; a = a + b + 2·lo(a)·lo(b); d = (d ^ a) >>> 32
    (local.set $va (i64.add (i64.add (local.get $va) (local.get $vb))
      (i64.shl (i64.mul (i64.and (local.get $va) (i64.const 0xffffffff))
                        (i64.and (local.get $vb) (i64.const 0xffffffff))) (i64.const 1))))
    (local.set $vd (i64.rotr (i64.xor (local.get $vd) (local.get $va)) (i64.const 32)))
    ;; c = c + d + 2·lo(c)·lo(d); b = (b ^ c) >>> 24
    (local.set $vc (i64.add (i64.add (local.get $vc) (local.get $vd))
      (i64.shl (i64.mul (i64.and (local.get $vc) (i64.const 0xffffffff))
                        (i64.and (local.get $vd) (i64.const 0xffffffff))) (i64.const 1))))
    (local.set $vb (i64.rotr (i64.xor (local.get $vb) (local.get $vc)) (i64.const 24)))
    ;; a = a + b + 2·lo(a)·lo(b); d = (d ^ a) >>> 16
    (local.set $va (i64.add (i64.add (local.get $va) (local.get $vb))
      (i64.shl (i64.mul (i64.and (local.get $va) (i64.const 0xffffffff))
                        (i64.and (local.get $vb) (i64.const 0xffffffff))) (i64.const 1))))
    (local.set $vd (i64.rotr (i64.xor (local.get $vd) (local.get $va)) (i64.const 16)))
    ;; c = c + d + 2·lo(c)·lo(d); b = (b ^ c) >>> 63
    (local.set $vc (i64.add (i64.add (local.get $vc) (local.get $vd))
      (i64.shl (i64.mul (i64.and (local.get $vc) (i64.const 0xffffffff))
                        (i64.and (local.get $vd) (i64.const 0xffffffff))) (i64.const 1))))
    (local.set $vb (i64.rotr (i64.xor (local.get $vb) (local.get $vc)) (i64.const 63)))
    (i64.store (local.get $a) (local.get $va))
    (i64.store (local.get $b) (local.get $vb))
    (i64.store (local.get $c) (local.get $vc))
    (i64.store (local.get $d) (local.get $vd)))

  ;; The permutation P (RFC 9106 Figures 17-18) on the 8 registers (word pairs) of R at byte
  ;; offsets $at + k·$stride, k = 0..7: a row of the matrix with $stride 16, a column with 128.
  (func $P (param $at i32) (param $stride i32)
    (local $v0 i32) (local $v2 i32) (local $v4 i32) (local $v6 i32)
    (local $v8 i32) (local $v10 i32) (local $v12 i32) (local $v14 i32)
    ;; v(2k) is word 0 of register k, v(2k+1) = v(2k) + 8 its word 1.
    (local.set $v0 (local.get $at))
    (local.set $v2 (i32.add (local.get $v0) (local.get $stride)))
    (local.set $v4 (i32.add (local.get $v2) (local.get $stride)))
    (local.set $v6 (i32.add (local.get $v4) (local.get $stride)))
    (local.set $v8 (i32.add (local.get $v6) (local.get $stride)))
    (local.set $v10 (i32.add (local.get $v8) (local.get $stride)))
    (local.set $v12 (i32.add (local.get $v10) (local.get $stride)))
    (local.set $v14 (i32.add (local.get $v12) (local.get $stride)))
    ;; columns of the 4x4 word matrix: G(v0, v4, v8, v12) ... G(v3, v7, v11, v15)
    (call $G (local.get $v0) (local.get $v4) (local.get $v8) (local.get $v12))
    (call $G (i32.add (local.get $v0) (i32.const 8)) (i32.add (local.get $v4) (i32.const 8))
             (i32.add (local.get $v8) (i32.const 8)) (i32.add (local.get $v12) (i32.const 8)))
    (call $G (local.get $v2) (local.get $v6) (local.get $v10) (local.get $v14))
    (call $G (i32.add (local.get $v2) (i32.const 8)) (i32.add (local.get $v6) (i32.const 8))
             (i32.add (local.get $v10) (i32.const 8)) (i32.add (local.get $v14) (i32.const 8)))
    ;; diagonals: G(v0, v5, v10, v15), G(v1, v6, v11, v12), G(v2, v7, v8, v13), G(v3, v4, v9, v14)
    (call $G (local.get $v0) (i32.add (local.get $v4) (i32.const 8))
             (local.get $v10) (i32.add (local.get $v14) (i32.const 8)))
    (call $G (i32.add (local.get $v0) (i32.const 8)) (local.get $v6)
             (i32.add (local.get $v10) (i32.const 8)) (local.get $v12))
    (call $G (local.get $v2) (i32.add (local.get $v6) (i32.const 8))
             (local.get $v8) (i32.add (local.get $v12) (i32.const 8)))
    (call $G (i32.add (local.get $v2) (i32.const 8)) (local.get $v4)
             (i32.add (local.get $v8) (i32.const 8)) (local.get $v14)))

  ;; out = P(X ^ Y) ^ X ^ Y, RFC 9106's G(X, Y), for the blocks at byte offsets $x, $y, $out; with
  ;; $xor ≠ 0 (version 0x13, passes after the first) the old out block is XORed in as well.
  ;; $out may be $x or $y: each word is read before it is written (the address blocks do that).
  (func (export "fillBlock") (param $x i32) (param $y i32) (param $out i32) (param $xor i32)
    (local $i i32) (local $r i64)
    ;; R = X ^ Y; out = R (or out ^= R)
    (local.set $i (i32.const 0))
    (loop $xy
      (local.set $r (i64.xor (i64.load (i32.add (local.get $x) (local.get $i)))
                             (i64.load (i32.add (local.get $y) (local.get $i)))))
      (i64.store (local.get $i) (local.get $r))
      (i64.store (i32.add (local.get $out) (local.get $i))
        (if (result i64) (local.get $xor)
          (then (i64.xor (local.get $r) (i64.load (i32.add (local.get $out) (local.get $i)))))
          (else (local.get $r))))
      (br_if $xy (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 8))) (i32.const 1024))))
    ;; P on each row (8 registers, 16 bytes apart), then on each column (128 bytes apart)
    (local.set $i (i32.const 0))
    (loop $rows
      (call $P (local.get $i) (i32.const 16))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 128))) (i32.const 1024))))
    (local.set $i (i32.const 0))
    (loop $columns
      (call $P (local.get $i) (i32.const 128))
      (br_if $columns (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (i32.const 128))))
    ;; out ^= R
    (local.set $i (i32.const 0))
    (loop $final
      (i64.store (i32.add (local.get $out) (local.get $i))
        (i64.xor (i64.load (i32.add (local.get $out) (local.get $i))) (i64.load (local.get $i))))
      (br_if $final (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 8))) (i32.const 1024)))))
)
