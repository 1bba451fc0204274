/// Somewhere goroutine structures can be read from: a live process or a core file.
pub trait Memory {
    /// Fill `buf` with the bytes at virtual address `addr` of the target, or fail.
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError>;
}
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("address {addr:#x} ({len} bytes) is not mapped in the target")]
    Unmapped { addr: u64, len: usize },
    #[error("reading {addr:#x}: {source}")]
    Io {
        addr: u64,
        #[source]
        source: std::io::Error,
    },
}
