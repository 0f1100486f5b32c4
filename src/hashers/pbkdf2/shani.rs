//! The PBKDF2-HMAC-SHA256 iteration loop on x86-64's SHA extensions (SHA-NI).
//!
//! Each iteration is HMAC of the previous 32-byte result: one compression from the fixed
//! inner state, one from the fixed outer state, both over a single block whose last eight
//! words are constant padding. Going through `sha2`'s compression function costs a round
//! trip per call: the state is stored, turned into big-endian bytes, loaded and swapped back,
//! and the SHA-NI register layout (ABEF/CDGH) is rebuilt. Here the digest stays in vector
//! registers as message words, the padding words and their round constants are fixed, and
//! only the 2 × 64 rounds and their message schedule remain. The generic loop in the parent
//! module is the reference; tests check both agree.
#![allow(unsafe_code)]

use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_extract_epi32, _mm_set_epi32,
    _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi32,
    _mm_xor_si128,
};

/// Whether this CPU has the instructions (checked once by `std`, then cached).
pub fn available() -> bool {
    is_x86_feature_detected!("sha")
        && is_x86_feature_detected!("sse4.1")
        && is_x86_feature_detected!("ssse3")
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Four words as lanes 0..3.
#[inline]
#[target_feature(enable = "sse2")]
fn lanes(w: [u32; 4]) -> __m128i {
    _mm_set_epi32(w[3] as i32, w[2] as i32, w[1] as i32, w[0] as i32)
}

/// `[A,B,C,D]`, `[E,F,G,H]` → the SHA-NI state layout `ABEF`, `CDGH`.
#[inline]
#[target_feature(enable = "sse2,ssse3,sse4.1")]
fn to_state(abcd: __m128i, efgh: __m128i) -> (__m128i, __m128i) {
    let badc = _mm_shuffle_epi32::<0xB1>(abcd);
    let hgfe = _mm_shuffle_epi32::<0x1B>(efgh);
    (
        _mm_alignr_epi8::<8>(badc, hgfe),
        _mm_blend_epi16::<0xF0>(hgfe, badc),
    )
}

/// The inverse of [`to_state`].
#[inline]
#[target_feature(enable = "sse2,ssse3,sse4.1")]
fn from_state(abef: __m128i, cdgh: __m128i) -> (__m128i, __m128i) {
    let abef = _mm_shuffle_epi32::<0x1B>(abef);
    let cdgh = _mm_shuffle_epi32::<0xB1>(cdgh);
    (
        _mm_blend_epi16::<0xF0>(abef, cdgh),
        _mm_alignr_epi8::<8>(cdgh, abef),
    )
}

/// One compression of the block `digest ‖ 0x80 ‖ 0… ‖ 768` from `(init0, init1)` (ABEF/CDGH);
/// the result in normal lane order `[A,B,C,D]`, `[E,F,G,H]`.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress(
    init: (__m128i, __m128i),
    digest: (__m128i, __m128i),
    pad: &[__m128i; 2],
    k: &[__m128i; 16],
) -> (__m128i, __m128i) {
    let (mut s0, mut s1) = init;
    let mut w = [digest.0, digest.1, pad[0], pad[1]];
    macro_rules! four_rounds {
        ($g:expr) => {{
            let m = _mm_add_epi32(w[$g % 4], k[$g]);
            s1 = _mm_sha256rnds2_epu32(s1, s0, m);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32::<0x0E>(m));
        }};
    }
    macro_rules! schedule {
        ($g:expr) => {{
            let w7 = _mm_alignr_epi8::<4>(w[($g + 3) % 4], w[($g + 2) % 4]);
            let x = _mm_add_epi32(_mm_sha256msg1_epu32(w[$g % 4], w[($g + 1) % 4]), w7);
            w[$g % 4] = _mm_sha256msg2_epu32(x, w[($g + 3) % 4]);
        }};
    }
    four_rounds!(0);
    four_rounds!(1);
    four_rounds!(2);
    four_rounds!(3);
    schedule!(4);
    four_rounds!(4);
    schedule!(5);
    four_rounds!(5);
    schedule!(6);
    four_rounds!(6);
    schedule!(7);
    four_rounds!(7);
    schedule!(8);
    four_rounds!(8);
    schedule!(9);
    four_rounds!(9);
    schedule!(10);
    four_rounds!(10);
    schedule!(11);
    four_rounds!(11);
    schedule!(12);
    four_rounds!(12);
    schedule!(13);
    four_rounds!(13);
    schedule!(14);
    four_rounds!(14);
    schedule!(15);
    four_rounds!(15);
    from_state(_mm_add_epi32(s0, init.0), _mm_add_epi32(s1, init.1))
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn iterate_inner(
    inner: &[u32; 8],
    outer: &[u32; 8],
    first: &[u32; 8],
    iterations: u32,
) -> [u32; 8] {
    let half = |w: &[u32; 8], i: usize| lanes([w[i], w[i + 1], w[i + 2], w[i + 3]]);
    let inner = to_state(half(inner, 0), half(inner, 4));
    let outer = to_state(half(outer, 0), half(outer, 4));
    // Words 8..15 of every block: the 0x80 terminator and the bit length of key block + digest.
    let pad = [
        lanes([0x8000_0000, 0, 0, 0]),
        lanes([0, 0, 0, (64 + 32) * 8]),
    ];
    let k: [__m128i; 16] =
        std::array::from_fn(|g| lanes([K[4 * g], K[4 * g + 1], K[4 * g + 2], K[4 * g + 3]]));
    let mut u = (half(first, 0), half(first, 4));
    let mut t = u;
    for _ in 1..iterations {
        let s = compress(inner, u, &pad, &k);
        u = compress(outer, s, &pad, &k);
        t = (_mm_xor_si128(t.0, u.0), _mm_xor_si128(t.1, u.1));
    }
    let word = |v: __m128i, i: i32| match i {
        0 => _mm_extract_epi32::<0>(v) as u32,
        1 => _mm_extract_epi32::<1>(v) as u32,
        2 => _mm_extract_epi32::<2>(v) as u32,
        _ => _mm_extract_epi32::<3>(v) as u32,
    };
    std::array::from_fn(|i| word(if i < 4 { t.0 } else { t.1 }, (i % 4) as i32))
}

/// `T = U1 ⊕ U2 ⊕ … ⊕ Un` for one PBKDF2-HMAC-SHA256 block, given the HMAC's inner and outer
/// states after the key block and `U1`, all as SHA-256 state words.
///
/// # Panics
/// If the CPU lacks SHA-NI; callers check [`available`] first.
pub fn iterate(inner: &[u32; 8], outer: &[u32; 8], first: &[u32; 8], iterations: u32) -> [u32; 8] {
    assert!(available(), "SHA-NI checked by the caller");
    // SAFETY: the CPU has every feature `iterate_inner` is compiled for (checked just above);
    // the function touches no memory but its arguments and locals.
    unsafe { iterate_inner(inner, outer, first, iterations) }
}
