//! The commands' argument loop: one parser for `inspect`, `plan`, `probe` and `serve`, so that
//! flags, their values, `--help` and usage errors behave the same in every command.

use chunkscope::{Error, Result};

/// One command-line argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// Starts with `-` (and is not `-` alone).
    Flag(&'a str),
    /// Anything else: a source, an image.
    Positional(&'a str),
}

/// Walks a command's arguments.
pub struct Parser<'a> {
    it: std::slice::Iter<'a, String>,
    /// The command's usage text, printed for `-h` / `--help`.
    usage_text: &'static str,
    /// Where usage errors point: `chunkscope probe --help`.
    help: &'static str,
}

impl<'a> Parser<'a> {
    /// A parser over `args` (the command's own arguments).
    pub fn new(args: &'a [String], usage_text: &'static str, help: &'static str) -> Parser<'a> {
        Parser {
            it: args.iter(),
            usage_text,
            help,
        }
    }

    /// The next argument. `-h` and `--help` print the usage and end the process.
    pub fn next_arg(&mut self) -> Option<Arg<'a>> {
        let a = self.it.next()?.as_str();
        match a {
            "-h" | "--help" => {
                out!("{}", self.usage_text);
                std::process::exit(0);
            }
            s if s.starts_with('-') && s.len() > 1 => Some(Arg::Flag(s)),
            s => Some(Arg::Positional(s)),
        }
    }

    /// The value that must follow the flag `name`.
    pub fn value(&mut self, name: &str) -> Result<String> {
        match self.it.next() {
            Some(v) => Ok(v.clone()),
            None => Err(self.usage(&format!("{name} needs a value"))),
        }
    }

    /// A usage error that points at the command's help.
    pub fn usage(&self, message: &str) -> Error {
        Error::Usage(format!("{message} (see {})", self.help))
    }

    /// The error for an argument no rule of the command took.
    pub fn unexpected(&self, arg: Arg<'_>) -> Error {
        match arg {
            Arg::Flag(s) => self.usage(&format!("unknown option {s}")),
            Arg::Positional(s) => self.usage(&format!("unexpected argument {s:?}")),
        }
    }
}
