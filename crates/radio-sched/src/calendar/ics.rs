//! The lexical layer of RFC 5545: unfolding, content lines and nested components.
//!
//! A *physical line* ends at LF (a CR before it is dropped). A *logical line* is a
//! physical line plus the continuation lines that follow it (lines starting with a space
//! or a tab, which is dropped). Each logical line is a *content line*
//! `NAME;PARAM=VALUE;PARAM="quoted":value`, and `BEGIN:X` / `END:X` lines nest them into
//! *components*. Nothing here knows what a property means; [`super::event`] does.
//!
//! Unfolding works on bytes and checks UTF-8 per logical line, because some producers
//! fold in the middle of a multi-byte character.

use super::error::{CalendarError, snippet};

/// The longest logical (unfolded) line accepted. Google folds at 75 octets, and the
/// longest real lines are descriptions of a few KiB.
pub(crate) const MAX_LINE: usize = 256 * 1024;
/// The deepest nesting accepted (VCALENDAR > VEVENT > VALARM is 3).
pub(crate) const MAX_DEPTH: usize = 8;
/// The most components (of any kind) accepted in one text.
pub(crate) const MAX_COMPONENTS: usize = 200_000;

/// One `;NAME=VALUE,VALUE` parameter. Names are upper-case, quotes are removed.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub name: String,
    pub values: Vec<String>,
}

/// One content line other than `BEGIN`/`END`.
#[derive(Debug, Clone)]
pub(crate) struct Property {
    /// Upper-case name.
    pub name: String,
    pub params: Vec<Param>,
    /// The raw value, still escaped.
    pub value: String,
    /// The physical line the property starts on.
    pub line: usize,
}

impl Property {
    /// The first value of parameter `name` (upper-case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.values.first())
            .map(String::as_str)
    }

    /// An error about this property's value.
    pub fn error(&self, message: impl Into<String>) -> CalendarError {
        CalendarError::value(self.line, self.name.clone(), message)
    }
}

/// A `BEGIN:NAME` ... `END:NAME` block.
#[derive(Debug, Clone)]
pub(crate) struct Component {
    /// Upper-case name.
    pub name: String,
    /// The line of `BEGIN`.
    pub line: usize,
    pub props: Vec<Property>,
    pub children: Vec<Component>,
}

impl Component {
    /// The first property called `name`.
    pub fn prop(&self, name: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.name == name)
    }

    /// Every property called `name`.
    pub fn props<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }
}

/// Parses a whole text into its top-level components (each a `VCALENDAR`).
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Component>, CalendarError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut builder = Builder::default();
    let mut logical: Vec<u8> = Vec::new();
    let mut logical_line = 0;
    let mut last_line = 0;
    for (i, physical) in bytes.split(|&b| b == b'\n').enumerate() {
        let n = i + 1;
        last_line = n;
        let physical = physical.strip_suffix(b"\r").unwrap_or(physical);
        if let Some(rest) = physical
            .strip_prefix(b" ")
            .or_else(|| physical.strip_prefix(b"\t"))
        {
            if logical_line == 0 {
                return Err(CalendarError::syntax(
                    n,
                    "continuation line (starting with a space) with no line before it",
                ));
            }
            if logical.len() + rest.len() > MAX_LINE {
                return Err(CalendarError::Limit {
                    line: logical_line,
                    what: "unfolded line too long",
                    limit: MAX_LINE,
                });
            }
            logical.extend_from_slice(rest);
            continue;
        }
        if logical_line != 0 {
            builder.line(&logical, logical_line)?;
            logical.clear();
            logical_line = 0;
        }
        if physical.is_empty() {
            continue;
        }
        if physical.len() > MAX_LINE {
            return Err(CalendarError::Limit {
                line: n,
                what: "line too long",
                limit: MAX_LINE,
            });
        }
        logical.extend_from_slice(physical);
        logical_line = n;
    }
    if logical_line != 0 {
        builder.line(&logical, logical_line)?;
    }
    builder.finish(last_line.max(1))
}

#[derive(Default)]
struct Builder {
    stack: Vec<Component>,
    roots: Vec<Component>,
    components: usize,
}

impl Builder {
    fn line(&mut self, bytes: &[u8], line: usize) -> Result<(), CalendarError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| CalendarError::syntax(line, "not valid UTF-8"))?;
        let prop = content_line(text, line)?;
        match prop.name.as_str() {
            "BEGIN" => {
                let name = component_name(&prop)?;
                if self.stack.len() >= MAX_DEPTH {
                    return Err(CalendarError::Limit {
                        line,
                        what: "components nested too deeply",
                        limit: MAX_DEPTH,
                    });
                }
                if self.stack.is_empty() && name != "VCALENDAR" {
                    return Err(CalendarError::syntax(
                        line,
                        format!("expected BEGIN:VCALENDAR, found BEGIN:{name}"),
                    ));
                }
                self.components += 1;
                if self.components > MAX_COMPONENTS {
                    return Err(CalendarError::Limit {
                        line,
                        what: "too many components",
                        limit: MAX_COMPONENTS,
                    });
                }
                self.stack.push(Component {
                    name,
                    line,
                    props: Vec::new(),
                    children: Vec::new(),
                });
            }
            "END" => {
                let name = component_name(&prop)?;
                let Some(done) = self.stack.pop() else {
                    return Err(CalendarError::syntax(
                        line,
                        format!("END:{name} without a matching BEGIN:{name}"),
                    ));
                };
                if done.name != name {
                    return Err(CalendarError::syntax(
                        line,
                        format!(
                            "END:{name} does not match BEGIN:{} on line {}",
                            done.name, done.line
                        ),
                    ));
                }
                match self.stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => self.roots.push(done),
                }
            }
            _ => match self.stack.last_mut() {
                Some(c) => c.props.push(prop),
                None => {
                    return Err(CalendarError::syntax(
                        line,
                        format!("{} outside BEGIN:VCALENDAR ... END:VCALENDAR", prop.name),
                    ));
                }
            },
        }
        Ok(())
    }

    fn finish(self, last_line: usize) -> Result<Vec<Component>, CalendarError> {
        if let Some(open) = self.stack.last() {
            return Err(CalendarError::syntax(
                open.line,
                format!(
                    "BEGIN:{} is never closed (no END:{} before the end of the file at line {last_line})",
                    open.name, open.name
                ),
            ));
        }
        if self.roots.is_empty() {
            return Err(CalendarError::syntax(
                last_line,
                "no BEGIN:VCALENDAR in the text",
            ));
        }
        Ok(self.roots)
    }
}

fn component_name(prop: &Property) -> Result<String, CalendarError> {
    let name = prop.value.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(prop.error(format!("invalid component name {}", snippet(name))));
    }
    Ok(name.to_ascii_uppercase())
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Splits one logical line into name, parameters and raw value.
fn content_line(s: &str, line: usize) -> Result<Property, CalendarError> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_name_byte(b[i]) {
        i += 1;
    }
    if i == 0 {
        return Err(CalendarError::syntax(
            line,
            format!("expected a property name, found {}", snippet(s)),
        ));
    }
    let name = s[..i].to_ascii_uppercase();
    let mut params = Vec::new();
    loop {
        match b.get(i) {
            Some(b':') => {
                i += 1;
                break;
            }
            Some(b';') => {
                i += 1;
                let start = i;
                while i < b.len() && is_name_byte(b[i]) {
                    i += 1;
                }
                if i == start || b.get(i) != Some(&b'=') {
                    return Err(CalendarError::syntax(
                        line,
                        format!("{name}: malformed parameter in {}", snippet(s)),
                    ));
                }
                let pname = s[start..i].to_ascii_uppercase();
                i += 1;
                let mut values = Vec::new();
                loop {
                    if b.get(i) == Some(&b'"') {
                        let open = i + 1;
                        let Some(len) = s[open..].find('"') else {
                            return Err(CalendarError::syntax(
                                line,
                                format!("{name}: unterminated quoted parameter {pname}"),
                            ));
                        };
                        values.push(s[open..open + len].to_string());
                        i = open + len + 1;
                    } else {
                        let start = i;
                        while i < b.len() && !matches!(b[i], b';' | b':' | b',' | b'"') {
                            i += 1;
                        }
                        values.push(s[start..i].to_string());
                    }
                    if b.get(i) == Some(&b',') {
                        i += 1;
                    } else {
                        break;
                    }
                }
                params.push(Param {
                    name: pname,
                    values,
                });
            }
            Some(_) => {
                return Err(CalendarError::syntax(
                    line,
                    format!(
                        "{name}: expected ':' or ';' after the name in {}",
                        snippet(s)
                    ),
                ));
            }
            None => {
                return Err(CalendarError::syntax(
                    line,
                    format!("{name}: no ':' before the value in {}", snippet(s)),
                ));
            }
        }
    }
    Ok(Property {
        name,
        params,
        value: s[i..].to_string(),
        line,
    })
}

/// Undoes TEXT escaping: `\n`/`\N` → newline, `\,` `\;` `\\` → the character. Other
/// backslashes are kept as written (some producers do not escape them).
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(e @ (',' | ';' | '\\')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a TEXT list (`CATEGORIES:a,b\,c`) at unescaped commas, unescaping each part.
pub(crate) fn text_list(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                parts.push(unescape(&s[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(unescape(&s[start..]));
    parts.retain(|p| !p.trim().is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_crlf_and_lf_and_tabs() {
        let text = "BEGIN:VCALENDAR\r\nX-A:ab\r\n c\r\n\td\nEND:VCALENDAR\n";
        let roots = parse(text.as_bytes()).unwrap();
        assert_eq!(roots[0].props[0].value, "abcd");
        assert_eq!(roots[0].props[0].line, 2);
    }

    #[test]
    fn params_with_quotes_and_lists() {
        let p = content_line(
            "ATTENDEE;CN=\"Doe; Jane:x\";DELEGATED-TO=\"a\",\"b\":mailto:j@x",
            3,
        )
        .unwrap();
        assert_eq!(p.param("CN"), Some("Doe; Jane:x"));
        assert_eq!(p.params[1].values, ["a", "b"]);
        assert_eq!(p.value, "mailto:j@x");
    }

    #[test]
    fn text_escapes() {
        assert_eq!(unescape(r"a\nb\, c\; d\\e\x"), "a\nb, c; d\\e\\x");
        assert_eq!(text_list(r"show,a\,b,"), ["show", "a,b"]);
    }

    #[test]
    fn bad_lines_name_their_line() {
        let e = parse(b"BEGIN:VCALENDAR\nno colon here\nEND:VCALENDAR").unwrap_err();
        assert_eq!(e.line(), Some(2));
        let e = parse(b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VCALENDAR").unwrap_err();
        assert_eq!(e.line(), Some(3));
        let e = parse(b"BEGIN:VCALENDAR\nBEGIN:VEVENT\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
        let e = parse("BEGIN:VCALENDAR\nX:\u{e9}\n".as_bytes()[..19].as_ref()).unwrap_err();
        assert_eq!(e.line(), Some(2));
    }
}
