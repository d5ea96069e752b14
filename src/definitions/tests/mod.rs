//! The definition loader against its file format ([`format`]: a file with every option becomes
//! the expected [`Definition`](super::Definition), each kind of mistake is refused at its line
//! and column, arbitrary text never panics) and against sets of files ([`sets`]: lookups, added
//! directories, devices claimed twice, and the shipped files, which all load and describe the
//! emulated devices as the emulators report themselves).

mod format;
mod sets;
