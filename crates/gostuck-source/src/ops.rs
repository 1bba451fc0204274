//! Walks a tree-sitter-go syntax tree and lists, per function, the
//! synchronisation operations it performs.

use tree_sitter::{Node, Tree};

/// A synchronisation operation found in source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OpKind {
    /// `x.Lock()`
    Lock,
    /// `x.RLock()`
    RLock,
    /// `x.Unlock()`
    Unlock,
    /// `x.RUnlock()`
    RUnlock,
    /// `ch <- v`
    Send,
    /// `<-ch`
    Recv,
    /// `for v := range ch`
    Range,
    /// `close(ch)`
    Close,
    /// A `select` statement (its cases are listed as Send/Recv with `in_select`).
    Select,
    /// `select {}`
    SelectEmpty,
    /// `x.Wait()` (WaitGroup or Cond: the runtime frame decides which)
    Wait,
    /// `x.Done()`
    Done,
    /// `x.Add(n)`
    Add,
    /// `x.Signal()`
    Signal,
    /// `x.Broadcast()`
    Broadcast,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// What it does.
    pub kind: OpKind,
    /// The receiver or channel expression as written (`to.mu`, `s.results`).
    pub expr: String,
    /// 1-based line.
    pub line: u32,
    /// Inside a `defer` (runs on return).
    pub deferred: bool,
    /// A case of a `select`.
    pub in_select: bool,
    /// The innermost block around it that ends in `return`/`panic`/`break`/`continue`/`goto`.
    pub exit_block: Option<(u32, u32)>,
    /// That block leaves the function (`return`, `panic`, `os.Exit`, …), not
    /// just a loop iteration.
    pub leaves_function: bool,
}

/// A function and its operations.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    /// Declared name as written, with the receiver of a method (`transfer`,
    /// `(a *Account) Deposit`); `func literal` for literals.
    pub name: String,
    /// First line.
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// Operations in source order.
    pub ops: Vec<Op>,
    /// Line ranges of loop bodies.
    pub loops: Vec<(u32, u32)>,
    /// Parameter names in order (the receiver first, when there is one).
    pub params: Vec<String>,
    /// Whether the first entry of `params` is the method receiver.
    pub has_receiver: bool,
    /// Calls made directly by this function (including `go` statements).
    pub calls: Vec<Call>,
    /// Lines of its `return` statements.
    pub returns: Vec<u32>,
    /// Calls that end the goroutine where a block ends without a `return`
    /// (`t.Fatalf(…)`, `runtime.Goexit()`, `panic(…)`): (line, `Goexit` or
    /// `panic`). Deferred calls run, the rest of the function does not.
    pub goexits: Vec<(u32, &'static str)>,
    /// `break` statements that leave a loop: (line, last line of the loop).
    pub breaks: Vec<(u32, u32)>,
    /// `continue` statements: (line, first and last line of their loop).
    pub continues: Vec<(u32, u32, u32)>,
    /// Line ranges of `select` statements (first and last line), in source order.
    pub selects: Vec<(u32, u32)>,
    /// Expressions of `return` statements with exactly one result, as written.
    pub return_exprs: Vec<String>,
    /// Plain assignments of one name or selector to another (`a = b`,
    /// `a := b`), and of `sync.NewCond(…)` calls: (left, right, line).
    pub assigns: Vec<(String, String, u32)>,
    /// Named struct types of parameters and locals (`devices` → `DeviceSet`),
    /// for locks embedded in structs (`devices.Lock()`). Only the last element of
    /// the type name, without `*`; standard sync and channel types are left out.
    pub types: Vec<(String, String)>,
    /// Names whose value leaves the function's own variables: sent on a
    /// channel (`reg <- ch`), appended (`append(s.subs, ch)`), or stored in a
    /// field, element or map entry (`s.reply = ch`, `m[id] = ch`): (name,
    /// line). A channel that escaped is operated on under other names.
    pub escapes: Vec<(String, u32)>,
    /// The named struct type of the function's only result (`*Conn` →
    /// `Conn`), when it has exactly one, unnamed.
    pub result_type: Option<String>,
    /// Locals assigned from a call (`c := s.Get()`): (name, callee name, whether
    /// the call is a method call), typed by the callee's result once every
    /// function of the file is known.
    pub call_results: Vec<(String, String, bool)>,
    /// Names the function declares (`x :=`, `var x`, `for k, v := range`),
    /// whatever their type: they shadow package-level variables.
    pub locals: Vec<String>,
    /// `if !t.Stop() { … }`: the timer (`t`) and the first and last line of
    /// the block, which runs only when the timer had already fired (or was
    /// stopped).
    pub stop_guards: Vec<(String, u32, u32)>,
    /// Channels the function makes for itself in a declaration: `x :=
    /// make(chan …)` gives `x`, `x := T{f: make(chan …)}` (or `&T{…}`) gives
    /// `x.f`; with the declaration's line. Each call makes new ones.
    pub made: Vec<(String, u32)>,
    /// Locals declared with a new object (`x := &T{…}`, `x := T{…}`, `x :=
    /// new(T)`), with the declaration's line: each call makes another.
    pub objects: Vec<(String, u32)>,
    /// Names given another value by a plain assignment (`x = …`, `x, err =
    /// …`, whatever the right side), with the line: such a variable may
    /// hold an object made elsewhere.
    pub reassigned: Vec<(String, u32)>,
    /// A function literal called where it is written (`func() {…}()`) or
    /// started there (`go func() {…}()`): its value is kept nowhere, so it
    /// runs only when the function around it gets there.
    pub immediate: bool,
}

impl FunctionInfo {
    /// Whether `name` is a variable the function declares for itself (a
    /// local, not a parameter): a value made in this call.
    #[must_use]
    pub fn own_local(&self, name: &str) -> bool {
        self.locals.iter().any(|l| l == name) && !self.params.iter().any(|p| p == name)
    }

    /// For a method, the named type of its receiver, without `*` and type
    /// parameters (`(s *Tree[K, V]) Put` → `Tree`), and whether the receiver
    /// is a pointer.
    #[must_use]
    pub fn receiver_type(&self) -> Option<(&str, bool)> {
        let (recv, _) = self.name.strip_prefix('(')?.split_once(')')?;
        // Type parameters may hold spaces (`Tree[K, V]`): cut them first.
        let recv = recv.split_once('[').map_or(recv, |(r, _)| r);
        let ty = recv.split_whitespace().last()?;
        Some(match ty.strip_prefix('*') {
            Some(t) => (t, true),
            None => (ty, false),
        })
    }

    /// The name as the runtime prints it, without the package:
    /// `(*Manager).syncOnce`, `Set[...].Has`, `transfer`.
    #[must_use]
    pub fn symbol(&self) -> String {
        let Some((ty, pointer)) = self.receiver_type() else {
            return self.name.clone();
        };
        let method = self.name.rsplit(' ').next().unwrap_or("");
        let generic = self
            .name
            .split_once(')')
            .is_some_and(|(r, _)| r.contains('['));
        let ty = if generic {
            format!("{ty}[...]")
        } else {
            ty.to_string()
        };
        if pointer {
            format!("(*{ty}).{method}")
        } else {
            format!("{ty}.{method}")
        }
    }
}

/// A call site: `f(a, b)`, `x.m(a)`, `go f(a)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// 1-based line.
    pub line: u32,
    /// The last identifier of the called expression (`m` for `x.m`).
    pub callee: String,
    /// The receiver expression for method calls (`x` for `x.m(…)`).
    pub receiver: Option<String>,
    /// Argument expressions as written.
    pub args: Vec<String>,
    /// A `go` statement.
    pub is_go: bool,
    /// Inside a `defer` (runs on return).
    pub deferred: bool,
    /// The innermost block around it that ends in an exit (as [`Op::exit_block`]).
    pub exit_block: Option<(u32, u32)>,
    /// That block leaves the function (as [`Op::leaves_function`]).
    pub leaves_function: bool,
}

fn line(n: Node) -> u32 {
    line_of_row(n.start_position().row)
}

fn end_line(n: Node) -> u32 {
    line_of_row(n.end_position().row)
}

/// The 1-based line of a 0-based row (saturating: a file read is far shorter
/// than 2^32 lines).
fn line_of_row(row: usize) -> u32 {
    u32::try_from(row.saturating_add(1)).unwrap_or(u32::MAX)
}

pub(crate) fn text<'a>(n: Node, src: &'a [u8]) -> &'a str {
    std::str::from_utf8(&src[n.byte_range()]).unwrap_or("")
}

pub(crate) fn collect(tree: &Tree, src: &[u8], structs: &[StructType]) -> Vec<FunctionInfo> {
    let mut out = Vec::new();
    find_functions(tree.root_node(), src, &mut out);
    // `c := d.containers.Get()`: c has the type `Get` returns, when every
    // function of that name (methods for a method call) returns the same one
    // and it is a struct type of this file (a named channel or func type is
    // followed like the channel it is).
    let structs: std::collections::HashSet<&str> =
        structs.iter().map(|s| s.name.as_str()).collect();
    // (name, method?) → the one struct type all such functions return, or
    // None when they disagree or return something else (a file with many
    // functions and many such calls is looked up, not scanned per call).
    let mut results: std::collections::HashMap<(&str, bool), Option<&str>> =
        std::collections::HashMap::new();
    for g in out.iter().filter(|g| g.name != "func literal") {
        let name = g.name.rsplit(' ').next().unwrap_or("");
        let t = g.result_type.as_deref().filter(|t| structs.contains(*t));
        results
            .entry((name, g.has_receiver))
            .and_modify(|r| {
                if *r != t {
                    *r = None;
                }
            })
            .or_insert(t);
    }
    let mut typed = Vec::new();
    for (i, f) in out.iter().enumerate() {
        for (name, callee, method) in &f.call_results {
            if let Some(Some(t)) = results.get(&(callee.as_str(), *method)) {
                typed.push((i, name.clone(), t.to_string()));
            }
        }
    }
    for (i, name, t) in typed {
        out[i].types.push((name, t));
    }
    out
}

/// A package-level struct type: its name and its first field (name, type as
/// written, `*` included), if it has one. An embedded field is named after
/// its type (`sync.Mutex` → `Mutex`). The first field is at offset 0.
pub(crate) struct StructType {
    pub name: String,
    pub first: Option<(String, String)>,
}

/// The package-level struct types of a file.
pub(crate) fn struct_types(tree: &Tree, src: &[u8]) -> Vec<StructType> {
    let mut out = Vec::new();
    let root = tree.root_node();
    let mut c = root.walk();
    for decl in root
        .named_children(&mut c)
        .filter(|d| d.kind() == "type_declaration")
    {
        let mut c2 = decl.walk();
        for spec in decl.named_children(&mut c2) {
            let (Some(name), Some(ty)) = (
                spec.child_by_field_name("name"),
                spec.child_by_field_name("type"),
            ) else {
                continue;
            };
            if ty.kind() != "struct_type" {
                continue;
            }
            // (`type A = struct{…}` is a struct type too, but its layout is
            // not looked at.)
            out.push(StructType {
                name: text(name, src).to_string(),
                first: (spec.kind() == "type_spec")
                    .then(|| first_field(ty, src))
                    .flatten(),
            });
        }
    }
    out
}

/// The first field of a `struct_type` node: (name, type as written).
fn first_field(ty: Node, src: &[u8]) -> Option<(String, String)> {
    let mut c3 = ty.walk();
    let list = ty
        .named_children(&mut c3)
        .find(|x| x.kind() == "field_declaration_list")?;
    let mut c4 = list.walk();
    let field = list
        .named_children(&mut c4)
        .find(|x| x.kind() == "field_declaration")?;
    let fty = field.child_by_field_name("type")?;
    let ftext = text(fty, src);
    let mut c5 = field.walk();
    let named = field.children_by_field_name("name", &mut c5).next();
    Some(match named {
        Some(n) => (text(n, src).to_string(), ftext.to_string()),
        None => {
            // Embedded: `T`, `*T`, `pkg.T`.
            let mut c6 = field.walk();
            let star = field.children(&mut c6).any(|x| x.kind() == "*");
            let base = ftext.rsplit('.').next().unwrap_or(ftext);
            let base = base.split('[').next().unwrap_or(base);
            (
                base.to_string(),
                format!("{}{ftext}", if star { "*" } else { "" }),
            )
        }
    })
}

/// The named types of package-level variables: `var x T`, `var x = &T{…}`,
/// `var x = T{…}`, `var x = new(T)`, alone or in a `var ( … )` block.
pub(crate) fn package_var_types(tree: &Tree, src: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let root = tree.root_node();
    let mut c = root.walk();
    for decl in root
        .named_children(&mut c)
        .filter(|d| d.kind() == "var_declaration")
    {
        let mut c2 = decl.walk();
        let mut specs: Vec<Node> = Vec::new();
        for ch in decl.named_children(&mut c2) {
            match ch.kind() {
                "var_spec" => specs.push(ch),
                "var_spec_list" => {
                    let mut c3 = ch.walk();
                    specs.extend(
                        ch.named_children(&mut c3)
                            .filter(|s| s.kind() == "var_spec"),
                    );
                }
                _ => {}
            }
        }
        for spec in specs {
            let mut cn = spec.walk();
            let names: Vec<Node> = spec.children_by_field_name("name", &mut cn).collect();
            if let Some(t) = spec
                .child_by_field_name("type")
                .and_then(|t| named_type(text(t, src)))
            {
                out.extend(names.iter().map(|n| (text(*n, src).to_string(), t.clone())));
            } else if let Some(values) = spec.child_by_field_name("value") {
                let mut cv = values.walk();
                for (name, value) in names.iter().zip(values.named_children(&mut cv)) {
                    if let Some(t) = literal_type(value, src) {
                        out.push((text(*name, src).to_string(), t));
                    }
                }
            }
        }
    }
    out
}

/// The names of each declaration of a parameter list (`a, b int` → `[a, b]`;
/// an unnamed one → `[]`), adding the named struct types to `types`.
fn declared(list: Node, src: &[u8], types: &mut Vec<(String, String)>) -> Vec<Vec<String>> {
    let mut c = list.walk();
    list.named_children(&mut c)
        .map(|decl| {
            let mut c2 = decl.walk();
            let names: Vec<String> = decl
                .children_by_field_name("name", &mut c2)
                .map(|x| text(x, src).to_string())
                .collect();
            if let Some(t) = decl
                .child_by_field_name("type")
                .and_then(|t| named_type(text(t, src)))
            {
                types.extend(names.iter().map(|n| (n.clone(), t.clone())));
            }
            names
        })
        .collect()
}

fn find_functions(n: Node, src: &[u8], out: &mut Vec<FunctionInfo>) {
    match n.kind() {
        "function_declaration" | "method_declaration" | "func_literal" => {
            if let Some(body) = n.child_by_field_name("body") {
                let name = match n.kind() {
                    "func_literal" => "func literal".to_string(),
                    _ => {
                        let base = n
                            .child_by_field_name("name")
                            .map(|x| text(x, src))
                            .unwrap_or("");
                        match n.child_by_field_name("receiver") {
                            Some(r) => format!("{} {base}", text(r, src)),
                            None => base.to_string(),
                        }
                    }
                };
                let mut params = Vec::new();
                let mut types = Vec::new();
                let has_receiver = n.child_by_field_name("receiver").is_some();
                for field in ["receiver", "parameters"] {
                    if let Some(list) = n.child_by_field_name(field) {
                        for names in declared(list, src, &mut types) {
                            if names.is_empty() {
                                params.push("_".to_string());
                            }
                            params.extend(names);
                        }
                    }
                }
                // A single unnamed result's type; named results are locals
                // of the body.
                let mut result_type = None;
                let mut locals = Vec::new();
                match n.child_by_field_name("result") {
                    Some(r) if r.kind() == "parameter_list" => {
                        locals.extend(declared(r, src, &mut types).into_iter().flatten());
                    }
                    Some(r) => result_type = named_type(text(r, src)),
                    None => {}
                }
                let mut f = FunctionInfo {
                    name,
                    start_line: line(n),
                    end_line: end_line(n),
                    ops: Vec::new(),
                    loops: Vec::new(),
                    params,
                    has_receiver,
                    calls: Vec::new(),
                    returns: Vec::new(),
                    goexits: Vec::new(),
                    breaks: Vec::new(),
                    continues: Vec::new(),
                    selects: Vec::new(),
                    return_exprs: Vec::new(),
                    assigns: Vec::new(),
                    types,
                    escapes: Vec::new(),
                    result_type,
                    call_results: Vec::new(),
                    reassigned: Vec::new(),
                    locals,
                    stop_guards: Vec::new(),
                    made: Vec::new(),
                    objects: Vec::new(),
                    immediate: n.kind() == "func_literal"
                        && n.parent().is_some_and(|p| {
                            p.kind() == "call_expression"
                                && p.child_by_field_name("function") == Some(n)
                        }),
                };
                let mut ctx = Ctx {
                    deferred: false,
                    in_select: false,
                    exit_block: None,
                    exit_leaves: false,
                    break_target: None,
                    loop_range: None,
                };
                walk(body, src, &mut f, &mut ctx);
                f.ops.sort_by_key(|o| o.line);
                out.push(f);
            }
        }
        _ => {}
    }
    let mut c = n.walk();
    for child in n.children(&mut c) {
        find_functions(child, src, out);
    }
}

#[derive(Clone, Copy)]
struct Ctx {
    deferred: bool,
    in_select: bool,
    exit_block: Option<(u32, u32)>,
    /// `exit_block` leaves the function.
    exit_leaves: bool,
    /// Where a plain `break` goes: the end line of the innermost loop, select
    /// or switch, and whether it is a loop.
    break_target: Option<(u32, bool)>,
    /// The innermost loop's first and last line.
    loop_range: Option<(u32, u32)>,
}

fn is_name(kind: &str) -> bool {
    matches!(kind, "identifier" | "selector_expression")
}

/// `s.reply = ch`, `m[id] = ch`, `s.subs = append(s.subs, ch)`: the names on
/// the right escape into a field, element or map entry.
fn record_stores(l: Node<'_>, r: Node<'_>, src: &[u8], f: &mut FunctionInfo) {
    let mut c = l.walk();
    let into_storage = l
        .named_children(&mut c)
        .any(|x| matches!(x.kind(), "selector_expression" | "index_expression"));
    let mut c = r.walk();
    for v in r.named_children(&mut c) {
        let ln = line(v);
        if into_storage && is_name(v.kind()) {
            f.escapes.push((text(v, src).to_string(), ln));
        }
        // append(xs, ch, …): every argument after the first.
        let is_append = v.kind() == "call_expression"
            && v.child_by_field_name("function")
                .is_some_and(|x| text(x, src) == "append");
        if let Some(args) = v.child_by_field_name("arguments").filter(|_| is_append) {
            let mut c = args.walk();
            for a in args
                .named_children(&mut c)
                .skip(1)
                .filter(|a| is_name(a.kind()))
            {
                f.escapes.push((text(a, src).to_string(), ln));
            }
        }
    }
}

fn push(f: &mut FunctionInfo, kind: OpKind, expr: &str, ln: u32, ctx: &Ctx) {
    f.ops.push(Op {
        kind,
        expr: expr.trim().to_string(),
        line: ln,
        deferred: ctx.deferred,
        in_select: ctx.in_select,
        exit_block: ctx.exit_block,
        leaves_function: ctx.exit_block.is_some() && ctx.exit_leaves,
    });
}

/// How a block ends: `None` when not in an exit, `Some(true)` when it leaves
/// the function (`return`, `panic`, `log.Fatal…`, `os.Exit`, `t.Fatal…`),
/// `Some(false)` for `break`, `continue` and `goto`.
fn block_exit(block: Node, src: &[u8]) -> Option<bool> {
    // A block's statements sit directly under it or under a statement_list.
    let mut last = None;
    let mut c = block.walk();
    // (A comment after the last statement is not a statement.)
    for ch in block
        .named_children(&mut c)
        .filter(|x| x.kind() != "comment")
    {
        if ch.kind() == "statement_list" {
            let mut c2 = ch.walk();
            if let Some(l) = ch
                .named_children(&mut c2)
                .filter(|x| x.kind() != "comment")
                .last()
            {
                last = Some(l);
            }
        } else {
            last = Some(ch);
        }
    }
    match last?.kind() {
        "return_statement" => Some(true),
        "break_statement" | "continue_statement" | "goto_statement" => Some(false),
        "expression_statement" => {
            let t = text(last?, src).trim_start();
            // `t.Fatal`, `tb.FailNow`, `b.SkipNow` … end the goroutine through
            // runtime.Goexit whatever the testing value is called.
            let method = t
                .split('(')
                .next()
                .unwrap_or("")
                .rsplit('.')
                .next()
                .unwrap_or("");
            let goexits = t.contains('.')
                && matches!(
                    method,
                    "Fatal" | "Fatalf" | "FailNow" | "Skip" | "Skipf" | "SkipNow"
                );
            (t.starts_with("panic(")
                || t.starts_with("log.Fatal")
                || t.starts_with("log.Panic")
                || t.starts_with("os.Exit(")
                || t.starts_with("runtime.Goexit(")
                || goexits)
                .then_some(true)
        }
        _ => None,
    }
}

/// The call ending `block` when it ends the goroutine but not the process:
/// `panic(…)`, `runtime.Goexit()`, or `Fatal`, `Fatalf`, `FailNow`, `Skip`,
/// `Skipf`, `SkipNow` on any testing value (they call `runtime.Goexit`).
fn goexit_at_end(block: Node, src: &[u8]) -> Option<(u32, &'static str)> {
    let mut last = None;
    let mut c = block.walk();
    for ch in block
        .named_children(&mut c)
        .filter(|x| x.kind() != "comment")
    {
        if ch.kind() == "statement_list" {
            let mut c2 = ch.walk();
            last = ch
                .named_children(&mut c2)
                .filter(|x| x.kind() != "comment")
                .last()
                .or(last);
        } else {
            last = Some(ch);
        }
    }
    let last = last.filter(|l| l.kind() == "expression_statement")?;
    let t = text(last, src).trim_start();
    let method = t
        .split('(')
        .next()
        .unwrap_or("")
        .rsplit('.')
        .next()
        .unwrap_or("");
    let testing_exit = t.contains('.')
        && matches!(
            method,
            "Fatal" | "Fatalf" | "FailNow" | "Skip" | "Skipf" | "SkipNow"
        );
    if t.starts_with("panic(") {
        Some((line(last), "panic"))
    } else if testing_exit || t.starts_with("runtime.Goexit(") {
        Some((line(last), "Goexit"))
    } else {
        None
    }
}

/// `!t.Stop()` → `t`.
fn negated_stop<'a>(cond: Node, src: &'a [u8]) -> Option<&'a str> {
    if cond.kind() != "unary_expression" || text(cond.child_by_field_name("operator")?, src) != "!"
    {
        return None;
    }
    let call = cond.child_by_field_name("operand")?;
    if call.kind() != "call_expression"
        || call
            .child_by_field_name("arguments")
            .is_some_and(|a| a.named_child_count() > 0)
    {
        return None;
    }
    let sel = call.child_by_field_name("function")?;
    if sel.kind() != "selector_expression" || text(sel.child_by_field_name("field")?, src) != "Stop"
    {
        return None;
    }
    Some(text(sel.child_by_field_name("operand")?, src).trim())
}

fn walk(n: Node, src: &[u8], f: &mut FunctionInfo, ctx: &mut Ctx) {
    match n.kind() {
        // Other goroutines' or other functions' code.
        "func_literal" if !ctx.deferred => return,
        "go_statement" => {
            let mut c = n.walk();
            let call = n
                .named_children(&mut c)
                .find(|ch| ch.kind() == "call_expression");
            if let Some(call) = call {
                record_call(call, src, f, (true, false), (None, false));
            }
            return;
        }
        "defer_statement" => {
            let saved = *ctx;
            ctx.deferred = true;
            walk_children(n, src, f, ctx);
            *ctx = saved;
            return;
        }
        "block" => {
            let saved = *ctx;
            if let Some(g) = goexit_at_end(n, src) {
                f.goexits.push(g);
            }
            if let Some(leaves) = block_exit(n, src) {
                ctx.exit_block = Some((line(n), end_line(n)));
                ctx.exit_leaves = leaves;
            }
            walk_children(n, src, f, ctx);
            *ctx = saved;
            return;
        }
        "for_statement" => {
            walk_for(n, src, f, ctx);
            return;
        }
        "select_statement" => {
            walk_select(n, src, f, ctx);
            return;
        }
        "return_statement" if !ctx.deferred => {
            record_return(n, src, f);
        }
        "assignment_statement" => {
            if let (Some(l), Some(r)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) {
                push_assigns(l, r, src, f);
                record_stores(l, r, src, f);
                let mut c = l.walk();
                for x in l
                    .named_children(&mut c)
                    .filter(|x| x.kind() == "identifier" && text(*x, src) != "_")
                {
                    f.reassigned.push((text(x, src).to_string(), line(x)));
                }
            }
        }
        "if_statement" => {
            if let (Some(timer), Some(body)) = (
                n.child_by_field_name("condition")
                    .and_then(|c| negated_stop(c, src)),
                n.child_by_field_name("consequence"),
            ) {
                f.stop_guards
                    .push((timer.to_string(), line(body), end_line(body)));
            }
        }
        "continue_statement" if !ctx.deferred => {
            if let Some((s, e)) = ctx.loop_range {
                f.continues.push((line(n), s, e));
            }
        }
        "short_var_declaration" => {
            record_short_var(n, src, f);
        }
        "var_spec" => {
            record_var_spec(n, src, f);
        }
        "break_statement" if !ctx.deferred => {
            if let Some((end, true)) = ctx.break_target {
                f.breaks.push((line(n), end));
            }
        }
        "expression_switch_statement" | "type_switch_statement" => {
            // switch v := x.(type): v is a local of every clause.
            if let Some(alias) = n.child_by_field_name("alias") {
                let mut c = alias.walk();
                f.locals.extend(
                    alias
                        .named_children(&mut c)
                        .map(|x| text(x, src).to_string()),
                );
            }
            let saved = *ctx;
            ctx.break_target = Some((end_line(n), false));
            walk_children(n, src, f, ctx);
            *ctx = saved;
            return;
        }
        "receive_statement" => {
            // case v, ok := <-ch: declares v and ok (with `=` they exist already).
            let mut c = n.walk();
            let declares = n.children(&mut c).any(|ch| ch.kind() == ":=");
            if let Some(left) = n.child_by_field_name("left").filter(|_| declares) {
                let mut c = left.walk();
                f.locals.extend(
                    left.named_children(&mut c)
                        .map(|x| text(x, src).to_string()),
                );
            }
        }
        "send_statement" => {
            if let Some(ch) = n.child_by_field_name("channel") {
                push(f, OpKind::Send, text(ch, src), line(n), ctx);
            }
            if let Some(v) = n.child_by_field_name("value").filter(|v| is_name(v.kind())) {
                f.escapes.push((text(v, src).to_string(), line(n)));
            }
        }
        "unary_expression"
            if n.child_by_field_name("operator")
                .is_some_and(|o| text(o, src) == "<-") =>
        {
            if let Some(op) = n.child_by_field_name("operand") {
                push(f, OpKind::Recv, text(op, src), line(n), ctx);
            }
        }

        "call_expression" => {
            record_call_ops(n, src, f, ctx);
        }
        _ => {}
    }
    walk_children(n, src, f, ctx);
}

fn walk_for(n: Node, src: &[u8], f: &mut FunctionInfo, ctx: &mut Ctx) {
    if let Some(body) = n.child_by_field_name("body") {
        f.loops.push((line(n), end_line(body)));
    }
    let saved = *ctx;
    ctx.break_target = Some((end_line(n), true));
    ctx.loop_range = Some((line(n), end_line(n)));
    let mut c = n.walk();
    for ch in n.named_children(&mut c) {
        if ch.kind() == "range_clause" {
            if let Some(right) = ch.child_by_field_name("right") {
                push(f, OpKind::Range, text(right, src), line(n), ctx);
            }
            if let Some(left) = ch.child_by_field_name("left") {
                let mut c2 = left.walk();
                f.locals.extend(
                    left.named_children(&mut c2)
                        .map(|x| text(x, src).to_string()),
                );
            }
        }
    }
    walk_children(n, src, f, ctx);
    *ctx = saved;
}

fn walk_select(n: Node, src: &[u8], f: &mut FunctionInfo, ctx: &mut Ctx) {
    let saved_break = ctx.break_target;
    ctx.break_target = Some((end_line(n), false));
    let mut c = n.walk();
    let cases = n
        .named_children(&mut c)
        .filter(|ch| ch.kind() == "communication_case" || ch.kind() == "default_case")
        .count();
    let kind = if cases == 0 {
        OpKind::SelectEmpty
    } else {
        OpKind::Select
    };
    push(f, kind, "", line(n), ctx);
    f.selects.push((line(n), end_line(n)));
    let mut c = n.walk();
    for ch in n.named_children(&mut c) {
        if ch.kind() == "communication_case" {
            if let Some(comm) = ch.child_by_field_name("communication") {
                let saved = *ctx;
                ctx.in_select = true;
                walk(comm, src, f, ctx);
                *ctx = saved;
            }
            // The case body runs after the select: ordinary code.
            let mut c2 = ch.walk();
            for body in ch.named_children(&mut c2).skip(1) {
                walk(body, src, f, ctx);
            }
        } else {
            walk(ch, src, f, ctx);
        }
    }
    ctx.break_target = saved_break;
}

fn record_return(n: Node, src: &[u8], f: &mut FunctionInfo) {
    f.returns.push(line(n));
    let first = {
        let mut c = n.walk();
        let x = n.named_children(&mut c).next();
        x
    };
    if let Some(list) = first {
        let mut c2 = list.walk();
        let results: Vec<Node> = if list.kind() == "expression_list" {
            list.named_children(&mut c2).collect()
        } else {
            vec![list]
        };
        if let [one] = results.as_slice() {
            f.return_exprs.push(text(*one, src).to_string());
        }
    }
}

/// `x := &T{…}`, `x := T{…}`, `x := new(T)`, `x := f()`.
fn record_short_var(n: Node, src: &[u8], f: &mut FunctionInfo) {
    if let (Some(l), Some(r)) = (
        n.child_by_field_name("left"),
        n.child_by_field_name("right"),
    ) {
        push_assigns(l, r, src, f);
        let mut c0 = l.walk();
        f.locals
            .extend(l.named_children(&mut c0).map(|x| text(x, src).to_string()));
        let mut c1 = l.walk();
        let mut c2 = r.walk();
        for (name, value) in l.named_children(&mut c1).zip(r.named_children(&mut c2)) {
            record_made(text(name, src), value, src, f);
            if let Some(t) = literal_type(value, src) {
                f.types.push((text(name, src).to_string(), t));
            } else if let Some((callee, method)) = callee_of(value, src) {
                f.call_results
                    .push((text(name, src).to_string(), callee, method));
            }
        }
    }
}

/// `name := make(chan …)` and `name := T{field: make(chan …)}` (or `&T{…}`):
/// the channels this call makes (`FunctionInfo::made`).
fn record_made(name: &str, value: Node, src: &[u8], f: &mut FunctionInfo) {
    let makes_chan = |v: Node| {
        v.kind() == "call_expression"
            && v.child_by_field_name("function")
                .is_some_and(|fun| text(fun, src) == "make")
            && v.child_by_field_name("arguments")
                .and_then(|a| a.named_child(0))
                .is_some_and(|t| text(t, src).starts_with("chan") || t.kind() == "channel_type")
    };
    let value = if value.kind() == "unary_expression" {
        match value.child_by_field_name("operand") {
            Some(o) => o,
            None => return,
        }
    } else {
        value
    };
    if makes_chan(value) {
        f.made.push((name.to_string(), line(value)));
        return;
    }
    let is_new = value.kind() == "call_expression"
        && value
            .child_by_field_name("function")
            .is_some_and(|fun| text(fun, src) == "new");
    if is_new {
        f.objects.push((name.to_string(), line(value)));
    }
    if value.kind() != "composite_literal" {
        return;
    }
    f.objects.push((name.to_string(), line(value)));
    let Some(body) = value.child_by_field_name("body") else {
        return;
    };
    let mut c = body.walk();
    for el in body.named_children(&mut c) {
        if el.kind() != "keyed_element" {
            continue;
        }
        let (Some(k), Some(v)) = (el.named_child(0), el.named_child(1)) else {
            continue;
        };
        let v = if v.kind() == "literal_element" {
            v.named_child(0).unwrap_or(v)
        } else {
            v
        };
        if makes_chan(v) {
            let key = text(k, src);
            f.made.push((format!("{name}.{key}"), line(el)));
        }
    }
}

fn record_var_spec(n: Node, src: &[u8], f: &mut FunctionInfo) {
    let mut c0 = n.walk();
    f.locals.extend(
        n.children_by_field_name("name", &mut c0)
            .map(|x| text(x, src).to_string()),
    );
    if let Some(t) = n
        .child_by_field_name("type")
        .and_then(|t| named_type(text(t, src)))
    {
        let mut c = n.walk();
        for name in n.children_by_field_name("name", &mut c) {
            f.types.push((text(name, src).to_string(), t.clone()));
        }
    }
}

/// The operation a call performs: a method of a lock, WaitGroup or Cond, or `close`.
fn record_call_ops(n: Node, src: &[u8], f: &mut FunctionInfo, ctx: &Ctx) {
    let leaves = ctx.exit_block.is_some() && ctx.exit_leaves;
    record_call(n, src, f, (false, ctx.deferred), (ctx.exit_block, leaves));
    if let Some(func) = n.child_by_field_name("function") {
        match func.kind() {
            "selector_expression" => {
                let field = func
                    .child_by_field_name("field")
                    .map(|x| text(x, src))
                    .unwrap_or("");
                let operand = func
                    .child_by_field_name("operand")
                    .map(|x| text(x, src))
                    .unwrap_or("");
                let kind = match field {
                    "Lock" => Some(OpKind::Lock),
                    "RLock" => Some(OpKind::RLock),
                    "Unlock" => Some(OpKind::Unlock),
                    "RUnlock" => Some(OpKind::RUnlock),
                    "Wait" => Some(OpKind::Wait),
                    "Done" => Some(OpKind::Done),
                    "Add" => Some(OpKind::Add),
                    "Signal" => Some(OpKind::Signal),
                    "Broadcast" => Some(OpKind::Broadcast),
                    _ => None,
                };
                // `wg.Add(1)` only raises the counter: it can never
                // release a Wait, so only an Add that may lower it
                // (`Add(-1)`, `Add(n)`) is an operation on the WaitGroup
                // that a waiter could be waiting for.
                let raises_only = kind == Some(OpKind::Add)
                    && n.child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0))
                        .is_some_and(|a| a.kind() == "int_literal");
                if let Some(k) = kind.filter(|_| !raises_only) {
                    push(f, k, operand, line(n), ctx);
                }
            }
            "identifier" if text(func, src) == "close" => {
                if let Some(a) = n
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0))
                {
                    push(f, OpKind::Close, text(a, src), line(n), ctx);
                }
            }
            _ => {}
        }
    }
}

fn walk_children(n: Node, src: &[u8], f: &mut FunctionInfo, ctx: &mut Ctx) {
    let mut c = n.walk();
    for ch in n.children(&mut c) {
        walk(ch, src, f, ctx);
    }
}

/// `a = b` and `a, b := c, d` where both sides are names or selectors.
fn push_assigns(l: Node, r: Node, src: &[u8], f: &mut FunctionInfo) {
    let mut c1 = l.walk();
    let mut c2 = r.walk();
    let left: Vec<Node> = l.named_children(&mut c1).collect();
    let right: Vec<Node> = r.named_children(&mut c2).collect();
    if left.len() != right.len() {
        return;
    }
    let plain = |n: &Node| matches!(n.kind(), "identifier" | "selector_expression");
    // `c := sync.NewCond(l)`: kept whole, so a Cond's `.L` can be traced to its locker.
    let new_cond = |n: &Node| {
        n.kind() == "call_expression"
            && n.child_by_field_name("function")
                .is_some_and(|f| text(f, src).ends_with("NewCond"))
    };
    for (a, b) in left.iter().zip(&right) {
        if plain(a) && (plain(b) || new_cond(b)) {
            f.assigns.push((
                text(*a, src).to_string(),
                text(*b, src).to_string(),
                line(*a),
            ));
        }
    }
}

/// `(is_go, deferred)`: a `go` statement, inside a `defer`.
fn record_call(
    n: Node,
    src: &[u8],
    f: &mut FunctionInfo,
    (is_go, deferred): (bool, bool),
    (exit_block, leaves_function): (Option<(u32, u32)>, bool),
) {
    let Some(func) = n.child_by_field_name("function") else {
        return;
    };
    let (callee, receiver) = match func.kind() {
        "identifier" => (text(func, src).to_string(), None),
        "selector_expression" => (
            func.child_by_field_name("field")
                .map(|x| text(x, src).to_string())
                .unwrap_or_default(),
            func.child_by_field_name("operand")
                .map(|x| text(x, src).to_string()),
        ),
        // Generic instantiation `f[T](…)`.
        "index_expression" => (
            func.child_by_field_name("operand")
                .map(|x| text(x, src).to_string())
                .unwrap_or_default(),
            None,
        ),
        _ => return,
    };
    let mut args = Vec::new();
    if let Some(list) = n.child_by_field_name("arguments") {
        let mut c = list.walk();
        for a in list.named_children(&mut c) {
            args.push(text(a, src).to_string());
        }
    }
    f.calls.push(Call {
        line: line(n),
        callee,
        receiver,
        args,
        is_go,
        deferred,
        exit_block,
        leaves_function,
    });
}

/// `*pkg.DeviceSet` → `DeviceSet`; `None` for sync primitives, channels,
/// builtins and composite types, which say nothing about instances.
fn named_type(t: &str) -> Option<String> {
    let t = t.trim().trim_start_matches('*');
    if t.is_empty()
        || t.starts_with("chan")
        || t.starts_with("<-")
        || t.starts_with('[')
        || t.starts_with("map[")
        || t.starts_with("func")
    {
        return None;
    }
    let base = t.split('[').next().unwrap_or(t);
    let last = base.rsplit('.').next().unwrap_or(base);
    if matches!(
        last,
        "Mutex" | "RWMutex" | "WaitGroup" | "Cond" | "Once" | "Locker" | "Context"
    ) || !last.chars().next().is_some_and(|c| c.is_alphabetic())
        || last.chars().next().is_some_and(|c| c.is_lowercase())
            && matches!(
                last,
                "int"
                    | "string"
                    | "bool"
                    | "error"
                    | "any"
                    | "byte"
                    | "rune"
                    | "float64"
                    | "int64"
                    | "uint64"
            )
    {
        return None;
    }
    Some(last.to_string())
}

/// The type of `&T{…}`, `T{…}` or `new(T)`.
/// `f(…)` → (`f`, false); `x.y.M(…)` → (`M`, true). A call assigned alone
/// to a name (one value for one name).
fn callee_of(v: Node, src: &[u8]) -> Option<(String, bool)> {
    if v.kind() != "call_expression" {
        return None;
    }
    let f = v.child_by_field_name("function")?;
    match f.kind() {
        "identifier" => Some((text(f, src).to_string(), false)),
        "selector_expression" => {
            Some((text(f.child_by_field_name("field")?, src).to_string(), true))
        }
        _ => None,
    }
}

fn literal_type(v: Node, src: &[u8]) -> Option<String> {
    match v.kind() {
        "unary_expression" => v
            .child_by_field_name("operand")
            .and_then(|o| literal_type(o, src)),
        "composite_literal" => v
            .child_by_field_name("type")
            .and_then(|t| named_type(text(t, src))),
        "call_expression" => {
            let f = v.child_by_field_name("function")?;
            if text(f, src) != "new" {
                return None;
            }
            let a = v.child_by_field_name("arguments")?.named_child(0)?;
            named_type(text(a, src))
        }
        _ => None,
    }
}
