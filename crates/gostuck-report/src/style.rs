//! Terminal emphasis. Tests and pipes get [`Style::plain`]; the binary turns
//! colour on only for a terminal without `NO_COLOR`.

/// Whether to emit ANSI escapes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// Emit colour escapes.
    pub color: bool,
}

impl Style {
    /// No escapes.
    pub fn plain() -> Style {
        Style { color: false }
    }

    fn wrap(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Headings.
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    /// Bad news.
    pub fn red(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    /// Warnings.
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    /// Good news.
    pub fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    /// Less important text.
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    /// User code locations.
    pub fn cyan(self, s: &str) -> String {
        self.wrap("36", s)
    }
}
