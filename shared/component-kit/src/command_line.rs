//! The few arguments a component binary takes besides none (the nucleus starts it without
//! any): `--stop` for the recipe's `Shutdown` step, and `--help` / `--version` for an operator
//! looking at the artifact on a gateway.

use crate::stop_command::STOP_FLAG;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// No argument: run as a component.
    Run,
    /// `--stop`: stop the running instance.
    Stop,
    /// Print this text and exit successfully (`--help`, `--version`).
    Print(String),
    /// Print this text to stderr and exit with a failure (an argument it does not know).
    Refuse(String),
}

/// Reads the arguments after the program name.
pub(crate) fn parse(component: &str, mut args: impl Iterator<Item = String>) -> Request {
    let Some(first) = args.next() else {
        return Request::Run;
    };
    match first.as_str() {
        STOP_FLAG => Request::Stop,
        "--version" | "-V" => Request::Print(version(component)),
        "--help" | "-h" => Request::Print(help(component)),
        other => Request::Refuse(format!(
            "{component}: unknown argument {other:?}\n\n{}",
            help(component)
        )),
    }
}

fn version(component: &str) -> String {
    // Every component crate takes the workspace's version, as the kit does.
    format!("{component} {}", env!("CARGO_PKG_VERSION"))
}

fn help(component: &str) -> String {
    format!(
        "{}\n\n\
         An AWS IoT Greengrass v2 component. The Greengrass nucleus (or gg-local) starts it with\n\
         no arguments and gives it its IPC socket and configuration; started by hand it stops\n\
         with an error naming what is missing.\n\n\
         Arguments:\n  \
         {STOP_FLAG}      ask the running instance (pid file in the working directory) to stop,\n              \
         as the recipe's Shutdown step does\n  \
         --version   print the name and version\n  \
         --help      print this text",
        version(component)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Request {
        parse("com.example.Sensor", args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn no_argument_runs_the_component() {
        assert_eq!(parse_args(&[]), Request::Run);
        assert_eq!(parse_args(&["--stop"]), Request::Stop);
    }

    #[test]
    fn version_and_help_name_the_component() {
        let Request::Print(version) = parse_args(&["--version"]) else {
            panic!("--version should print");
        };
        assert_eq!(
            version,
            format!("com.example.Sensor {}", env!("CARGO_PKG_VERSION"))
        );
        let Request::Print(help) = parse_args(&["-h"]) else {
            panic!("-h should print");
        };
        assert!(
            help.starts_with(&version) && help.contains("--stop"),
            "{help}"
        );
    }

    #[test]
    fn an_unknown_argument_is_refused_by_name() {
        let Request::Refuse(text) = parse_args(&["--config", "x.json"]) else {
            panic!("an unknown argument should be refused");
        };
        assert!(text.contains("unknown argument \"--config\""), "{text}");
    }
}
