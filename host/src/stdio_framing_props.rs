//! Property tests of the stdio framing (`read_frame`): whatever lines arrive, cut into
//! whatever read sizes, the frames are exactly the non-blank lines in order, with each line
//! over the cap reported as `Oversized` rather than held in memory.

use std::io::BufReader;

use proptest::prelude::*;

use super::{Frame, MAX_LINE_BYTES, read_frame};

/// What the reader yields for `input` read through a buffer of `capacity` bytes: each
/// frame as its line, or None for an oversized one.
fn frames(input: &[u8], capacity: usize) -> Vec<Option<Vec<u8>>> {
    let mut reader = BufReader::with_capacity(capacity, input);
    let mut frames = Vec::new();
    while let Some(frame) = read_frame(&mut reader).expect("a slice cannot fail to read") {
        frames.push(match frame {
            Frame::Line(line) => Some(line),
            Frame::Oversized => None,
        });
    }
    frames
}

/// The lines joined with newlines, the last one with or without its own.
fn join(lines: &[Vec<u8>], final_newline: bool) -> Vec<u8> {
    let mut input = lines.join(&b'\n');
    if final_newline && !lines.is_empty() {
        input.push(b'\n');
    }
    input
}

/// What the framing promises: blank lines vanish, long ones (blank or not) are Oversized,
/// the rest come through byte for byte.
fn expected(lines: &[Vec<u8>]) -> Vec<Option<Vec<u8>>> {
    lines
        .iter()
        .filter(|line| line.len() > MAX_LINE_BYTES || !line.trim_ascii().is_empty())
        .map(|line| (line.len() <= MAX_LINE_BYTES).then(|| line.clone()))
        .collect()
}

/// One line without its newline: random bytes (JSON-looking or not), or only whitespace.
fn small_line() -> impl Strategy<Value = Vec<u8>> {
    let byte = any::<u8>().prop_map(|byte| if byte == b'\n' { b'{' } else { byte });
    let blank = prop::sample::select(vec![b' ', b'\t', b'\r', 0x0b, 0x0c]);
    prop_oneof![
        4 => prop::collection::vec(byte, 0..200),
        1 => prop::collection::vec(blank, 0..6),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(10_000) })]

    #[test]
    fn small_lines_come_out_whole_and_in_order(
        lines in prop::collection::vec(small_line(), 0..20),
        final_newline in any::<bool>(),
        capacity in 1usize..=4096,
    ) {
        let input = join(&lines, final_newline);
        prop_assert_eq!(frames(&input, capacity), expected(&lines));
    }
}

proptest! {
    // Each case holds lines of tens of megabytes, so only a few: the cap is a constant.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(6) })]

    #[test]
    fn lines_around_the_cap_are_cut_exactly_at_it(
        before in small_line(),
        offset in prop::sample::select(vec![-1i64, 0, 1, 4096]),
        blank in any::<bool>(),
        after in small_line(),
        final_newline in any::<bool>(),
        capacity in 1usize..=4096,
    ) {
        let length = (MAX_LINE_BYTES as i64 + offset) as usize;
        let big = vec![if blank { b' ' } else { b'x' }; length];
        let lines = vec![before, big, after];
        let input = join(&lines, final_newline);
        prop_assert!(frames(&input, capacity) == expected(&lines));
    }
}
