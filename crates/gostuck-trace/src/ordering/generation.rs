//! Grouping batches into generations.
//!
//! The runtime writes a trace as a sequence of generations; each carries its
//! own string and stack tables, frequency and (Go 1.25+) clock snapshot, so
//! a generation can be read and interpreted on its own. Before Go 1.26 the
//! end of a generation is only noticed when the first batch of the next one
//! is read: that batch is "spilled" into the next generation. Go 1.26+ ends
//! each generation with an `EndOfGeneration` byte.

use std::io::BufRead;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::batch::{read_batch, Batch, BatchKind, Read};
use crate::error::{BatchRef, Error, Problem, Result};
use crate::input::{Input, SliceCursor};
use crate::spec::EventType;
use crate::table::{ExperimentalBatch, Table};
use crate::version::Version;

/// A CPU profile sample, timestamp already in nanoseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuSample {
    pub(crate) time: i64,
    pub(crate) m: i64,
    pub(crate) p: i64,
    pub(crate) g: i64,
    pub(crate) stack: u64,
    pub(crate) offset: u64,
}

/// All the data of one generation, not yet ordered.
#[derive(Debug)]
pub(crate) struct Generation {
    pub(crate) gen: u64,
    /// Event batches per thread, threads in order of first appearance.
    pub(crate) batches: Vec<(i64, Vec<Batch>)>,
    pub(crate) cpu_samples: Vec<CpuSample>,
    /// Smallest batch timestamp (ticks).
    pub(crate) min_ts: u64,
    pub(crate) table: Arc<Table>,
}

struct Builder {
    version: Version,
    gen: u64,
    batches: Vec<(i64, Vec<Batch>)>,
    by_thread: FxHashMap<i64, usize>,
    cpu: Vec<CpuSample>,
    min_ts: u64,
    table: Table,
    last: Option<BatchRef>,
}

impl Builder {
    fn new(version: Version) -> Self {
        Builder {
            version,
            gen: 0,
            batches: Vec::new(),
            by_thread: FxHashMap::default(),
            cpu: Vec::new(),
            min_ts: 0,
            table: Table::default(),
            last: None,
        }
    }

    fn add(&mut self, b: Batch) -> Result<()> {
        if self.min_ts == 0 || b.time < self.min_ts {
            self.min_ts = b.time;
        }
        self.last = Some(b.at);
        let mut cur = SliceCursor::new(&b.data, b.data_offset, Some(b.at));
        match b.kind(self.version) {
            BatchKind::Strings => self.table.add_strings(&mut cur),
            BatchKind::Stacks => self.table.add_stacks(&mut cur),
            BatchKind::CpuSamples => self.add_cpu_samples(&mut cur),
            BatchKind::Sync => {
                self.table
                    .set_sync(&mut cur, b.time, self.version >= Version::Go125)
            }
            BatchKind::Experimental => {
                self.table.experimental.push(ExperimentalBatch {
                    experiment: b.exp,
                    thread: b.at.thread,
                    data: b.data,
                });
                Ok(())
            }
            BatchKind::Events => {
                let idx = *self.by_thread.entry(b.at.thread).or_insert_with(|| {
                    self.batches.push((b.at.thread, Vec::new()));
                    self.batches.len() - 1
                });
                self.batches[idx].1.push(b);
                Ok(())
            }
        }
    }

    fn add_cpu_samples(&mut self, cur: &mut SliceCursor<'_>) -> Result<()> {
        cur.byte("CPU samples batch header")?;
        while !cur.is_empty() {
            let offset = cur.offset();
            let b = cur.byte("CPU sample")?;
            if b != EventType::CpuSample as u8 {
                return Err(cur.malformed(Problem::Unexpected {
                    expected: "a CPUSample event",
                    found: b,
                }));
            }
            let time = cur.uvarint("CPU sample time")?;
            let m = cur.uvarint("CPU sample thread")?.cast_signed();
            let p = cur.uvarint("CPU sample proc")?.cast_signed();
            let g = cur.uvarint("CPU sample goroutine")?;
            let stack = cur.uvarint("CPU sample stack")?;
            self.cpu.push(CpuSample {
                // Ticks for now; converted once the frequency is known.
                time: time.cast_signed(),
                m,
                p,
                g: if g == 0 { -1 } else { g.cast_signed() },
                stack,
                offset,
            });
        }
        Ok(())
    }

    fn finish(mut self, end_offset: u64) -> Result<Generation> {
        let last = self.last;
        if self.table.freq == 0.0 {
            return Err(Error::malformed(
                end_offset,
                last,
                Problem::NoFrequency { gen: self.gen },
            ));
        }
        if self.version >= Version::Go125 && self.table.clock.is_none() {
            return Err(Error::malformed(
                end_offset,
                last,
                Problem::NoClockSnapshot { gen: self.gen },
            ));
        }
        self.table.validate_stacks(last, end_offset)?;
        for s in &mut self.cpu {
            s.time = self.table.ns(s.time.cast_unsigned());
        }
        // Stable: samples with equal timestamps keep their file order.
        self.cpu.sort_by_key(|s| s.time);
        self.table.gen = self.gen;
        self.table.finish();
        Ok(Generation {
            gen: self.gen,
            batches: self.batches,
            cpu_samples: self.cpu,
            min_ts: self.min_ts,
            table: Arc::new(self.table),
        })
    }
}

/// Reads generations one at a time from a stream.
pub(crate) struct GenReader<R> {
    pub(crate) input: Input<R>,
    pub(crate) version: Version,
    /// Go < 1.26: the first batch of the next generation, already read.
    spill: Option<Batch>,
    /// Go < 1.26: set once the end of the file has been reached.
    eof: bool,
}

/// The outcome of reading a generation of a pre-1.26 trace.
pub(crate) struct Spilled {
    /// The generation, if one could be read.
    pub(crate) gen: Option<Generation>,
    /// An error met while looking for the next generation; it is reported
    /// after the events of `gen`.
    pub(crate) err: Option<Error>,
}

impl<R: BufRead> GenReader<R> {
    pub(crate) fn new(input: Input<R>, version: Version) -> Self {
        GenReader {
            input,
            version,
            spill: None,
            eof: false,
        }
    }

    /// Whether a pre-1.26 trace has more generations to read.
    pub(crate) fn has_more(&self) -> bool {
        self.spill.is_some() || !self.eof
    }

    /// Go 1.26+: the next generation, `None` at a clean end of file.
    pub(crate) fn read_generation(&mut self) -> Result<Option<Generation>> {
        let mut b = Builder::new(self.version);
        let mut any = false;
        loop {
            let at = self.input.pos();
            match read_batch(&mut self.input)? {
                Read::Eof => {
                    if !any {
                        return Ok(None);
                    }
                    return Err(Error::Truncated {
                        offset: at,
                        batch: b.last,
                        what: "generation (no end-of-generation marker)",
                    });
                }
                Read::EndOfGeneration(_) => break,
                Read::Batch(batch) => {
                    if batch.at.gen == 0 {
                        return Err(Error::malformed(
                            at,
                            Some(batch.at),
                            Problem::ZeroGeneration,
                        ));
                    }
                    if !any {
                        b.gen = batch.at.gen;
                    } else if batch.at.gen != b.gen {
                        return Err(Error::malformed(
                            at,
                            Some(batch.at),
                            Problem::GenerationOrder {
                                expected: b.gen,
                                found: batch.at.gen,
                            },
                        ));
                    }
                    any = true;
                    b.add(batch)?;
                }
            }
        }
        let end = self.input.pos();
        b.finish(end).map(Some)
    }

    /// Go < 1.26: the next generation, found by reading until the first
    /// batch of the following one (which is kept for the next call).
    pub(crate) fn read_generation_spilled(&mut self) -> Spilled {
        let mut b = Builder::new(self.version);
        let mut any = false;
        if let Some(batch) = self.spill.take() {
            b.gen = batch.at.gen;
            any = true;
            if let Err(e) = b.add(batch) {
                return Spilled {
                    gen: None,
                    err: Some(e),
                };
            }
        }
        let mut deferred = None;
        loop {
            let at = self.input.pos();
            let batch = match read_batch(&mut self.input) {
                Ok(Read::Eof) => {
                    self.eof = true;
                    break;
                }
                Ok(Read::EndOfGeneration(off)) => {
                    let e = Error::malformed(
                        off,
                        None,
                        Problem::UnexpectedEndOfGeneration {
                            version: self.version.minor(),
                        },
                    );
                    self.eof = true;
                    return Spilled {
                        gen: None,
                        err: Some(e),
                    };
                }
                Ok(Read::Batch(batch)) => batch,
                Err(e) => {
                    // An error reading what may be the next generation's first
                    // batch: keep what we have and report the error after it.
                    self.eof = true;
                    if any {
                        deferred = Some(e);
                        break;
                    }
                    return Spilled {
                        gen: None,
                        err: Some(e),
                    };
                }
            };
            if batch.at.gen == 0 {
                let e = Error::malformed(at, Some(batch.at), Problem::ZeroGeneration);
                return Spilled {
                    gen: None,
                    err: Some(e),
                };
            }
            if !any {
                b.gen = batch.at.gen;
                any = true;
            } else if batch.at.gen == b.gen.wrapping_add(1) {
                self.spill = Some(batch);
                break;
            } else if batch.at.gen != b.gen {
                let e = Error::malformed(
                    at,
                    Some(batch.at),
                    Problem::GenerationOrder {
                        expected: b.gen,
                        found: batch.at.gen,
                    },
                );
                return Spilled {
                    gen: None,
                    err: Some(e),
                };
            }
            if let Err(e) = b.add(batch) {
                return Spilled {
                    gen: None,
                    err: Some(e),
                };
            }
        }
        let end = self.input.pos();
        match b.finish(end) {
            Ok(g) => Spilled {
                gen: Some(g),
                err: deferred,
            },
            Err(e) => Spilled {
                gen: None,
                err: Some(e),
            },
        }
    }
}
