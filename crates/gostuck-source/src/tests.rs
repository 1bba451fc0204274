use super::*;

const TRANSFER: &str = r#"package main

import "sync"

type Account struct{ mu sync.Mutex; bal int }

func transfer(from, to *Account, n int) error {
	from.mu.Lock()
	defer from.mu.Unlock()
	if n < 0 {
		from.mu.Unlock()
		return nil
	}
	to.mu.Lock()
	to.bal += n
	to.mu.Unlock()
	return nil
}

func worker(jobs chan int, results chan<- int, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		select {
		case results <- j:
		case <-time.After(time.Second):
		}
	}
	close(results)
	go func() { mu.Lock() }()
}
"#;

#[test]
fn lock_before_the_line_is_held_and_early_return_unlock_does_not_release_it() {
    let f = SourceFile::parse(TRANSFER.as_bytes()).unwrap();
    let held = f.held_at(14);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].expr, "from.mu");
    assert_eq!(held[0].line, 8);
    assert!(held[0].deferred_unlock);
    let ops = f.ops_at(14);
    assert_eq!(ops[0].kind, OpKind::Lock);
    assert_eq!(ops[0].expr, "to.mu");
    // After to.mu.Unlock on line 16 only from.mu is held.
    assert_eq!(f.held_at(17).len(), 1);
}

#[test]
fn loop_and_deferred_operations_count_as_future() {
    let f = SourceFile::parse(TRANSFER.as_bytes()).unwrap();
    let fut = f.future_ops(24, false);
    let kinds: Vec<_> = fut.iter().map(|o| (o.kind, o.expr.as_str())).collect();
    assert!(kinds.contains(&(OpKind::Done, "wg")), "{kinds:?}");
    assert!(kinds.contains(&(OpKind::Close, "results")), "{kinds:?}");
    assert!(kinds.contains(&(OpKind::Range, "jobs")), "{kinds:?}");
    // The goroutine's body belongs to another goroutine.
    assert!(!kinds.iter().any(|(k, _)| *k == OpKind::Lock), "{kinds:?}");
    let sel: Vec<_> = f.ops_at(24).into_iter().filter(|o| o.in_select).collect();
    assert_eq!(sel[0].kind, OpKind::Send);
}

#[test]
fn resource_classes_drop_indexes_and_receivers() {
    assert_eq!(class_of("to.mu"), "mu");
    assert_eq!(class_of("&s.mu"), "mu");
    assert_eq!(class_of("locks[(i+1)%n]"), "locks");
    assert_eq!(class_of("ch"), "ch");
}

#[test]
fn parameters_and_go_statement_arguments_are_recorded() {
    let src = b"package main\nfunc (s *S) run(left, right *sync.Mutex, n int) {}\nfunc main() {\n\tgo philosopher(i, &forks[i], &forks[(i+1)%n])\n\ts.run(a, b, 3)\n}\n";
    let f = SourceFile::parse(src).unwrap();
    let run = f.function_at(2).unwrap();
    assert_eq!(run.params, ["s", "left", "right", "n"]);
    assert!(run.has_receiver);
    let main = f.function_at(4).unwrap();
    assert_eq!(main.calls[0].callee, "philosopher");
    assert!(main.calls[0].is_go);
    assert_eq!(main.calls[0].args, ["i", "&forks[i]", "&forks[(i+1)%n]"]);
    assert_eq!(main.calls[1].receiver.as_deref(), Some("s"));
    assert_eq!(root_ident("&forks[(i+1)%n]"), Some("forks"));
    assert_eq!(root_ident("p.ch"), Some("p"));
}

#[test]
fn an_early_return_between_lock_and_unlock_is_a_leaky_lock() {
    let src = b"package main\nfunc (s *S) Set(v int) error {\n\ts.mu.Lock()\n\tif v < 0 {\n\t\treturn errBad\n\t}\n\ts.v = v\n\ts.mu.Unlock()\n\treturn nil\n}\nfunc (s *S) Get() int {\n\ts.mu.Lock()\n\tdefer s.mu.Unlock()\n\tif s.v < 0 {\n\t\treturn 0\n\t}\n\treturn s.v\n}\nfunc (s *S) Ok(v int) {\n\ts.mu.Lock()\n\tif v < 0 {\n\t\ts.mu.Unlock()\n\t\treturn\n\t}\n\ts.mu.Unlock()\n}\n";
    let f = SourceFile::parse(src).unwrap();
    let leaks = f.leaky_locks();
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    assert_eq!(
        (
            leaks[0].expr.as_str(),
            leaks[0].lock_line,
            leaks[0].exit_line
        ),
        ("s.mu", 3, 5)
    );
}

#[test]
fn a_break_out_of_a_loop_with_the_lock_held_is_a_leaky_lock() {
    let src = b"package main\nfunc (g *G) manage() {\n\tfor {\n\t\tg.mu.Lock()\n\t\tif g.closed {\n\t\t\tbreak\n\t\t}\n\t\tg.mu.Unlock()\n\t}\n}\nfunc (g *G) fine() {\n\tfor {\n\t\tg.mu.Lock()\n\t\tif g.closed {\n\t\t\tbreak\n\t\t}\n\t\tg.mu.Unlock()\n\t}\n\tg.mu.Unlock()\n}\nfunc (g *G) sel(c chan int) {\n\tg.mu.Lock()\n\tselect {\n\tcase <-c:\n\t\tbreak\n\t}\n\tg.mu.Unlock()\n}\n";
    let f = SourceFile::parse(src).unwrap();
    let leaks = f.leaky_locks();
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    assert_eq!((leaks[0].lock_line, leaks[0].exit_line), (4, 6));
}

#[test]
fn a_continue_that_skips_the_unlock_leaves_the_lock_held_at_the_loop_head() {
    let src = b"package main\nfunc (p *P) Run() {\n\tfor i := 0; i < 2; i++ {\n\t\tp.mu.Lock()\n\t\tif err != nil {\n\t\t\tcontinue\n\t\t}\n\t\tbreak\n\t}\n\tp.mu.Unlock()\n}\n";
    let f = SourceFile::parse(src).unwrap();
    let held = f.held_at(4);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!((held[0].expr.as_str(), held[0].line), ("p.mu", 4));
}

#[test]
fn struct_types_of_receivers_and_locals_are_known() {
    let src = b"package main\nfunc (d *DeviceSet) clean() {\n\td.Lock()\n}\nfunc f() {\n\tds := &DeviceSet{}\n\tgo func() {\n\t\tds.Lock()\n\t}()\n\tvar m sync.Mutex\n\t_ = m\n}\n";
    let f = SourceFile::parse(src).unwrap();
    assert_eq!(f.type_of(3, "d"), Some("DeviceSet"));
    assert_eq!(f.type_of(8, "ds"), Some("DeviceSet"));
    assert_eq!(
        f.type_of(11, "m"),
        None,
        "sync types say nothing about instances"
    );
}

#[test]
fn select_cases_after_a_case_body_with_operations_are_kept() {
    let src = b"package main
func f(abort, ch chan int, c *sync.Cond) {
	select {
	case <-abort:
		c.Signal()
		<-ch
		select {
		case out <- 1:
		}
		return
	case v := <-ch:
		_ = v
	}
}
";
    let f = SourceFile::parse(src).unwrap();
    let cases: Vec<_> = f
        .select_cases(3)
        .iter()
        .map(|o| (o.kind, o.expr.as_str(), o.line))
        .collect();
    assert_eq!(
        cases,
        [(OpKind::Recv, "abort", 4), (OpKind::Recv, "ch", 11)],
        "the body's receive and the nested select's send are not cases"
    );
    let inner: Vec<_> = f.select_cases(7).iter().map(|o| o.line).collect();
    assert_eq!(inner, [8]);
    assert!(f.select_cases(4).is_empty());
}

#[test]
fn an_add_of_a_positive_constant_is_not_an_operation_a_waiter_waits_for() {
    let src = br#"package main

import "sync"

func run(n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done() }()
	}
	wg.Add(n)
	wg.Add(-1)
	wg.Wait()
}
"#;
    let f = SourceFile::parse(src).unwrap();
    let ops: Vec<(OpKind, u32)> = f
        .function_at(6)
        .unwrap()
        .ops
        .iter()
        .filter(|o| matches!(o.kind, OpKind::Add | OpKind::Wait))
        .map(|o| (o.kind, o.line))
        .collect();
    assert_eq!(
        ops,
        [(OpKind::Add, 11), (OpKind::Add, 12), (OpKind::Wait, 13)]
    );
}

#[test]
fn method_names_read_as_the_runtime_prints_them() {
    let src = br#"package main

type Manager struct{}
type Set[K comparable] map[K]bool
type Tree[K comparable, V any] struct{}
type Account struct{}

func (m *Manager) syncOnce() {}
func (*Manager) stop()       {}
func (s Set[K]) Has(k K) bool { return s[k] }
func (t *Tree[K, V]) Put(k K, v V) {}
func (Account) Balance() int { return 0 }
func transfer()              {}
"#;
    let f = SourceFile::parse(src).unwrap();
    let got: Vec<(String, Option<(String, bool)>)> = f
        .functions()
        .iter()
        .map(|fi| {
            (
                fi.symbol(),
                fi.receiver_type().map(|(t, p)| (t.to_string(), p)),
            )
        })
        .collect();
    let r = |t: &str, p| Some((t.to_string(), p));
    assert_eq!(
        got,
        [
            ("(*Manager).syncOnce".to_string(), r("Manager", true)),
            ("(*Manager).stop".to_string(), r("Manager", true)),
            ("Set[...].Has".to_string(), r("Set", false)),
            ("(*Tree[...]).Put".to_string(), r("Tree", true)),
            ("Account.Balance".to_string(), r("Account", false)),
            ("transfer".to_string(), None),
        ]
    );
}

#[test]
fn a_helper_that_unlocks_its_callers_lock_releases_it_until_it_locks_again() {
    let src = r#"package main

import "sync"

type Set struct{ sync.Mutex }

func (s *Set) wait() {
	s.Unlock()
	sleep()
	s.Lock()
}

func (s *Set) both(m *sync.Mutex) {
	m.Lock()
	s.Unlock()
	m.Unlock()
	if bad() {
		s.Lock()
		return
	}
	s.Lock()
}
"#;
    let f = SourceFile::parse(src.as_bytes()).unwrap();
    // Blocked in `s.Lock()` on line 10: `s` was released on line 8.
    let r = f.released_at(10);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!((r[0].expr.as_str(), r[0].line, r[0].read), ("s", 8, false));
    // Before the Unlock nothing is released.
    assert!(f.released_at(8).is_empty());
    // A lock the function took itself is not its caller's; a Lock on a
    // path that returned does not take `s` back.
    let r = f.released_at(21);
    assert_eq!(r.iter().map(|h| h.expr.as_str()).collect::<Vec<_>>(), ["s"]);
}

#[test]
fn a_block_run_only_when_stop_returned_false_is_a_stop_guard() {
    let src = r#"package main

func loop(s *S) {
	for {
		select {
		case <-s.timer.C:
		case <-s.reset:
			if !s.timer.Stop() {
				<-s.timer.C
			}
			s.timer.Reset(d)
		}
	}
}

func other(t *time.Timer) {
	if t.Stop() {
		<-t.C
	}
	if !t.Stop(x) {
		<-t.C
	}
	if !t.Stop() {
		t.Reset(d)
		<-t.C
	}
}
"#;
    let f = SourceFile::parse(src.as_bytes()).unwrap();
    assert_eq!(f.stop_guard(9), Some("s.timer"));
    assert_eq!(f.stop_guard(11), None);
    // Not negated, or not the timer's Stop().
    assert_eq!(f.stop_guard(18), None);
    assert_eq!(f.stop_guard(21), None);
    // Reset before the receive: the timer fires again.
    assert_eq!(f.stop_guard(25), None);
}

#[test]
fn a_once_do_call_names_its_once() {
    let src = r#"package main

func (p *Page) initPlain(lock bool) {
	p.plainInit.Do(func() {
		if lock {
			p.mu.Lock()
			defer p.mu.Unlock()
		}
	})
	go p.other.Do(f)
	p.g.Do(a, b)
}
"#;
    let f = SourceFile::parse(src.as_bytes()).unwrap();
    assert_eq!(f.do_call_at(4), Some("p.plainInit"));
    assert_eq!(f.do_call_at(10), None);
    assert_eq!(f.do_call_at(11), None);
}

#[test]
fn a_literal_that_only_starts_on_a_line_is_not_the_function_there() {
    let src = r#"package main

func (p *Page) render() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.once.Do(func() {})
	p.once.Do(func() {
		p.x = 1
	})
	go func() { p.mu.Lock() }()
}
"#;
    let f = SourceFile::parse(src.as_bytes()).unwrap();
    // The calls taking the literals are render's: p.mu is held there.
    for line in [6, 7] {
        assert_eq!(f.function_at(line).unwrap().start_line, 3, "line {line}");
        assert_eq!(f.held_at(line).len(), 1, "line {line}");
    }
    // Inside a literal, and a one-line literal with code, are the literal's.
    assert_eq!(f.function_at(8).unwrap().name, "func literal");
    assert_eq!(f.function_at(10).unwrap().name, "func literal");
}

#[test]
fn a_lock_in_a_block_that_returns_is_not_held_after_it() {
    let src = r#"package main

func (c *Cache) Get(k string) int {
	if c.fast {
		c.mu.RLock()
		defer c.mu.RUnlock()
		return c.m[k]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.load(k)
}

func (c *Cache) drain(jobs []int) {
	for _, j := range jobs {
		if j < 0 {
			c.mu.Lock()
			continue
		}
		c.mu.Lock()
	}
}
"#;
    let f = SourceFile::parse(src.as_bytes()).unwrap();
    // The fast path returned: the slow path's Lock holds nothing yet.
    assert!(f.held_at(9).is_empty(), "{:?}", f.held_at(9));
    assert_eq!(f.held_at(10).len(), 1);
    // A Lock before `continue` is held when the loop comes round again.
    let held = f.held_at(20);
    assert_eq!(
        held.iter().map(|h| h.line).collect::<Vec<_>>(),
        [17],
        "{held:?}"
    );
}

/// Names a function declares shadow package-level variables: type-switch
/// bindings, variables a select case declares, named results. (A binding
/// with `=` assigns an existing variable and shadows nothing.)
#[test]
fn type_switch_select_and_result_bindings_shadow_globals() {
    let src = b"package main
var cache Cache
func a(x any) {
	switch cache := x.(type) {
	default:
		_ = cache
	}
}
func b(ch chan *Other) {
	select {
	case cache := <-ch:
		_ = cache
	}
}
func c() (cache *Other) {
	return nil
}
func d(ch chan Cache) {
	select {
	case cache = <-ch:
	}
	_ = cache
}
";
    let f = SourceFile::parse(src).unwrap();
    assert_eq!(f.type_of(6, "cache"), None, "type switch binding");
    assert_eq!(f.type_of(12, "cache"), None, "select case binding");
    assert_eq!(f.type_of(16, "cache"), Some("Other"), "named result");
    assert_eq!(
        f.type_of(22, "cache"),
        Some("Cache"),
        "`=` declares nothing"
    );
}

#[test]
fn the_first_field_of_struct_types_is_known() {
    let src = b"package main
type Conn struct {
	mu      sync.Mutex
	closing bool
}
type (
	Pool struct{ a, b int }
	Embeds struct {
		sync.Mutex
		n int
	}
	Ptr struct {
		*sync.RWMutex
	}
	Alias = Conn
	Empty struct{}
)
";
    let f = SourceFile::parse(src).unwrap();
    assert_eq!(f.first_field("Conn"), Some(("mu", "sync.Mutex")));
    assert_eq!(f.first_field("Pool"), Some(("a", "int")));
    assert_eq!(f.first_field("Embeds"), Some(("Mutex", "sync.Mutex")));
    assert_eq!(f.first_field("Ptr"), Some(("RWMutex", "*sync.RWMutex")));
    assert_eq!(f.first_field("Alias"), None);
    assert_eq!(f.first_field("Empty"), None);
    assert_eq!(f.first_field("Missing"), None);
}

/// A local assigned from a call has the struct type the callee returns when
/// every function of that name in the file agrees; a named channel type or
/// a disagreement types nothing.
#[test]
fn locals_assigned_from_calls_take_the_result_type() {
    let src = b"package main
type Container struct{ sync.Mutex }
type Other struct{ n int }
type Signal <-chan struct{}
type Store struct{ ctr *Container }
func (s *Store) Get() *Container { return s.ctr }
func After() Signal { return nil }
func (o *Other) Pick() *Other { return o }
func (c *Container) Pick() *Container { return c }
func f(d *Store) {
	c := d.Get()
	ch := After()
	p := d.Pick()
	_, _, _ = c, ch, p
}
";
    let f = SourceFile::parse(src).unwrap();
    assert_eq!(f.type_of(14, "c"), Some("Container"));
    assert_eq!(
        f.type_of(14, "ch"),
        None,
        "a named channel type is no struct"
    );
    assert_eq!(f.type_of(14, "p"), None, "two Pick methods disagree");
}

#[test]
fn deeply_nested_source_is_refused_not_a_stack_overflow() {
    // Ten thousand nested blocks overflowed the stack of the recursive walks.
    let n = 10_000;
    let text = format!(
        "package main\n\nfunc main() {{\n{}{}\n}}\n",
        "{".repeat(n),
        "}".repeat(n)
    );
    assert!(matches!(
        SourceFile::parse(text.as_bytes()),
        Err(Error::TooDeep)
    ));
    // Nesting real code uses is fine.
    let n = 40;
    let text = format!(
        "package main\n\nfunc main() {{\n{}{}\n}}\n",
        "{".repeat(n),
        "}".repeat(n)
    );
    assert!(SourceFile::parse(text.as_bytes()).is_ok());
}

#[test]
fn a_take_and_give_back_through_helper_methods_leak_on_the_path_that_skips_the_give_back() {
    let src = b"package main
func (l *Lim) Acquire() { <-l.tokens }
func (l *Lim) Release() { l.tokens <- struct{}{} }
func (c *C) Fetch() error {
	for i := 0; i < 3; i++ {
		c.lim.Acquire()
		if err := c.get(); err == nil {
			c.lim.Release()
			return nil
		}
		if fatal {
			break
		}
		c.lim.Release()
	}
	return errGaveUp
}
func (c *C) Fine() {
	c.lim.Acquire()
	defer c.lim.Release()
	if bad {
		return
	}
}
";
    let f = SourceFile::parse(src).unwrap();
    let leaks: Vec<_> = f.leaky_locks().iter().filter(|l| l.slot).collect();
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    assert_eq!(
        (
            leaks[0].expr.as_str(),
            leaks[0].lock_line,
            leaks[0].exit,
            leaks[0].exit_line,
            leaks[0].function.as_str()
        ),
        ("c.lim.tokens", 6, "break", 12, "(c *C) Fetch")
    );
    // The helpers' own operations, as the callers' (one level only).
    let ops = f.helper_ops(20);
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert!(ops[1].deferred);
}

#[test]
fn a_test_helper_that_ends_the_goroutine_between_lock_and_unlock_leaks_the_lock() {
    let src = b"package store
func (f *fixture) with(t *testing.T, fn func(*Store)) {
	t.Helper()
	f.mu.Lock()
	if err := f.db.Reset(); err != nil {
		t.Fatalf(\"reset fixture: %v\", err) // no Unlock
	}
	fn(f.db)
	f.mu.Unlock()
}
func (f *fixture) fine(t *testing.T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if bad {
		t.Fatal(\"bad\")
	}
}
";
    let f = SourceFile::parse(src).unwrap();
    let leaks = f.leaky_locks();
    assert_eq!(leaks.len(), 1, "{leaks:?}");
    assert_eq!(
        (leaks[0].lock_line, leaks[0].exit, leaks[0].exit_line),
        (4, "Goexit", 6)
    );
}

#[test]
fn channels_a_call_makes_for_itself_are_listed_with_their_line() {
    let src = br#"package main

type request struct {
	ip    string
	reply chan string
}

func lookup(reqs chan<- request, ip string) string {
	req := request{ip: ip, reply: make(chan string)}
	done := make(chan struct{}, 1)
	p := &request{reply: make(chan string)}
	q := request{ip: ip}
	other := reqs
	reqs <- req
	_, _, _ = done, p, q
	_ = other
	return <-req.reply
}
"#;
    let sf = SourceFile::parse(src).unwrap();
    let f = sf.functions_named("lookup").next().unwrap();
    let made: Vec<(&str, u32)> = f.made.iter().map(|(e, l)| (e.as_str(), *l)).collect();
    assert_eq!(made, [("req.reply", 9), ("done", 10), ("p.reply", 11)]);
    let objects: Vec<(&str, u32)> = f.objects.iter().map(|(e, l)| (e.as_str(), *l)).collect();
    assert_eq!(objects, [("req", 9), ("p", 11), ("q", 12)]);
}

#[test]
fn literals_called_or_started_where_they_are_written_are_immediate() {
    let src = br#"package main

func run(ch chan int, register func(func())) {
	go func() {
		ch <- 1
	}()
	func() { ch <- 2 }()
	register(func() { ch <- 3 })
	h := func() { ch <- 4 }
	register(h)
}
"#;
    let sf = SourceFile::parse(src).unwrap();
    let literals: Vec<(u32, bool)> = sf
        .functions()
        .iter()
        .filter(|f| f.name == "func literal")
        .map(|f| (f.start_line, f.immediate))
        .collect();
    assert_eq!(literals, [(4, true), (7, true), (8, false), (9, false)]);
}

#[test]
fn a_notify_context_is_followed_through_parameters_and_literals() {
    let src = br#"package main

func keep(ctx context.Context) {
	<-ctx.Done()
}

func relay(c context.Context) {
	keep(c)
}

func other(ctx context.Context) {
	<-ctx.Done()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	plain, cancel := context.WithCancel(context.Background())
	defer cancel()
	go relay(ctx)
	go other(ctx)
	go other(plain)
	go func() {
		<-ctx.Done()
	}()
	<-ctx.Done()
	<-plain.Done()
}
"#;
    let f = SourceFile::parse(src).unwrap();
    // In main itself, and in a literal reading main's variable.
    assert!(f.signal_context(26, "ctx.Done()"));
    assert!(f.signal_context(24, "ctx.Done()"));
    assert!(!f.signal_context(27, "plain.Done()"));
    // Passed down two calls: relay(ctx) → keep(c).
    assert!(f.signal_context(4, "ctx.Done()"));
    // One caller passes a context nobody signals: not fed from outside.
    assert!(!f.signal_context(12, "ctx.Done()"));
    // Not a Done() receive at all.
    assert!(!f.signal_context(4, "ctx.Err()"));

    let derived = br#"package main

func main() {
	sig, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(sig, time.Hour)
	defer cancel()
	other, done := context.WithCancel(context.Background())
	defer done()
	<-ctx.Done()
	<-other.Done()
}
"#;
    let d = SourceFile::parse(derived).unwrap();
    assert!(d.signal_context(10, "ctx.Done()"));
    assert!(!d.signal_context(11, "other.Done()"));
}

#[test]
fn a_channel_declared_without_a_value_and_never_given_one_is_nil() {
    let nil_field = br#"package main

type Notifier struct {
	name   string
	events chan int
}

func NewNotifier(name string) *Notifier { return &Notifier{name: name} }

func (n *Notifier) Listen() {
	for v := range n.events {
		_ = v
	}
}
"#;
    let f = SourceFile::parse(nil_field).unwrap();
    assert!(crate::never_made(&[f.chan_values().clone()], "events"));
    // Not a channel declaration at all, or unknown names.
    assert!(!crate::never_made(&[f.chan_values().clone()], "name"));
    assert!(!crate::never_made(&[f.chan_values().clone()], "missing"));

    // Made in another file of the package: keyed literal, assignment,
    // a positional literal of the struct, an address taken.
    for other in [
        "package main\nfunc mk() *Notifier { return &Notifier{events: make(chan int)} }\n",
        "package main\nfunc (n *Notifier) init2() { n.events = make(chan int, 1) }\n",
        "package main\nvar def = Notifier{\"x\", make(chan int)}\n",
        "package main\nfunc wire(n *Notifier) { fill(&n.events) }\n",
    ] {
        let g = SourceFile::parse(other.as_bytes()).unwrap();
        assert!(
            !crate::never_made(
                &[f.chan_values().clone(), g.chan_values().clone()],
                "events"
            ),
            "{other}"
        );
    }

    // Package variables: nil until assigned; a parameter of the same name
    // gets its value from callers; exported names may be set elsewhere.
    let vars = br#"package main

var ready chan struct{}
var Done chan struct{}
var later chan int

func init() { later = make(chan int) }

func wait(events chan int) { <-events }

func main() { <-ready; <-Done; <-later }
"#;
    let v = SourceFile::parse(vars).unwrap();
    assert!(crate::never_made(&[v.chan_values().clone()], "ready"));
    assert!(!crate::never_made(&[v.chan_values().clone()], "Done"));
    assert!(!crate::never_made(&[v.chan_values().clone()], "later"));
    assert!(!crate::never_made(
        &[f.chan_values().clone(), v.chan_values().clone()],
        "events"
    ));
}

#[test]
fn any_plain_assignment_reassigns_a_variable() {
    let src = br#"package main

func run() {
	c := &Conn{}
	d := &Conn{}
	c = &Conn{closing: true}
	d.n, err = load()
	e, f := c, d
	_ = e
	_ = f
}
"#;
    let file = SourceFile::parse(src).unwrap();
    let f = file.function_at(4).unwrap();
    let names: Vec<&str> = f.reassigned.iter().map(|(n, _)| n.as_str()).collect();
    // `c = &Conn{…}` reassigns c (not a plain name on the right: the old
    // `assigns` list missed it); `d.n` is a field, `err` a name; `:=` declares.
    assert_eq!(names, ["c", "err"]);
    assert_eq!(f.reassigned[0].1, 6);
    assert!(f.objects.iter().any(|(n, l)| n == "c" && *l == 4));
}
