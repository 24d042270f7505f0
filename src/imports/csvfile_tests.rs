//! Checking and reading a file a chunk at a time gives what a whole-file check would.

use super::*;

/// A reader that hands out at most `step` bytes per read, as a file or socket may.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn check(bytes: &[u8]) -> Result<usize, ImportRefusal> {
    check_stream(bytes, bytes.len() as u64, Limits::default())
}

/// Rows of `body` text, each line the same length, so a byte offset falls where a test needs.
fn lines(n: usize) -> Vec<u8> {
    let mut text = b"body\n".to_vec();
    for i in 0..n {
        text.extend_from_slice(format!("row {i:09}\n").as_bytes());
    }
    text
}

#[test]
fn a_character_split_between_chunks_is_fine() {
    let mut text = lines(0);
    text.resize(CHECK_CHUNK - 1, b'a');
    text.extend_from_slice("é ü\n".as_bytes());
    assert_eq!(check(&text), Ok(0));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&text);
    assert_eq!(check(&bom), Ok(3));
}

#[test]
fn problems_far_into_a_file_name_their_line() {
    // 15 bytes a line: line 100,001 starts past the first chunk.
    let mut text = lines(100_000);
    text.extend_from_slice(b"caf\xe9\n");
    match check(&text) {
        Err(ImportRefusal::NotCsv(m)) => assert!(m.contains("line 100002"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A NUL byte is reported even after a UTF-8 problem, as a whole-file check does.
    text.extend_from_slice(b"x\0\n");
    match check(&text) {
        Err(ImportRefusal::NotCsv(m)) => assert!(m.contains("NUL byte on line 100003"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A sequence cut off by the end of the file.
    let mut cut = lines(100_000);
    cut.extend_from_slice(b"\xC3");
    assert!(matches!(check(&cut), Err(ImportRefusal::NotCsv(_))));
    assert_eq!(check(b" \r\n\t"), Err(ImportRefusal::Empty));
}

#[test]
fn line_numbers_hold_across_a_long_file_read_in_small_pieces() {
    // CRLF, lone CR and a quoted line break, far past the counter's buffer.
    let mut text = String::from("body,n\r\n");
    for i in 0..20_000 {
        text.push_str(&format!("row {i},{i}\r\n"));
    }
    text.push_str("\"two\nlines\",x\rlast,1,extra\r\n");
    let mut file = open_checked(Trickle {
        bytes: text.as_bytes(),
        step: 777,
    })
    .expect("opens");
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    let rows = file
        .for_each_row(Limits::default(), &mut errors, &mut |_| {}, |line, rec| {
            if line > 20_000 {
                seen.push((line, rec.get(0).unwrap_or_default().to_owned()));
            }
        })
        .expect("reads");
    assert_eq!(rows, 20_002);
    assert_eq!(seen[0], (20_001, "row 19999".to_owned()));
    assert_eq!(seen[1], (20_002, "two\nlines".to_owned()));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 20_004, "{errors:?}");
}
