//! From the file as written ([`super::format`]) to a checked [`Definition`]: ranges,
//! duplicates, empty lists, scales, reporting intervals and plausible sources, each refusal
//! pointing at the line and column of the value to blame. Also lists the device ids a
//! definition claims ([`DeviceKey`]), so the set can refuse two definitions of one device.

use std::fmt;
use std::ops::Range;

use toml::Spanned;

use super::format::{
    RawAlarms, RawCapabilities, RawDefinition, RawEndpoint, RawId, RawMeasurements, RawOptions,
    RawReporting, RawScale,
};
use super::sources::{capability_name, plausible_sources};
use super::{
    CapabilityMapping, Definition, EndpointMapping, Error, Location, MappingOptions, Match,
    Reporting, Result, Scale,
};
use crate::model::{AlarmKind, Capability, MeasureKind, RadioKind};

/// ZCL's limit on `manufacturerName` and `modelId` (character strings of 0 to 32 octets).
const ZCL_NAME_MAX: usize = 32;
/// Zigbee application endpoints are 1 to 240.
const ZIGBEE_ENDPOINTS: Range<i64> = 1..241;
/// Z-Wave end points are 0 (the root device) to 127.
const ZWAVE_ENDPOINTS: Range<i64> = 0..128;

/// One device a definition claims: what an interview reports, exactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum DeviceKey {
    /// Basic `manufacturerName` and one `modelId`.
    Zigbee { manufacturer: String, model: String },
    /// Manufacturer Specific ids, one product id.
    Zwave {
        manufacturer_id: u16,
        product_type: u16,
        product_id: u16,
    },
}

impl fmt::Display for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceKey::Zigbee {
                manufacturer,
                model,
            } => write!(
                f,
                "the Zigbee device {manufacturer:?} model {model:?} (manufacturerName, modelId)"
            ),
            DeviceKey::Zwave {
                manufacturer_id,
                product_type,
                product_id,
            } => write!(
                f,
                "the Z-Wave device 0x{manufacturer_id:04x}:0x{product_type:04x}:\
                 0x{product_id:04x} (manufacturer id, product type, product id)"
            ),
        }
    }
}

/// A checked definition with the devices it claims and where each is written.
pub(super) struct Checked {
    pub definition: Definition,
    pub claims: Vec<(DeviceKey, Location)>,
}

/// Parses and checks one file. `file` names it in errors, `source` in the definition.
pub(super) fn parse(file: &str, source: &str, text: &str) -> Result<Checked> {
    let doc = Document { file, text };
    let raw: RawDefinition = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().to_owned();
        // toml does not say which key; the span holds it.
        if let Some(key) = text
            .get(span.clone())
            .filter(|_| message == "duplicate key")
        {
            message = format!("duplicate key `{key}`");
        }
        Error::Syntax {
            at: doc.location(span.start),
            message,
        }
    })?;
    doc.definition(raw, source)
}

/// The file being checked, to turn spans into locations.
struct Document<'a> {
    file: &'a str,
    text: &'a str,
}

/// A refusal before its location is known: the span and what is wrong.
type Refusal = (Range<usize>, String);

impl Document<'_> {
    fn location(&self, offset: usize) -> Location {
        let (line, column) = crate::config::line_and_column(self.text, offset);
        Location {
            file: self.file.to_owned(),
            line,
            column,
        }
    }

    fn definition(&self, raw: RawDefinition, source: &str) -> Result<Checked> {
        self.check(raw, source)
            .map_err(|(span, message)| Error::Invalid {
                at: self.location(span.start),
                message,
            })
    }

    fn check(&self, raw: RawDefinition, source: &str) -> std::result::Result<Checked, Refusal> {
        let name = non_empty(raw.name, "name")?;
        let vendor = non_empty(raw.vendor, "vendor")?;
        let (matches, claims, radio) = match (raw.zigbee, raw.zwave) {
            (Some(zigbee), None) => {
                let zigbee = zigbee.into_inner();
                let manufacturer = zcl_name(zigbee.manufacturer, "manufacturer")?;
                let list_span = zigbee.models.span();
                let models = zigbee.models.into_inner();
                if models.is_empty() {
                    return Err((list_span, "`models` must list at least one modelId".into()));
                }
                let mut claims: Vec<(DeviceKey, Location)> = Vec::new();
                let mut kept = Vec::new();
                for model in models {
                    let span = model.span();
                    let model = zcl_name(model, "model")?;
                    if kept.contains(&model) {
                        return Err((span, format!("model {model:?} is listed twice")));
                    }
                    claims.push((
                        DeviceKey::Zigbee {
                            manufacturer: manufacturer.clone(),
                            model: model.clone(),
                        },
                        self.location(span.start),
                    ));
                    kept.push(model);
                }
                let matches = Match::Zigbee {
                    manufacturer,
                    models: kept,
                };
                (matches, claims, RadioKind::Zigbee)
            }
            (None, Some(zwave)) => {
                let zwave = zwave.into_inner();
                let manufacturer_id = id(zwave.manufacturer_id, "manufacturer_id")?;
                let product_type = id(zwave.product_type, "product_type")?;
                let list_span = zwave.product_ids.span();
                let ids = zwave.product_ids.into_inner();
                if ids.is_empty() {
                    return Err((
                        list_span,
                        "`product_ids` must list at least one product id".into(),
                    ));
                }
                let mut claims = Vec::new();
                let mut product_ids = Vec::new();
                for raw_id in ids {
                    let span = raw_id.span();
                    let product_id = id(raw_id, "product id")?;
                    if product_ids.contains(&product_id) {
                        return Err((
                            span,
                            format!("product id 0x{product_id:04x} is listed twice"),
                        ));
                    }
                    claims.push((
                        DeviceKey::Zwave {
                            manufacturer_id,
                            product_type,
                            product_id,
                        },
                        self.location(span.start),
                    ));
                    product_ids.push(product_id);
                }
                let matches = Match::Zwave {
                    manufacturer_id,
                    product_type,
                    product_ids,
                };
                (matches, claims, RadioKind::Zwave)
            }
            (Some(_), Some(zwave)) => {
                return Err((
                    zwave.span(),
                    "a definition is for one radio: it has both [zigbee] and [zwave]".into(),
                ));
            }
            (None, None) => {
                return Err((
                    0..0,
                    "no match: add a [zigbee] or a [zwave] table saying which devices this \
                     definition is for"
                        .into(),
                ));
            }
        };

        let list_span = raw.endpoints.span();
        let raw_endpoints = raw.endpoints.into_inner();
        if raw_endpoints.is_empty() {
            return Err((
                list_span,
                "a definition must describe at least one endpoint".into(),
            ));
        }
        let mut endpoints: Vec<EndpointMapping> = Vec::new();
        // Each endpoint number with the line it was first described on.
        let mut seen: Vec<(u8, usize)> = Vec::new();
        for raw_endpoint in raw_endpoints {
            let (mapping, line) = self.endpoint(raw_endpoint.into_inner(), radio, &seen)?;
            seen.push((mapping.endpoint, line));
            endpoints.push(mapping);
        }
        Ok(Checked {
            definition: Definition {
                source: source.to_owned(),
                name,
                vendor,
                matches,
                endpoints,
            },
            claims,
        })
    }

    /// One endpoint; `seen` holds the numbers already described and their lines.
    fn endpoint(
        &self,
        raw: RawEndpoint,
        radio: RadioKind,
        seen: &[(u8, usize)],
    ) -> std::result::Result<(EndpointMapping, usize), Refusal> {
        let span = raw.endpoint.span();
        let number = *raw.endpoint.get_ref();
        let (range, what) = match radio {
            RadioKind::Zigbee => (ZIGBEE_ENDPOINTS, "a Zigbee endpoint is 1 to 240"),
            RadioKind::Zwave => (
                ZWAVE_ENDPOINTS,
                "a Z-Wave end point is 0 (the root device) to 127",
            ),
        };
        let endpoint = u8::try_from(number)
            .ok()
            .filter(|_| range.contains(&number))
            .ok_or_else(|| {
                (
                    span.clone(),
                    format!("endpoint {number} is out of range: {what}"),
                )
            })?;
        if let Some((_, line)) = seen.iter().find(|(n, _)| *n == endpoint) {
            return Err((
                span,
                format!("endpoint {endpoint} is described twice (first on line {line})"),
            ));
        }
        let line = self.location(span.start).line;
        let name = raw
            .name
            .map(|name| non_empty(name, "the endpoint's `name`"))
            .transpose()?;
        let capabilities_span = raw.capabilities.span();
        let mut capabilities = listed_capabilities(raw.capabilities.into_inner())?;
        if capabilities.is_empty() {
            return Err((
                capabilities_span,
                format!("endpoint {endpoint} lists no capabilities"),
            ));
        }
        // In the order the file lists them.
        capabilities.sort_by_key(|(_, options)| options.span().start);
        let capabilities = capabilities
            .into_iter()
            .map(|(capability, options)| mapping(capability, options.into_inner(), radio))
            .collect::<std::result::Result<_, _>>()?;
        Ok((
            EndpointMapping {
                endpoint,
                name,
                capabilities,
            },
            line,
        ))
    }
}

/// The capabilities an endpoint's table names, with their options; a `measurement` or
/// `alarm` table that names no kind is refused.
fn listed_capabilities(
    raw: RawCapabilities,
) -> std::result::Result<Vec<(Capability, Spanned<RawOptions>)>, Refusal> {
    let RawCapabilities {
        on_off,
        level,
        color,
        door_lock,
        thermostat,
        battery,
        measurement,
        alarm,
    } = raw;
    let mut listed: Vec<(Capability, Option<Spanned<RawOptions>>)> = vec![
        (Capability::OnOff, on_off),
        (Capability::Level, level),
        (Capability::Color, color),
        (Capability::DoorLock, door_lock),
        (Capability::Thermostat, thermostat),
        (Capability::Battery, battery),
    ];
    if let Some(measurement) = measurement {
        let span = measurement.span();
        let RawMeasurements {
            temperature,
            humidity,
            illuminance,
            power,
            energy,
            voltage,
            current,
        } = measurement.into_inner();
        let kinds = [
            (MeasureKind::Temperature, temperature),
            (MeasureKind::Humidity, humidity),
            (MeasureKind::Illuminance, illuminance),
            (MeasureKind::Power, power),
            (MeasureKind::Energy, energy),
            (MeasureKind::Voltage, voltage),
            (MeasureKind::Current, current),
        ];
        if kinds.iter().all(|(_, o)| o.is_none()) {
            return Err((
                span,
                "`measurement` names no quantity (temperature, humidity, illuminance, power, \
                 energy, voltage, current)"
                    .into(),
            ));
        }
        listed.extend(kinds.map(|(k, o)| (Capability::Measurement(k), o)));
    }
    if let Some(alarm) = alarm {
        let span = alarm.span();
        let RawAlarms {
            contact,
            motion,
            smoke,
            water,
            carbon_monoxide,
            tamper,
        } = alarm.into_inner();
        let kinds = [
            (AlarmKind::Contact, contact),
            (AlarmKind::Motion, motion),
            (AlarmKind::Smoke, smoke),
            (AlarmKind::Water, water),
            (AlarmKind::CarbonMonoxide, carbon_monoxide),
            (AlarmKind::Tamper, tamper),
        ];
        if kinds.iter().all(|(_, o)| o.is_none()) {
            return Err((
                span,
                "`alarm` names no kind (contact, motion, smoke, water, carbon_monoxide, tamper)"
                    .into(),
            ));
        }
        listed.extend(kinds.map(|(k, o)| (Capability::Alarm(k), o)));
    }
    Ok(listed
        .into_iter()
        .filter_map(|(capability, options)| options.map(|o| (capability, o)))
        .collect())
}

/// One capability with its options, checked against the radio.
fn mapping(
    capability: Capability,
    raw: RawOptions,
    radio: RadioKind,
) -> std::result::Result<CapabilityMapping, Refusal> {
    let name = capability_name(capability);
    let source = match raw.source {
        None => None,
        Some(raw_source) => {
            let span = raw_source.span();
            let source = id(raw_source, "source")?;
            let plausible = plausible_sources(radio, capability);
            if !plausible.contains(&source) {
                return Err((
                    span,
                    format!(
                        "{name} cannot come from {}; it comes from {}",
                        source_name(radio, source),
                        source_list(radio, plausible)
                    ),
                ));
            }
            Some(source)
        }
    };
    let scale = match raw.scale {
        None => None,
        Some(raw_scale) => {
            let span = raw_scale.span();
            if !scales(capability) {
                return Err((
                    span,
                    format!(
                        "`scale` does not apply to {name}: only to level, thermostat, battery \
                         and measurements"
                    ),
                ));
            }
            Some(scale(raw_scale.get_ref()).map_err(|message| (span, message))?)
        }
    };
    let invert = match raw.invert {
        None => false,
        Some(invert) => {
            if !inverts(capability) {
                return Err((
                    invert.span(),
                    format!("`invert` does not apply to {name}: only to on_off and alarms"),
                ));
            }
            invert.into_inner()
        }
    };
    let reporting = match raw.reporting {
        None => None,
        Some(reporting) => {
            if radio == RadioKind::Zwave {
                return Err((
                    reporting.span(),
                    "`reporting` applies to Zigbee devices only: a Z-Wave node reports to its \
                     lifeline as it is configured"
                        .into(),
                ));
            }
            Some(self::reporting(reporting.into_inner())?)
        }
    };
    Ok(CapabilityMapping {
        capability,
        source,
        options: MappingOptions {
            scale,
            invert,
            reporting,
        },
    })
}

/// Whether a scale makes sense for the capability's values (numbers, not states).
fn scales(capability: Capability) -> bool {
    matches!(
        capability,
        Capability::Level
            | Capability::Thermostat
            | Capability::Battery
            | Capability::Measurement(_)
    )
}

/// Whether `invert` makes sense for the capability (a two-state value).
fn inverts(capability: Capability) -> bool {
    matches!(capability, Capability::OnOff | Capability::Alarm(_))
}

fn reporting(raw: RawReporting) -> std::result::Result<Reporting, Refusal> {
    let interval = |value: Spanned<i64>, key: &str| {
        u16::try_from(*value.get_ref()).map_err(|_| {
            (
                value.span(),
                format!(
                    "reporting `{key}` is an interval of 0 to 65535 seconds, not {}",
                    value.get_ref()
                ),
            )
        })
    };
    let min_span = raw.min.span();
    let min_secs = interval(raw.min, "min")?;
    let max_secs = interval(raw.max, "max")?;
    let change = u32::try_from(*raw.change.get_ref()).map_err(|_| {
        (
            raw.change.span(),
            format!(
                "reporting `change` is 0 to 4294967295, not {}",
                raw.change.get_ref()
            ),
        )
    })?;
    if min_secs > max_secs {
        return Err((
            min_span,
            format!("reporting `min` ({min_secs} s) must not exceed `max` ({max_secs} s)"),
        ));
    }
    Ok(Reporting {
        min_secs,
        max_secs,
        change,
    })
}

/// A string that must say something.
fn non_empty(value: Spanned<String>, key: &str) -> std::result::Result<String, Refusal> {
    if value.get_ref().trim().is_empty() {
        return Err((value.span(), format!("{key} must not be empty")));
    }
    Ok(value.into_inner())
}

/// A Zigbee Basic string: not empty, and no longer than ZCL allows (a longer one could
/// never match).
fn zcl_name(value: Spanned<String>, key: &str) -> std::result::Result<String, Refusal> {
    let span = value.span();
    let value = non_empty(value, key)?;
    if value.len() > ZCL_NAME_MAX {
        return Err((
            span,
            format!(
                "{key} {value:?} is {} bytes; the Basic cluster's strings hold at most \
                 {ZCL_NAME_MAX}",
                value.len()
            ),
        ));
    }
    Ok(value)
}

/// A 16-bit id written as an integer or a `0x` hex string.
fn id(value: Spanned<RawId>, key: &str) -> std::result::Result<u16, Refusal> {
    let span = value.span();
    match value.into_inner() {
        RawId::Integer(n) => u16::try_from(n).map_err(|_| {
            (
                span,
                format!("{key} {n} is out of range: an id is 0 to 65535 (0xffff)"),
            )
        }),
        RawId::Text(text) => parse_hex_id(&text).ok_or_else(|| {
            (
                span,
                format!(
                    "{key} {text:?} is not an id: write a hex string of up to four digits \
                     like \"0x0086\", or an integer"
                ),
            )
        }),
    }
}

/// `"0x0086"` → 0x86: `0x` then one to four hex digits, nothing else.
fn parse_hex_id(text: &str) -> Option<u16> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

/// A scale as a fraction in lowest terms with a positive denominator.
fn scale(raw: &RawScale) -> std::result::Result<Scale, String> {
    let (numerator, denominator) = match raw {
        RawScale::Integer(n) => (*n, 1),
        RawScale::Float(f) if f.is_finite() => decimal(&f.to_string()).ok_or_else(|| {
            format!("scale {f} has too many digits; write it as a fraction like \"1/10\"")
        })?,
        RawScale::Float(f) => return Err(format!("scale must be a finite number, not {f}")),
        RawScale::Text(text) => {
            let bad = || format!("scale {text:?} is not a number or a fraction like \"1/10\"");
            match text.split_once('/') {
                Some((n, d)) => (
                    n.trim().parse::<i64>().map_err(|_| bad())?,
                    d.trim().parse::<i64>().map_err(|_| bad())?,
                ),
                None => decimal(text.trim()).ok_or_else(bad)?,
            }
        }
    };
    if denominator == 0 {
        return Err("scale denominator must not be 0".into());
    }
    if numerator == 0 {
        return Err("scale must not be 0".into());
    }
    let divisor = gcd(numerator.unsigned_abs(), denominator.unsigned_abs());
    // The divisor divides both, so the quotients fit (a divisor of 1 leaves them as they are).
    let (mut numerator, mut denominator) = (
        i128::from(numerator) / i128::from(divisor),
        i128::from(denominator) / i128::from(divisor),
    );
    if denominator < 0 {
        (numerator, denominator) = (-numerator, -denominator);
    }
    match (i64::try_from(numerator), i64::try_from(denominator)) {
        (Ok(numerator), Ok(denominator)) => Ok(Scale {
            numerator,
            denominator,
        }),
        _ => Err("scale is out of range".into()),
    }
}

/// A plain decimal (`12`, `-0.25`) as numerator and power-of-ten denominator; `None` when it
/// is not one or has more digits than an `i64` holds.
fn decimal(text: &str) -> Option<(i64, i64)> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = format!("{whole}{fraction}");
    if whole.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude: i64 = digits.parse().ok()?;
    let denominator = 10i64.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    Some((if negative { -magnitude } else { magnitude }, denominator))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// A cluster as `0x0402`, a command class as `0x31`, with the radio's word for it.
fn source_name(radio: RadioKind, source: u16) -> String {
    match radio {
        RadioKind::Zigbee => format!("cluster 0x{source:04x}"),
        RadioKind::Zwave => format!("command class 0x{source:02x}"),
    }
}

fn source_list(radio: RadioKind, sources: &[u16]) -> String {
    let mut names: Vec<String> = sources.iter().map(|s| source_name(radio, *s)).collect();
    if let Some(first) = names.first_mut() {
        first.push_str(" (the usual one)");
    }
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale_of(raw: RawScale) -> std::result::Result<(i64, i64), String> {
        scale(&raw).map(|s| (s.numerator, s.denominator))
    }

    #[test]
    fn scales_become_fractions_in_lowest_terms() {
        assert_eq!(scale_of(RawScale::Text("1/10".into())), Ok((1, 10)));
        assert_eq!(scale_of(RawScale::Text(" 10 / 100 ".into())), Ok((1, 10)));
        assert_eq!(scale_of(RawScale::Text("1/-1000".into())), Ok((-1, 1000)));
        assert_eq!(scale_of(RawScale::Text("0.25".into())), Ok((1, 4)));
        assert_eq!(scale_of(RawScale::Text("-2".into())), Ok((-2, 1)));
        assert_eq!(scale_of(RawScale::Integer(1000)), Ok((1000, 1)));
        assert_eq!(scale_of(RawScale::Float(0.1)), Ok((1, 10)));
        assert_eq!(scale_of(RawScale::Float(2.5)), Ok((5, 2)));
        assert_eq!(
            scale_of(RawScale::Text(format!("{}/1", i64::MIN))),
            Ok((i64::MIN, 1))
        );
    }

    #[test]
    fn bad_scales_are_refused_with_what_is_wrong() {
        let refused = |raw| scale_of(raw).expect_err("refused");
        assert_eq!(
            refused(RawScale::Text("1/0".into())),
            "scale denominator must not be 0"
        );
        assert_eq!(refused(RawScale::Integer(0)), "scale must not be 0");
        assert_eq!(refused(RawScale::Float(0.0)), "scale must not be 0");
        assert!(refused(RawScale::Text("a/b".into())).contains("not a number"));
        assert!(refused(RawScale::Text("1/2/3".into())).contains("not a number"));
        assert!(refused(RawScale::Text(".5".into())).contains("not a number"));
        assert!(refused(RawScale::Text("1e3".into())).contains("not a number"));
        assert!(refused(RawScale::Float(f64::NAN)).contains("finite"));
        assert!(refused(RawScale::Float(1e-30)).contains("too many digits"));
        // -i64::MIN does not fit: refused, not wrapped.
        assert_eq!(
            refused(RawScale::Text(format!("{}/-1", i64::MIN))),
            "scale is out of range"
        );
    }

    #[test]
    fn hex_ids_take_0x_and_one_to_four_digits() {
        assert_eq!(parse_hex_id("0x0086"), Some(0x86));
        assert_eq!(parse_hex_id("0XfFfF"), Some(0xFFFF));
        assert_eq!(parse_hex_id("0x1"), Some(1));
        for bad in [
            "0x", "0x10000", "0x00086", "86", "0x-1", "0x 86", "x86", "0x0g",
        ] {
            assert_eq!(parse_hex_id(bad), None, "{bad}");
        }
    }
}
