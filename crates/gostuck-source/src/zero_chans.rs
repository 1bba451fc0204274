//! Channels that are never given a value: a struct field or variable
//! declared with a channel type and no value is nil, and stays nil if no
//! code of its package ever assigns it. Operations on it block for ever.
//!
//! The runtime says so in a goroutine dump (`chan receive (nil chan)`), but
//! a pprof `debug=1` or `debug=0` profile prints no wait reasons: there the
//! source is the only witness. Read at parse time, per file
//! ([`crate::SourceFile::chan_values`]); a package is judged over all its
//! files ([`never_made`]).

use tree_sitter::{Node, Tree};

use crate::class_of;
use crate::ops::text;

/// What one file says about channel values.
#[derive(Debug, Clone, Default)]
pub struct ChanValues {
    /// Names declared with a channel type and no value: struct fields
    /// (`events chan int`) and variables (`var ready chan struct{}`).
    declared_zero: Vec<String>,
    /// Names that receive a value somewhere: the left of an assignment, a
    /// declaration with a value, a key of a composite literal, an operand of
    /// `&`, a parameter or named result, a `range` or receive target.
    set: Vec<String>,
    /// Types of composite literals with positional elements (`T{a, b}`):
    /// they set every field of `T`.
    positional: Vec<String>,
    /// Fields of the struct types declared here: (type, fields).
    fields: Vec<(String, Vec<String>)>,
}

impl ChanValues {
    /// Whether this file gives `name` a value somewhere: then no channel of
    /// that name is nil for [`never_made`], whatever the other files say.
    #[must_use]
    pub fn gives_value(&self, name: &str) -> bool {
        self.set.iter().any(|s| s == name)
    }
}

pub(crate) fn collect(tree: &Tree, src: &[u8]) -> ChanValues {
    let mut out = ChanValues::default();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        visit(n, src, &mut out);
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out
}

fn names_of(list: Node, src: &[u8], into: &mut Vec<String>) {
    let mut c = list.walk();
    let items: Vec<Node> = if list.kind() == "expression_list" {
        list.named_children(&mut c).collect()
    } else {
        vec![list]
    };
    for item in items {
        let name = class_of(text(item, src));
        if !name.is_empty() {
            into.push(name.to_string());
        }
    }
}

fn field_names(n: Node, src: &[u8]) -> Vec<String> {
    let mut c = n.walk();
    n.children_by_field_name("name", &mut c)
        .map(|x| text(x, src).to_string())
        .collect()
}

fn visit(n: Node, src: &[u8], out: &mut ChanValues) {
    match n.kind() {
        "field_declaration" | "var_spec" => {
            let names = field_names(n, src);
            let is_chan = n
                .child_by_field_name("type")
                .is_some_and(|t| t.kind() == "channel_type");
            if n.child_by_field_name("value").is_some() {
                out.set.extend(names);
            } else if is_chan {
                out.declared_zero.extend(names);
            }
        }
        "parameter_declaration" | "variadic_parameter_declaration" => {
            out.set.extend(field_names(n, src));
        }
        "assignment_statement" | "short_var_declaration" | "receive_statement" | "range_clause" => {
            if let Some(l) = n.child_by_field_name("left") {
                names_of(l, src, &mut out.set);
            }
        }
        "type_switch_statement" => {
            if let Some(a) = n.child_by_field_name("alias") {
                names_of(a, src, &mut out.set);
            }
        }
        "keyed_element" => {
            if let Some(k) = n.child_by_field_name("key") {
                names_of(k, src, &mut out.set);
            }
        }
        "unary_expression" => {
            let address_of = n
                .child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "&");
            if let (true, Some(o)) = (address_of, n.child_by_field_name("operand")) {
                names_of(o, src, &mut out.set);
            }
        }
        "composite_literal" => positional_literal(n, src, out),
        "type_spec" => {
            let ty = n.child_by_field_name("type");
            if let (Some(name), Some(st)) = (n.child_by_field_name("name"), ty) {
                if st.kind() == "struct_type" {
                    let mut fields = Vec::new();
                    let mut stack = vec![st];
                    while let Some(x) = stack.pop() {
                        if x.kind() == "field_declaration" {
                            fields.extend(field_names(x, src));
                        } else if x.kind() != "struct_type" || x == st {
                            let mut c = x.walk();
                            stack.extend(x.named_children(&mut c));
                        }
                    }
                    out.fields.push((text(name, src).to_string(), fields));
                }
            }
        }
        _ => {}
    }
}

fn positional_literal(n: Node, src: &[u8], out: &mut ChanValues) {
    let Some(body) = n.child_by_field_name("body") else {
        return;
    };
    let mut c = body.walk();
    let positional = body
        .named_children(&mut c)
        .any(|e| e.kind() == "literal_element");
    if !positional {
        return;
    }
    if let Some(t) = n.child_by_field_name("type") {
        let ty = text(t, src);
        let ty = ty.split_once('[').map_or(ty, |(b, _)| b);
        out.positional.push(class_of(ty).to_string());
    }
}

/// Whether the channel named `name` (a field or variable: the last
/// identifier of the operated expression) is nil in a package whose files
/// say `files`: declared with a channel type and no value in one of them, and
/// given a value in none. Only unexported names: another package could set
/// an exported one. Conservative everywhere else: a parameter, a local, a
/// key, an address taken or a positional literal of a struct with that
/// field under the same name counts as a value.
#[must_use]
pub fn never_made(files: &[ChanValues], name: &str) -> bool {
    let unexported = name.starts_with(|c: char| c.is_lowercase() || c == '_');
    if !unexported || name == "_" {
        return false;
    }
    let values = || files.iter();
    let declared = values().any(|v| v.declared_zero.iter().any(|d| d == name));
    let set = values().any(|v| v.gives_value(name));
    let by_position = values().flat_map(|v| &v.positional).any(|ty| {
        values()
            .flat_map(|v| &v.fields)
            .any(|(t, fields)| t == ty && fields.iter().any(|f| f == name))
    });
    declared && !set && !by_position
}
