//! `Display` for [`Event`], identical to Go's `trace.Event.String()` (what
//! `go tool trace -d=parsed` prints), given a UTC time zone.

use std::fmt::{self, Display, Write};

use crate::event::*;
use crate::gofmt::{go_quote, rfc3339_nano_utc};
use crate::table::Stack;

fn write_stack(f: &mut fmt::Formatter<'_>, stack: &Stack<'_>) -> fmt::Result {
    for fr in stack.frames() {
        writeln!(f, "\t{} @ {:#x}", fr.func, fr.pc)?;
        writeln!(f, "\t\t{}:{}", fr.file, fr.line)?;
    }
    Ok(())
}

impl Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "M={} P={} G={} {} Time={}",
            self.ctx.m,
            self.ctx.p,
            self.ctx.g,
            self.kind().name(),
            self.time()
        )?;
        match self.details() {
            Details::Metric(m) => write!(
                f,
                " Name={} Value=Value{{Uint64({})}}",
                go_quote(m.name),
                m.value
            )?,
            Details::Label(l) => write!(f, " Label={} Resource={}", go_quote(l.label), l.resource)?,
            Details::RangeBegin(r) | Details::RangeActive(r) => {
                write!(f, " Name={} Scope={}", go_quote(&r.name), r.scope)?
            }
            Details::RangeEnd(r, attrs) => {
                write!(
                    f,
                    " Name={} Scope={} Attributes=[",
                    go_quote(&r.name),
                    r.scope
                )?;
                for (i, (name, v)) in attrs.iter().enumerate() {
                    if i != 0 {
                        f.write_char(' ')?;
                    }
                    write!(f, "{}=Value{{Uint64({v})}}", go_quote(name))?;
                }
                f.write_char(']')?;
            }
            Details::TaskBegin(t) | Details::TaskEnd(t) => write!(
                f,
                " ID={} Parent={} Type={}",
                t.id,
                t.parent,
                go_quote(t.typ)
            )?,
            Details::RegionBegin(r) | Details::RegionEnd(r) => {
                write!(f, " Task={} Type={}", r.task, go_quote(r.typ))?
            }
            Details::Log(l) => write!(
                f,
                " Task={} Category={} Message={}",
                l.task,
                go_quote(l.category),
                go_quote(l.message)
            )?,
            Details::StateTransition(s) => {
                match s.transition {
                    Transition::Goroutine { id, from, to } => {
                        write!(f, " GoID={id} {}->{}", from.name(), to.name())?
                    }
                    Transition::Proc { id, from, to } => {
                        write!(f, " ProcID={id} {}->{}", from.name(), to.name())?
                    }
                }
                write!(f, " Reason={}", go_quote(s.reason))?;
                if let Some(stk) = &s.stack {
                    f.write_str("\nTransitionStack=\n")?;
                    write_stack(f, stk)?;
                }
            }
            Details::Experimental(x) => {
                write!(f, " Name={} Args=[", x.name)?;
                for (i, (name, v)) in x.arg_names.iter().zip(x.args).enumerate() {
                    if i != 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}=Value{{Uint64({v})}}")?;
                }
                f.write_char(']')?;
            }
            Details::Sync(s) => {
                write!(f, " N={}", s.n)?;
                if let Some(c) = s.clock {
                    write!(
                        f,
                        " Trace={} Mono={} Wall={}",
                        c.trace,
                        c.mono,
                        rfc3339_nano_utc(c.wall_sec, c.wall_nsec)
                    )?;
                }
            }
            Details::StackSample => {}
        }
        if let Some(stk) = self.stack() {
            f.write_str("\nStack=\n")?;
            write_stack(f, &stk)?;
        }
        Ok(())
    }
}
