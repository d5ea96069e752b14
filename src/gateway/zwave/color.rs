//! Colour between Color Switch components and the model: red, green and blue component
//! values (0..=255) to CIE 1931 xy and back, hue and saturation to RGB, and colour
//! temperature as a mix of the warm and cold white components. Integer arithmetic only.
//!
//! Component values are taken as sRGB-encoded intensities (IEC 61966-2-1), as colour pickers
//! and Home Assistant treat them, so a colour a client picks in sRGB comes back as the same
//! xy: a component is linearised through the sRGB transfer curve ([`SRGB_TO_LINEAR`], a
//! table of `round(65535 · linear(c / 255))`), then the IEC 61966-2-1 matrix (D65 white, as
//! printed to four decimals in the standard and in Wikipedia's "sRGB" article) gives XYZ and
//! thus `x = X / (X + Y + Z)`, `y = Y / (X + Y + Z)`. The reverse uses the standard's inverse
//! matrix, clips negative (out-of-gamut) channels to 0 and scales the brightest channel to
//! full: brightness is the Multilevel Switch's job, not the colour's.
//!
//! White mix: the bulb's warm white is taken as 2700 K ([`WARM_MIREDS`]) and its cold white
//! as 6500 K ([`COLD_MIREDS`]); a temperature between them is a linear cross-fade in mireds
//! with the two components summing to 255.
//!
//! Color Switch reports one component per report (SDS13781 "Color Switch Report"), so a
//! colour is known only once all of its components have arrived: [`ColorComponents`] keeps
//! the last value of each per end point, and a colour is given when the last component of its
//! group (cold white; blue) arrives, as refreshes ask for them and nodes report them in
//! ascending order.

use std::collections::BTreeMap;

use super::units::div_round;

/// Color Switch component ids (SDS13781 "Color Component ID").
pub(super) mod component {
    /// Warm white.
    pub const WARM_WHITE: u8 = 0;
    /// Cold white.
    pub const COLD_WHITE: u8 = 1;
    /// Red.
    pub const RED: u8 = 2;
    /// Green.
    pub const GREEN: u8 = 3;
    /// Blue.
    pub const BLUE: u8 = 4;
}

/// The coldest white the mix makes, in mireds (6500 K).
pub const COLD_MIREDS: u16 = 153;
/// The warmest, in mireds (2700 K).
pub const WARM_MIREDS: u16 = 370;

/// `round(65535 · linear(c / 255))` for every 8-bit sRGB value `c`, `linear` being the
/// IEC 61966-2-1 transfer function (`c / 12.92` up to 0.04045, else
/// `((c + 0.055) / 1.055)^2.4`). Checked against the formula in the tests.
const SRGB_TO_LINEAR: [u16; 256] = [
    0, 20, 40, 60, 80, 99, 119, 139, 159, 179, 199, 219, 241, 264, 288, 313, 340, 367, 396, 427,
    458, 491, 526, 562, 599, 637, 677, 718, 761, 805, 851, 898, 947, 997, 1048, 1101, 1156, 1212,
    1270, 1330, 1391, 1453, 1517, 1583, 1651, 1720, 1790, 1863, 1937, 2013, 2090, 2170, 2250, 2333,
    2418, 2504, 2592, 2681, 2773, 2866, 2961, 3058, 3157, 3258, 3360, 3464, 3570, 3678, 3788, 3900,
    4014, 4129, 4247, 4366, 4488, 4611, 4736, 4864, 4993, 5124, 5257, 5392, 5530, 5669, 5810, 5953,
    6099, 6246, 6395, 6547, 6700, 6856, 7014, 7174, 7335, 7500, 7666, 7834, 8004, 8177, 8352, 8528,
    8708, 8889, 9072, 9258, 9445, 9635, 9828, 10022, 10219, 10417, 10619, 10822, 11028, 11235,
    11446, 11658, 11873, 12090, 12309, 12530, 12754, 12980, 13209, 13440, 13673, 13909, 14146,
    14387, 14629, 14874, 15122, 15371, 15623, 15878, 16135, 16394, 16656, 16920, 17187, 17456,
    17727, 18001, 18277, 18556, 18837, 19121, 19407, 19696, 19987, 20281, 20577, 20876, 21177,
    21481, 21787, 22096, 22407, 22721, 23038, 23357, 23678, 24002, 24329, 24658, 24990, 25325,
    25662, 26001, 26344, 26688, 27036, 27386, 27739, 28094, 28452, 28813, 29176, 29542, 29911,
    30282, 30656, 31033, 31412, 31794, 32179, 32567, 32957, 33350, 33745, 34143, 34544, 34948,
    35355, 35764, 36176, 36591, 37008, 37429, 37852, 38278, 38706, 39138, 39572, 40009, 40449,
    40891, 41337, 41785, 42236, 42690, 43147, 43606, 44069, 44534, 45002, 45473, 45947, 46423,
    46903, 47385, 47871, 48359, 48850, 49344, 49841, 50341, 50844, 51349, 51858, 52369, 52884,
    53401, 53921, 54445, 54971, 55500, 56032, 56567, 57105, 57646, 58190, 58737, 59287, 59840,
    60396, 60955, 61517, 62082, 62650, 63221, 63795, 64372, 64952, 65535,
];

/// linear RGB → XYZ (D65), × 10 000 (IEC 61966-2-1).
const RGB_TO_XYZ: [[i64; 3]; 3] = [[4124, 3576, 1805], [2126, 7152, 722], [193, 1192, 9505]];

/// XYZ → linear RGB (D65), × 10 000 (IEC 61966-2-1).
const XYZ_TO_RGB: [[i64; 3]; 3] = [
    [32406, -15372, -4986],
    [-9689, 18758, 415],
    [557, -2040, 10570],
];

/// The 8-bit sRGB value whose linear intensity is nearest `linear` (0..=65535).
fn encode(linear: i64) -> u8 {
    let linear = linear.clamp(0, 65535);
    let above = SRGB_TO_LINEAR.partition_point(|&l| i64::from(l) < linear);
    let pick = match above {
        0 => 0,
        256.. => 255,
        i => {
            let lo = i64::from(SRGB_TO_LINEAR[i - 1]);
            let hi = i64::from(SRGB_TO_LINEAR[i]);
            if linear - lo <= hi - linear { i - 1 } else { i }
        }
    };
    u8::try_from(pick).unwrap_or(u8::MAX)
}

/// CIE xy (units of 1/65536) of sRGB component values; `None` for black, which has no
/// chromaticity.
pub fn rgb_to_xy(r: u8, g: u8, b: u8) -> Option<(u16, u16)> {
    let lin = [r, g, b].map(|c| i64::from(SRGB_TO_LINEAR[usize::from(c)]));
    let [x, y, z] = RGB_TO_XYZ.map(|row| row.iter().zip(lin).map(|(m, c)| m * c).sum::<i64>());
    let sum = i128::from(x + y + z);
    if sum <= 0 {
        return None;
    }
    let coord = |v: i64| -> Option<u16> {
        let c = div_round(i128::from(v) * 65536, sum)?;
        u16::try_from(c.clamp(0, 65535)).ok()
    };
    Some((coord(x)?, coord(y)?))
}

/// sRGB component values, brightest channel at 255, of CIE xy (units of 1/65536); `None`
/// when `y` is 0 (no such colour).
pub fn xy_to_rgb(x: u16, y: u16) -> Option<(u8, u8, u8)> {
    if y == 0 {
        return None;
    }
    // X, Y, Z scaled by y: (x, y, 1 − x − y), in units of 1/65536.
    let xyz = [
        i64::from(x),
        i64::from(y),
        65536 - i64::from(x) - i64::from(y),
    ];
    let lin = XYZ_TO_RGB.map(|row| row.iter().zip(xyz).map(|(m, c)| m * c).sum::<i64>().max(0));
    let max = lin.iter().copied().max().unwrap_or(0);
    if max == 0 {
        return None;
    }
    let full = lin.map(|c| {
        div_round(i128::from(c) * 65535, i128::from(max))
            .and_then(|v| i64::try_from(v).ok())
            .unwrap_or(0)
    });
    let [r, g, b] = full.map(encode);
    Some((r, g, b))
}

/// sRGB component values of a hue (0.01°, 0..36000) and saturation (0.01 %, 0..=10000) at
/// full value (HSV); `None` outside those ranges.
pub fn hs_to_rgb(hue: u16, saturation: u16) -> Option<(u8, u8, u8)> {
    if hue >= 36_000 || saturation > 10_000 {
        return None;
    }
    let s = i128::from(saturation);
    let sector = hue / 6000;
    let f = i128::from(hue % 6000);
    let channel = |fraction_off: i128| -> u8 {
        // 255 × (1 − s × fraction_off), fraction_off in 1/6000 units.
        let v = div_round(255 * (10_000 * 6000 - s * fraction_off), 10_000 * 6000).unwrap_or(0);
        u8::try_from(v.clamp(0, 255)).unwrap_or(0)
    };
    let v = 255;
    let p = channel(6000);
    let q = channel(f);
    let t = channel(6000 - f);
    Some(match sector {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    })
}

/// Warm and cold white component values for a colour temperature in mireds; `None` outside
/// [`COLD_MIREDS`]..=[`WARM_MIREDS`].
pub fn mireds_to_whites(mireds: u16) -> Option<(u8, u8)> {
    if !(COLD_MIREDS..=WARM_MIREDS).contains(&mireds) {
        return None;
    }
    let warm = div_round(
        255 * i128::from(mireds - COLD_MIREDS),
        i128::from(WARM_MIREDS - COLD_MIREDS),
    )?;
    let warm = u8::try_from(warm).ok()?;
    Some((warm, 255 - warm))
}

/// The colour temperature in mireds a warm and cold white mix makes; `None` when both are 0.
pub fn whites_to_mireds(warm: u8, cold: u8) -> Option<u16> {
    let sum = i128::from(warm) + i128::from(cold);
    if sum == 0 {
        return None;
    }
    let span = i128::from(WARM_MIREDS - COLD_MIREDS);
    let m = div_round(span * i128::from(warm), sum)?;
    u16::try_from(m).ok().map(|m| COLD_MIREDS + m)
}

/// The Color Switch component values each end point of one node last reported (warm white,
/// cold white, red, green, blue), because a colour needs several reports: the gateway keeps
/// one per Z-Wave device and passes it to
/// [`super::attributes_of_report_with`]. Starts empty; a refresh fills it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColorComponents {
    endpoints: BTreeMap<u8, [Option<u8>; 5]>,
}

impl ColorComponents {
    /// Nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one reported component (ids above blue are not kept); returns the end point's
    /// components as they now stand.
    pub(super) fn record(&mut self, endpoint: u8, id: u8, value: u8) -> [Option<u8>; 5] {
        let known = self.endpoints.entry(endpoint).or_default();
        if let Some(slot) = known.get_mut(usize::from(id)) {
            *slot = Some(value);
        }
        *known
    }

    /// The last value of component `id` of `endpoint`, if it was reported.
    pub fn component(&self, endpoint: u8, id: u8) -> Option<u8> {
        self.endpoints
            .get(&endpoint)
            .and_then(|c| c.get(usize::from(id)).copied().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn f(v: u16) -> f64 {
        f64::from(v) / 65536.0
    }

    #[test]
    fn the_table_is_the_srgb_transfer_function() {
        for (c, &l) in SRGB_TO_LINEAR.iter().enumerate() {
            let v = c as f64 / 255.0;
            let want = if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            };
            assert_eq!(f64::from(l), (want * 65535.0).round(), "entry {c}");
        }
    }

    #[test]
    fn the_primaries_and_white_land_on_the_srgb_chromaticities() {
        // IEC 61966-2-1: red (0.64, 0.33), green (0.30, 0.60), blue (0.15, 0.06), D65 white
        // (0.3127, 0.3290); four-decimal matrices leave < 0.0005 of error.
        for ((r, g, b), (x, y)) in [
            ((255, 0, 0), (0.64, 0.33)),
            ((0, 255, 0), (0.30, 0.60)),
            ((0, 0, 255), (0.15, 0.06)),
            ((255, 255, 255), (0.3127, 0.3290)),
        ] {
            let (gx, gy) = rgb_to_xy(r, g, b).expect("not black");
            assert!((f(gx) - x).abs() < 5e-4, "{r},{g},{b}: x {}", f(gx));
            assert!((f(gy) - y).abs() < 5e-4, "{r},{g},{b}: y {}", f(gy));
        }
        assert_eq!(rgb_to_xy(0, 0, 0), None);
    }

    #[test]
    fn xy_of_the_primaries_and_white_gives_them_back() {
        let q = |v: f64| (v * 65536.0).round() as u16;
        assert_eq!(xy_to_rgb(q(0.64), q(0.33)), Some((255, 0, 0)));
        assert_eq!(xy_to_rgb(q(0.30), q(0.60)), Some((0, 255, 0)));
        assert_eq!(xy_to_rgb(q(0.15), q(0.06)), Some((0, 0, 255)));
        assert_eq!(xy_to_rgb(q(0.3127), q(0.3290)), Some((255, 255, 255)));
        assert_eq!(xy_to_rgb(20_000, 0), None);
        // Outside the gamut (a spectral green): clipped, never a panic.
        assert!(xy_to_rgb(q(0.1), q(0.8)).is_some());
        assert!(xy_to_rgb(u16::MAX, u16::MAX).is_some());
    }

    #[test]
    fn hue_and_saturation_follow_hsv() {
        assert_eq!(hs_to_rgb(0, 10_000), Some((255, 0, 0)));
        assert_eq!(hs_to_rgb(12_000, 10_000), Some((0, 255, 0)));
        assert_eq!(hs_to_rgb(24_000, 10_000), Some((0, 0, 255)));
        assert_eq!(hs_to_rgb(6_000, 10_000), Some((255, 255, 0)));
        assert_eq!(hs_to_rgb(3_000, 10_000), Some((255, 128, 0)));
        assert_eq!(hs_to_rgb(18_000, 5_000), Some((128, 255, 255)));
        assert_eq!(hs_to_rgb(31_234, 0), Some((255, 255, 255)));
        assert_eq!(hs_to_rgb(36_000, 0), None);
        assert_eq!(hs_to_rgb(0, 10_001), None);
    }

    #[test]
    fn white_mixes_span_warm_to_cold() {
        assert_eq!(mireds_to_whites(COLD_MIREDS), Some((0, 255)));
        assert_eq!(mireds_to_whites(WARM_MIREDS), Some((255, 0)));
        assert_eq!(mireds_to_whites(250), Some((114, 141)));
        assert_eq!(whites_to_mireds(114, 141), Some(250));
        assert_eq!(whites_to_mireds(255, 0), Some(WARM_MIREDS));
        assert_eq!(whites_to_mireds(0, 0), None);
        // Half and half, at any brightness.
        assert_eq!(whites_to_mireds(40, 40), whites_to_mireds(200, 200));
        assert_eq!(mireds_to_whites(152), None);
        assert_eq!(mireds_to_whites(371), None);
    }

    #[test]
    fn components_are_kept_per_end_point() {
        let mut c = ColorComponents::new();
        assert_eq!(
            c.record(1, component::RED, 9),
            [None, None, Some(9), None, None]
        );
        c.record(2, component::RED, 7);
        c.record(1, 8, 1);
        assert_eq!(c.component(1, component::RED), Some(9));
        assert_eq!(c.component(2, component::RED), Some(7));
        assert_eq!(c.component(1, 8), None, "the index component is not kept");
    }

    proptest! {
        #[test]
        fn xy_survives_rgb_and_back(r in 0u8..=255, g in 0u8..=255, b in 0u8..=255) {
            prop_assume!(u16::from(r) + u16::from(g) + u16::from(b) >= 60);
            let (x, y) = rgb_to_xy(r, g, b).expect("not black");
            let (r2, g2, b2) = xy_to_rgb(x, y).expect("a colour");
            let (x2, y2) = rgb_to_xy(r2, g2, b2).expect("not black");
            // 8-bit quantisation of the scaled-up colour moves xy a little.
            prop_assert!((f(x) - f(x2)).abs() < 0.01, "x {} vs {}", f(x), f(x2));
            prop_assert!((f(y) - f(y2)).abs() < 0.01, "y {} vs {}", f(y), f(y2));
        }

        #[test]
        fn every_mired_in_range_survives_the_mix(m in COLD_MIREDS..=WARM_MIREDS) {
            let (w, c) = mireds_to_whites(m).expect("in range");
            let back = whites_to_mireds(w, c).expect("not off");
            prop_assert!(back.abs_diff(m) <= 1, "{} → {}", m, back);
        }

        #[test]
        fn any_xy_is_safe(x in 0u16..=u16::MAX, y in 0u16..=u16::MAX) {
            let _ = xy_to_rgb(x, y);
        }
    }
}
