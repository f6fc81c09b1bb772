//! The `callqa` binary: parse arguments, run the library, map the outcome to an exit
//! code. All user-facing messages go through one reporter writing to stderr.

mod eta;
mod term_reporter;

use callqa::cli::{self, args::Cli, exit};

/// mimalloc: the text path makes and frees many small strings on several threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::Parser;
use std::io::Write;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let reporter = term_reporter::TermReporter::new(cli.quiet);
    let mut stdout = std::io::stdout().lock();
    let code = match cli::run(cli, &mut stdout, &reporter) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            reporter.finish();
            let _ = writeln!(std::io::stderr(), "{}", e.report());
            e.exit_code()
        }
    };
    reporter.finish();
    let _ = stdout.flush();
    std::process::exit(code);
}
