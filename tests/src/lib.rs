pub mod emulator;
pub mod harness;
