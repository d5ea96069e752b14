//! The setup code a person types to pair a client: 8 decimal digits, the last a Verhoeff check
//! digit, shown as `1234-5678`. The first digit is the code's slot (its locator), which the
//! client sends in the clear so the hub knows which of its live codes is meant; the other six
//! data digits are the secret.
//!
//! Codes come from the operating system's random source and are never trivial: no code whose
//! seven data digits or whole eight digits are all one digit or an ascending or descending run
//! (such as 1234567 or 87654321, counting 9→0 as a step), nor any of Matter's invalid
//! passcodes. Parsing takes out dashes and spaces and refuses a mistyped code (wrong check
//! digit) before any network exchange, so a typo costs the person no lock-out attempt.

use zeroize::{Zeroize, Zeroizing};

use super::{CodeProblem, Error, Result};
use crate::crypto::fill_random;

/// Digits in a setup code, check digit included.
pub const CODE_LEN: usize = 8;
/// Data digits (locator and secret), before the check digit.
pub const DATA_LEN: usize = CODE_LEN - 1;
/// Number of code slots: the first digit takes one of ten values.
pub const SLOTS: u8 = 10;

/// Matter's invalid passcodes (Matter Core Specification §5.1.7.1, as connectedhomeip's
/// `PayloadContents::IsValidSetupPIN` lists them; 00000000 and 99999999 lie outside its range
/// 00000001..=99999998). sealhub refuses them as whole codes.
pub const MATTER_INVALID_PASSCODES: [&str; 12] = [
    "00000000", "11111111", "22222222", "33333333", "44444444", "55555555", "66666666", "77777777",
    "88888888", "99999999", "12345678", "87654321",
];

// The Verhoeff scheme: J. Verhoeff, "Error Detecting Decimal Codes", Mathematical Centre
// Tract 29, Mathematisch Centrum, Amsterdam, 1969. The tables are the usual presentation of it
// (as in Wikipedia's "Verhoeff algorithm"): D is multiplication in the dihedral group D5, P the
// position-dependent permutation (row i is the permutation (1 5 8 9 4 2 7 0)(3 6) applied i
// times), INV the inverse in D5. It detects every single-digit error and every transposition
// of adjacent digits.
const D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// The Verhoeff checksum of `digits` (each 0..=9) where the rightmost digit sits at `offset`.
fn verhoeff_sum(digits: &[u8], offset: usize) -> u8 {
    digits.iter().rev().enumerate().fold(0u8, |c, (i, &digit)| {
        D[usize::from(c)][usize::from(P[(i + offset) % 8][usize::from(digit % 10)])]
    })
}

/// The Verhoeff check digit to append to `digits` (each 0..=9).
pub fn verhoeff_check_digit(digits: &[u8]) -> u8 {
    // The check digit will sit at position 0, so the data digits start at position 1.
    INV[usize::from(verhoeff_sum(digits, 1))]
}

/// Whether `digits` (each 0..=9) end in a valid Verhoeff check digit.
pub fn verhoeff_is_valid(digits: &[u8]) -> bool {
    !digits.is_empty() && verhoeff_sum(digits, 0) == 0
}

/// Whether every step between neighbours is +1, or every step is −1 (mod 10), or there is no
/// step at all: all-same digits and ascending or descending runs.
fn is_run(digits: &[u8]) -> bool {
    let steps: Vec<u8> = digits.windows(2).map(|w| (w[1] + 10 - w[0]) % 10).collect();
    steps.iter().all(|&s| s == 0) || steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == 9)
}

/// Whether a whole code is one sealhub never issues.
fn is_trivial(digits: &[u8; CODE_LEN]) -> bool {
    let ascii: [u8; CODE_LEN] = digits.map(|d| b'0' + d);
    is_run(&digits[..DATA_LEN])
        || is_run(digits)
        || MATTER_INVALID_PASSCODES
            .iter()
            .any(|bad| bad.as_bytes() == ascii)
}

/// A setup code: 8 digits, the last a Verhoeff check digit. Zeroized on drop; it has no
/// `Display`, and its `Debug` shows only the slot digit, so it never reaches a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SetupCode([u8; CODE_LEN]);

impl Drop for SetupCode {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for SetupCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SetupCode({}xxx-xxxx)", self.0[0])
    }
}

impl SetupCode {
    /// A fresh code in slot `locator` (0..=9): six random secret digits from the system random
    /// source, the check digit, and a new draw whenever the result would be trivial.
    pub fn generate(locator: u8) -> Result<Self> {
        if locator >= SLOTS {
            return Err(Error::NoFreeSlot);
        }
        loop {
            let mut digits = [0u8; CODE_LEN];
            digits[0] = locator;
            for digit in &mut digits[1..DATA_LEN] {
                *digit = random_digit()?;
            }
            digits[DATA_LEN] = verhoeff_check_digit(&digits[..DATA_LEN]);
            if !is_trivial(&digits) {
                return Ok(SetupCode(digits));
            }
            digits.zeroize();
        }
    }

    /// Reads a code as a person typed it: digits with any dashes or spaces between them.
    /// A wrong length, another character, a wrong check digit or a trivial code is refused
    /// here, with a [`CodeProblem`] to show the person.
    pub fn parse(text: &str) -> Result<Self> {
        let mut digits = Zeroizing::new([0u8; CODE_LEN]);
        let mut count = 0usize;
        for c in text.chars() {
            match c {
                '-' | ' ' | '\t' => {}
                '0'..='9' => {
                    if count < CODE_LEN {
                        digits[count] = c as u8 - b'0';
                    }
                    count += 1;
                }
                _ => return Err(Error::InvalidCode(CodeProblem::NotDigits)),
            }
        }
        if count != CODE_LEN {
            return Err(Error::InvalidCode(CodeProblem::WrongLength));
        }
        if !verhoeff_is_valid(digits.as_slice()) {
            return Err(Error::InvalidCode(CodeProblem::CheckDigit));
        }
        if is_trivial(&digits) {
            return Err(Error::InvalidCode(CodeProblem::Trivial));
        }
        Ok(SetupCode(*digits))
    }

    /// The slot digit (the first), which the client sends so the hub can pick the verifier.
    pub fn locator(&self) -> u8 {
        self.0[0]
    }

    /// The eight ASCII digits, the PBKDF2 password (a web page gets the same bytes from
    /// `new TextEncoder().encode("12345670")`).
    pub fn password(&self) -> Zeroizing<[u8; CODE_LEN]> {
        Zeroizing::new(self.0.map(|d| b'0' + d))
    }

    /// The code as people read it: `1234-5678`. Only for showing to the person who pairs.
    pub fn to_grouped_string(&self) -> Zeroizing<String> {
        let ascii = self.password();
        let mut out = Zeroizing::new(String::with_capacity(CODE_LEN + 1));
        for (i, &b) in ascii.iter().enumerate() {
            if i == 4 {
                out.push('-');
            }
            out.push(char::from(b));
        }
        out
    }
}

/// A uniform decimal digit: a random byte below 250 taken mod 10 (others are drawn again).
fn random_digit() -> Result<u8> {
    loop {
        let mut byte = [0u8; 1];
        fill_random(&mut byte)?;
        if byte[0] < 250 {
            return Ok(byte[0] % 10);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    /// Published examples: 236 → 3 (Wikipedia "Verhoeff algorithm", the check-digit example),
    /// 142857 → 0 (the same article validates 1428570 step by step), and 1456789 → 4 (Perl's
    /// Algorithm::CheckDigits, module MXX_006, documentation: `complete('1456789')` is
    /// `'14567894'`).
    #[test]
    fn verhoeff_matches_published_examples() {
        assert_eq!(verhoeff_check_digit(&digits("236")), 3);
        assert!(verhoeff_is_valid(&digits("2363")));
        assert_eq!(verhoeff_check_digit(&digits("142857")), 0);
        assert!(verhoeff_is_valid(&digits("1428570")));
        assert_eq!(verhoeff_check_digit(&digits("1456789")), 4);
        assert!(verhoeff_is_valid(&digits("14567894")));
        assert!(!verhoeff_is_valid(&digits("14567895")));
        assert!(!verhoeff_is_valid(&digits("2336")), "adjacent swap of 2363");
    }

    #[test]
    fn parsing_accepts_dashes_and_spaces_and_mirrors_the_grouped_form() {
        let code = SetupCode::generate(4).expect("rng");
        let grouped = code.to_grouped_string();
        assert_eq!(grouped.len(), 9);
        assert_eq!(&grouped[4..5], "-");
        assert_eq!(SetupCode::parse(&grouped).expect("grouped"), code);
        let plain: String = grouped.chars().filter(|c| *c != '-').collect();
        let spaced = format!(" {} {} ", &plain[..4], &plain[4..]);
        assert_eq!(SetupCode::parse(&spaced).expect("spaced"), code);
        assert_eq!(SetupCode::parse(&plain).expect("plain"), code);
        assert_eq!(code.locator(), 4);
        assert_eq!(&code.password()[..], plain.as_bytes());
    }

    #[test]
    fn malformed_codes_are_refused_with_what_is_wrong() {
        let problem = |s: &str| match SetupCode::parse(s) {
            Err(Error::InvalidCode(p)) => p,
            other => panic!("{s:?} gave {other:?}"),
        };
        assert_eq!(problem("1234-567"), CodeProblem::WrongLength);
        assert_eq!(problem("1234-56789"), CodeProblem::WrongLength);
        assert_eq!(problem(""), CodeProblem::WrongLength);
        assert_eq!(problem("1234-567a"), CodeProblem::NotDigits);
        assert_eq!(problem("1234_5678"), CodeProblem::NotDigits);
        assert_eq!(
            problem("１２３４５６７８"),
            CodeProblem::NotDigits,
            "full-width digits"
        );
        // 1456789 + 4 is valid; + 5 is a mistyped check digit.
        assert_eq!(problem("1456-7895"), CodeProblem::CheckDigit);
        SetupCode::parse("1456-7894").expect("valid and not trivial");
    }

    /// Trivial codes are refused even with a correct check digit: all-same and runs of the
    /// seven data digits (with whatever check digit they get) and Matter's list.
    #[test]
    fn trivial_codes_are_refused_even_with_a_valid_check_digit() {
        for data in [
            "1111111", "1234567", "7654321", "8901234", "0987654", "0000000",
        ] {
            let mut d = digits(data);
            d.push(verhoeff_check_digit(&d));
            let text: String = d.iter().map(|x| char::from(b'0' + x)).collect();
            assert!(
                matches!(
                    SetupCode::parse(&text),
                    Err(Error::InvalidCode(CodeProblem::Trivial))
                ),
                "{text} accepted"
            );
        }
        for bad in MATTER_INVALID_PASSCODES {
            let mut arr = [0u8; CODE_LEN];
            arr.copy_from_slice(&digits(bad));
            assert!(is_trivial(&arr), "{bad} not trivial");
        }
        let mut arr = [0u8; CODE_LEN];
        arr.copy_from_slice(&digits("14567894"));
        assert!(!is_trivial(&arr));
    }

    #[test]
    fn generated_codes_are_valid_in_their_slot_and_never_trivial() {
        for slot in 0..SLOTS {
            for _ in 0..50 {
                let code = SetupCode::generate(slot).expect("rng");
                assert_eq!(code.locator(), slot);
                assert!(verhoeff_is_valid(&code.0));
                assert!(!is_trivial(&code.0));
            }
        }
        assert!(SetupCode::generate(10).is_err());
    }

    #[test]
    fn debug_hides_the_secret_digits() {
        let code = SetupCode::parse("1456-7894").expect("valid");
        assert_eq!(format!("{code:?}"), "SetupCode(1xxx-xxxx)");
    }

    proptest! {
        /// Every single-digit change and every swap of two different adjacent digits of a
        /// valid code breaks its check digit.
        #[test]
        fn every_single_error_and_adjacent_swap_is_caught(data in proptest::collection::vec(0u8..10, DATA_LEN)) {
            let mut code = data.clone();
            code.push(verhoeff_check_digit(&data));
            prop_assert!(verhoeff_is_valid(&code));
            for i in 0..CODE_LEN {
                for replacement in 0..10u8 {
                    if replacement != code[i] {
                        let mut typo = code.clone();
                        typo[i] = replacement;
                        prop_assert!(!verhoeff_is_valid(&typo), "{:?} -> {:?}", code, typo);
                    }
                }
                if i + 1 < CODE_LEN && code[i] != code[i + 1] {
                    let mut swapped = code.clone();
                    swapped.swap(i, i + 1);
                    prop_assert!(!verhoeff_is_valid(&swapped), "{:?} -> {:?}", code, swapped);
                }
            }
        }
    }
}
