//! JSON output: indented like `serde_json`'s pretty printer, except that
//! arrays of numbers stay on one line (`"goroutines": [1, 2, 3]`). A report on
//! a million-goroutine dump lists every goroutine ID of each wait edge; one ID
//! per line made that output four times larger and its writing a tenth of the
//! whole run. The JSON value is the same either way.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

/// Where the writer is inside arrays and objects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// An object; whether it has a member yet.
    Object { has_value: bool },
    /// An array with no element yet.
    ArrayEmpty,
    /// An array whose first element is about to be written: its kind decides
    /// the layout.
    ArrayFirst,
    /// An array of numbers, on one line.
    ArrayInline,
    /// An array of anything else, one element per line.
    ArrayBlock,
}

struct Layout {
    indent: usize,
    levels: Vec<Level>,
}

const INDENT: &[u8] = b"  ";

impl Layout {
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..self.indent {
            w.write_all(INDENT)?;
        }
        Ok(())
    }

    /// Called before any value: the first element of an array fixes its layout.
    fn value<W: ?Sized + Write>(&mut self, w: &mut W, number: bool) -> io::Result<()> {
        if let Some(top) = self.levels.last_mut() {
            if *top == Level::ArrayFirst {
                if number {
                    *top = Level::ArrayInline;
                } else {
                    *top = Level::ArrayBlock;
                    self.newline(w)?;
                }
            }
        }
        Ok(())
    }
}

macro_rules! numbers {
    ($($name:ident: $t:ty),* $(,)?) => {
        $(
            fn $name<W: ?Sized + Write>(&mut self, w: &mut W, v: $t) -> io::Result<()> {
                self.value(w, true)?;
                serde_json::ser::CompactFormatter.$name(w, v)
            }
        )*
    };
}

impl Formatter for Layout {
    numbers!(
        write_i8: i8, write_i16: i16, write_i32: i32, write_i64: i64, write_i128: i128,
        write_u8: u8, write_u16: u16, write_u32: u32, write_u64: u64, write_u128: u128,
        write_f32: f32, write_f64: f64,
    );

    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value(w, false)?;
        w.write_all(b"null")
    }

    fn write_bool<W: ?Sized + Write>(&mut self, w: &mut W, v: bool) -> io::Result<()> {
        self.value(w, false)?;
        w.write_all(if v { b"true" } else { b"false" })
    }

    fn write_number_str<W: ?Sized + Write>(&mut self, w: &mut W, v: &str) -> io::Result<()> {
        self.value(w, true)?;
        w.write_all(v.as_bytes())
    }

    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value(w, false)?;
        w.write_all(b"\"")
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value(w, false)?;
        self.levels.push(Level::ArrayEmpty);
        self.indent += 1;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.indent -= 1;
        if self.levels.pop() == Some(Level::ArrayBlock) {
            self.newline(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        match self.levels.last_mut() {
            Some(top) if first => {
                *top = Level::ArrayFirst;
                Ok(())
            }
            Some(Level::ArrayInline) => w.write_all(b", "),
            _ => {
                w.write_all(b",")?;
                self.newline(w)
            }
        }
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value(w, false)?;
        self.levels.push(Level::Object { has_value: false });
        self.indent += 1;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.indent -= 1;
        if self.levels.pop() == Some(Level::Object { has_value: true }) {
            self.newline(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        if let Some(Level::Object { has_value }) = self.levels.last_mut() {
            *has_value = true;
        }
        Ok(())
    }
}

/// Writes `value` as indented JSON with arrays of numbers on one line.
pub(crate) fn write<T: Serialize + ?Sized>(w: &mut dyn Write, value: &T) -> serde_json::Result<()> {
    let layout = Layout {
        indent: 0,
        levels: Vec::new(),
    };
    let mut ser =
        serde_json::Serializer::with_formatter(io::BufWriter::with_capacity(1 << 16, w), layout);
    value.serialize(&mut ser)?;
    ser.into_inner().flush().map_err(serde_json::Error::io)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn show(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        super::write(&mut out, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_inline_everything_else_indented_and_the_value_unchanged() {
        let v = json!({
            "ids": [1, 2, 3],
            "empty": [],
            "none": {},
            "names": ["a", "b"],
            "nested": [{"x": [4.5, -1], "y": null, "z": true}, {"w": [[1, 2], [3]]}],
        });
        let got = show(&v);
        assert!(got.contains("\"ids\": [1, 2, 3]"), "{got}");
        assert!(got.contains("\"empty\": []"), "{got}");
        assert!(got.contains("\"none\": {}"), "{got}");
        assert!(
            got.contains("\"names\": [\n    \"a\",\n    \"b\"\n  ]"),
            "{got}"
        );
        assert!(got.contains("\"x\": [4.5, -1]"), "{got}");
        assert!(
            got.contains("[\n        [1, 2],\n        [3]\n      ]"),
            "{got}"
        );
        let back: serde_json::Value = serde_json::from_str(&got).unwrap();
        assert_eq!(back, v);
        // Everything but arrays of numbers is laid out as serde_json's pretty printer does.
        let plain = json!({"a": {"b": ["c", {"d": null}]}, "e": false});
        assert_eq!(show(&plain), serde_json::to_string_pretty(&plain).unwrap());
    }
}
