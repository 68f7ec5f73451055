//! Text that came from input, made safe to print on a terminal.
//!
//! A runbook field, a parameter, an AWS response or a lock file may hold ESC, BEL, CR or other control characters:
//! printed raw they recolor or clear the screen, retitle the window, or (a CR or a line break) overwrite and forge
//! lines of our own output (`01:00:00 ok fake`). Everything printed that came from input passes through here, with
//! or without color; the escape sequences the program emits itself are added around the cleaned text, never
//! through it.
//!
//! A control character is shown as a visible escape (`\e`, `\r`, `\n`, `\u{9b}`), so nothing is silently lost.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Text for one line of output: every control character escaped, line breaks included.
pub fn line(text: &str) -> Cow<'_, str> {
    clean(text, false)
}

/// Text that may span lines (a runbook's doc, a multi-line message): line breaks kept, every other control
/// character escaped.
pub fn block(text: &str) -> Cow<'_, str> {
    clean(text, true)
}

/// One message to stderr, control characters that came from input made visible. What `eprintln!` would print;
/// use [`crate::say!`].
pub fn say(text: &str) {
    eprintln!("{}", block(text));
}

/// `eprintln!` for messages that may carry input: the runbook's fields, parameters, AWS responses, file names.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::foundation::terminal_text::say(&format!($($arg)*))
    };
}

fn clean(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| is_control(c) && !(keep_newlines && c == '\n') && c != '\t';
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !unsafe_char(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            other => {
                let _ = write!(out, "\\u{{{:x}}}", other as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// C0 controls, DEL and C1 controls: the characters a terminal may act on instead of showing.
fn is_control(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible_escapes() {
        assert_eq!(
            line("a\x1b[2Jb\x07c\rd\ne\u{9b}f\tg"),
            "a\\e[2Jb\\ac\\rd\\ne\\u{9b}f\tg"
        );
        assert_eq!(block("one\ntwo\r\n"), "one\ntwo\\r\n");
    }

    #[test]
    fn clean_text_is_not_copied() {
        assert!(matches!(line("plain text, ünïcode"), Cow::Borrowed(_)));
    }
}
