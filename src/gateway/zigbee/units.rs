//! The unit conversions between ZCL's encodings and the model's fixed units, in integers only:
//! levels and colours in 1/254 steps, illuminance on ZCL's logarithmic scale, battery in half
//! percent, and rational factors (a device's multiplier and divisor, a definition's `scale`)
//! applied once, with one rounding, in `i128` so no product can overflow.
//!
//! Every function returns `None` for a value outside what ZCL allows; the callers log and drop
//! it, so an out-of-range report never becomes a wrong model value.

use crate::definitions::Scale;

/// `n / d` rounded to the nearest integer, halves away from zero; `None` when `d` is 0.
pub(super) fn div_round(n: i128, d: i128) -> Option<i128> {
    if d == 0 {
        return None;
    }
    let (n, d) = if d < 0 {
        (n.checked_neg()?, -d)
    } else {
        (n, d)
    };
    let half = d / 2;
    Some(if n >= 0 {
        (n + half) / d
    } else {
        -((-n + half) / d)
    })
}

/// `value × numerator / denominator`, rounded once, if the result fits an `i64`.
pub(super) fn scaled(value: i128, numerator: i128, denominator: i128) -> Option<i64> {
    let product = value.checked_mul(numerator)?;
    i64::try_from(div_round(product, denominator)?).ok()
}

/// `value` multiplied by a definition's or a device's factor (`None`: by 1).
pub(super) fn apply_scale(value: i64, scale: Option<Scale>) -> Option<i64> {
    match scale {
        None => Some(value),
        Some(s) => scaled(
            i128::from(value),
            i128::from(s.numerator),
            i128::from(s.denominator),
        ),
    }
}

/// ZCL's level and saturation steps: 0..=254 (ZCL 8 §3.10 Level Control, CurrentLevel; §5.2 Color Control,
/// CurrentSaturation: "saturation = CurrentSaturation / 254").
const STEPS: i128 = 254;

/// `CurrentLevel` (0..=254) in 0.01 % (0..=10000); 0xFF and above are not levels.
pub(super) fn level_of_zcl(raw: u64) -> Option<u16> {
    let raw = i128::from(raw);
    (raw <= STEPS)
        .then(|| div_round(raw * 10_000, STEPS))
        .flatten()
        .and_then(|v| u16::try_from(v).ok())
}

/// A level in 0.01 % as ZCL's 0..=254; above 100 % is not a level.
pub(super) fn level_to_zcl(level: u16) -> Option<u8> {
    (level <= 10_000)
        .then(|| div_round(i128::from(level) * STEPS, 10_000))
        .flatten()
        .and_then(|v| u8::try_from(v).ok())
}

/// `CurrentHue` (0..=254, "hue = CurrentHue × 360 / 254", ZCL 8 §5.2 Color Control, CurrentHue) in 0.01°,
/// 0..=35999 (254 is a full turn, the same as 0).
pub(super) fn hue_of_zcl(raw: u64) -> Option<u16> {
    let raw = i128::from(raw);
    if raw > STEPS {
        return None;
    }
    u16::try_from(div_round(raw * 36_000, STEPS)? % 36_000).ok()
}

/// `EnhancedCurrentHue` (a turn in 65536 steps, ZCL 8 §5.2 Color Control) in 0.01°.
pub(super) fn enhanced_hue_of_zcl(raw: u64) -> Option<u16> {
    let raw = i128::from(raw);
    if raw > 0xFFFF {
        return None;
    }
    u16::try_from(div_round(raw * 36_000, 65_536)? % 36_000).ok()
}

/// A hue in 0.01° (0..=35999) as ZCL's 0..=254.
pub(super) fn hue_to_zcl(hue: u16) -> Option<u8> {
    (hue < 36_000)
        .then(|| div_round(i128::from(hue) * STEPS, 36_000))
        .flatten()
        .and_then(|v| u8::try_from(v).ok())
}

/// `CurrentSaturation` (0..=254) in 0.01 %.
pub(super) fn saturation_of_zcl(raw: u64) -> Option<u16> {
    level_of_zcl(raw)
}

/// A saturation in 0.01 % as ZCL's 0..=254.
pub(super) fn saturation_to_zcl(saturation: u16) -> Option<u8> {
    level_to_zcl(saturation)
}

/// Largest CIE coordinate and colour temperature ZCL allows (`CurrentX`, `CurrentY`,
/// `ColorTemperatureMireds`: 0x0000..=0xFEFF, ZCL 8 §5.2 Color Control).
pub(super) const COLOR_MAX: u16 = 0xFEFF;

/// `BatteryPercentageRemaining` (half percent, 0..=200; ZCL 8 §3.3 Power
/// Configuration, battery information) in whole percent,
/// halves rounded up.
pub(super) fn percent_of_half_percent(raw: u64) -> Option<u8> {
    (raw <= 200)
        .then(|| u8::try_from(raw.div_ceil(2)).ok())
        .flatten()
}

/// 10^(k/10), 10^(k/100), 10^(k/1000) and 10^(k/10000) for k = 0..=9, times 10^15 (rounded;
/// the unit tests check them against floating point).
const POW10_FRACTIONS: [[u64; 10]; 4] = [
    [
        1_000_000_000_000_000,
        1_258_925_411_794_167,
        1_584_893_192_461_113,
        1_995_262_314_968_880,
        2_511_886_431_509_580,
        3_162_277_660_168_379,
        3_981_071_705_534_973,
        5_011_872_336_272_723,
        6_309_573_444_801_932,
        7_943_282_347_242_815,
    ],
    [
        1_000_000_000_000_000,
        1_023_292_992_280_754,
        1_047_128_548_050_900,
        1_071_519_305_237_606,
        1_096_478_196_143_185,
        1_122_018_454_301_963,
        1_148_153_621_496_883,
        1_174_897_554_939_530,
        1_202_264_434_617_413,
        1_230_268_770_812_382,
    ],
    [
        1_000_000_000_000_000,
        1_002_305_238_077_900,
        1_004_615_790_278_395,
        1_006_931_668_851_804,
        1_009_252_886_076_684,
        1_011_579_454_259_899,
        1_013_911_385_736_679,
        1_016_248_692_870_696,
        1_018_591_388_054_117,
        1_020_939_483_707_680,
    ],
    [
        1_000_000_000_000_000,
        1_000_230_285_020_825,
        1_000_460_623_072_840,
        1_000_691_014_168_259,
        1_000_921_458_319_296,
        1_001_151_955_538_169,
        1_001_382_505_837_099,
        1_001_613_109_228_309,
        1_001_843_765_724_026,
        1_002_074_475_336_479,
    ],
];

/// The fixed point of [`POW10_FRACTIONS`].
const ONE: u128 = 1_000_000_000_000_000;

/// Illuminance `MeasuredValue` in lux (ZCL 8 §4.2 Illuminance Measurement, MeasuredValue: "MeasuredValue = 10,000 × log10
/// Illuminance + 1", 1 lx ..= 3.576 Mlx for 1..=0xFFFE; 0 "too low to be measured", taken as
/// 0 lux; 0xFFFF invalid).
pub(super) fn lux_of_measured(raw: u64) -> Option<i64> {
    match raw {
        0 => Some(0),
        1..=0xFFFE => {
            // 10^((raw - 1) / 10000): the integer part as a power of ten, the four decimal
            // digits of the fraction from the tables, multiplied in fixed point.
            let exponent = raw - 1;
            let whole = u32::try_from(exponent / 10_000).ok()?;
            let mut fraction = exponent % 10_000;
            let mut value = ONE;
            for table in POW10_FRACTIONS.iter().rev() {
                let digit = usize::try_from(fraction % 10).ok()?;
                fraction /= 10;
                value = value.checked_mul(u128::from(table[digit]))? / ONE;
            }
            let lux = value.checked_mul(10u128.checked_pow(whole)?)?;
            i64::try_from((lux + ONE / 2) / ONE).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_to_nearest_halves_away_from_zero() {
        assert_eq!(div_round(5, 2), Some(3));
        assert_eq!(div_round(-5, 2), Some(-3));
        assert_eq!(div_round(4, 3), Some(1));
        assert_eq!(div_round(-4, 3), Some(-1));
        assert_eq!(div_round(7, -2), Some(-4));
        assert_eq!(div_round(1, 0), None);
        assert_eq!(scaled(i128::from(i64::MAX), 2, 1), None, "overflow refused");
        assert_eq!(scaled(600, 1000, 10), Some(60_000));
    }

    #[test]
    fn levels_follow_zcl_steps() {
        // ZCL 8 §3.10 Level Control: CurrentLevel 0..=254; 254 is 100 %, 127 half, 1 the lowest step.
        assert_eq!(level_of_zcl(254), Some(10_000));
        assert_eq!(level_of_zcl(127), Some(5_000));
        assert_eq!(level_of_zcl(1), Some(39)); // 10000/254 = 39.37
        assert_eq!(level_of_zcl(0), Some(0));
        assert_eq!(level_of_zcl(255), None);
        assert_eq!(level_to_zcl(10_000), Some(254));
        assert_eq!(level_to_zcl(5_000), Some(127));
        assert_eq!(level_to_zcl(20), Some(1)); // 0.508 rounds up
        assert_eq!(level_to_zcl(19), Some(0));
        assert_eq!(level_to_zcl(10_001), None);
        // Every step survives the way out and back.
        for raw in 0..=254u8 {
            let model = level_of_zcl(u64::from(raw)).unwrap();
            assert_eq!(level_to_zcl(model), Some(raw));
        }
    }

    #[test]
    fn hues_follow_zcl_steps() {
        // ZCL 8 §5.2 Color Control, CurrentHue: hue = CurrentHue × 360 / 254.
        assert_eq!(hue_of_zcl(0), Some(0));
        assert_eq!(hue_of_zcl(127), Some(18_000));
        assert_eq!(hue_of_zcl(254), Some(0), "a full turn is red again");
        assert_eq!(hue_of_zcl(255), None);
        assert_eq!(hue_to_zcl(18_000), Some(127));
        assert_eq!(hue_to_zcl(12_000), Some(85)); // 84.67
        assert_eq!(hue_to_zcl(36_000), None);
        // Enhanced hue: a turn in 65536 steps.
        assert_eq!(enhanced_hue_of_zcl(0x8000), Some(18_000));
        assert_eq!(enhanced_hue_of_zcl(0xFFFF), Some(35_999));
        for raw in 0..254u8 {
            assert_eq!(hue_to_zcl(hue_of_zcl(u64::from(raw)).unwrap()), Some(raw));
            let sat = saturation_of_zcl(u64::from(raw)).unwrap();
            assert_eq!(saturation_to_zcl(sat), Some(raw));
        }
    }

    #[test]
    fn battery_half_percent() {
        // ZCL 8 §3.3 Power Configuration, BatteryPercentageRemaining: 0x00 0 %, 0x64 50 %, 0xC8 100 %; 0xFF invalid.
        assert_eq!(percent_of_half_percent(200), Some(100));
        assert_eq!(percent_of_half_percent(100), Some(50));
        assert_eq!(percent_of_half_percent(1), Some(1));
        assert_eq!(percent_of_half_percent(0), Some(0));
        assert_eq!(percent_of_half_percent(201), None);
        assert_eq!(percent_of_half_percent(0xFF), None);
    }

    #[test]
    fn illuminance_on_the_logarithmic_scale() {
        // ZCL 8 §4.2 Illuminance Measurement: MeasuredValue = 10,000 × log10(lux) + 1.
        assert_eq!(lux_of_measured(0), Some(0), "too dark to measure");
        assert_eq!(lux_of_measured(1), Some(1));
        assert_eq!(lux_of_measured(10_001), Some(10));
        assert_eq!(lux_of_measured(20_001), Some(100));
        assert_eq!(lux_of_measured(30_001), Some(1_000));
        assert_eq!(lux_of_measured(40_001), Some(10_000));
        // 10^0.5 = 3.162; 10^(2.4771) = 300.0 (a lit office).
        assert_eq!(lux_of_measured(5_001), Some(3));
        assert_eq!(lux_of_measured(24_772), Some(300));
        // The top of the range, 0xFFFE: 10^6.5533 = 3.575 Mlx (the specification's "3.576 Mlx").
        assert_eq!(lux_of_measured(0xFFFE), Some(3_575_197));
        assert_eq!(lux_of_measured(0xFFFF), None);
        assert_eq!(lux_of_measured(0x1_0000), None);
    }

    #[test]
    fn power_of_ten_tables_match_floating_point() {
        for (i, table) in POW10_FRACTIONS.iter().enumerate() {
            let step = 10f64.powi(i32::try_from(i).unwrap() + 1);
            for (k, &v) in table.iter().enumerate() {
                let want = 10f64.powf(k as f64 / step) * 1e15;
                assert!(
                    (v as f64 - want).abs() / want < 1e-12,
                    "table {i} entry {k}"
                );
            }
        }
    }

    #[test]
    fn illuminance_agrees_with_floating_point_everywhere() {
        for raw in (1..=0xFFFEu64).step_by(7) {
            let want = 10f64.powf((raw - 1) as f64 / 10_000.0).round() as i64;
            let got = lux_of_measured(raw).unwrap();
            assert!((got - want).abs() <= 1, "raw {raw}: {got} vs {want}");
        }
    }
}
