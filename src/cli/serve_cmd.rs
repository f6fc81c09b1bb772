//! `callqa serve` and `callqa users add`: the review workbench's checked
//! configuration (a users file, or a loopback address only) and its users file.

use super::args::{RoleArg, ServeArgs, UsersCommand};
use super::{CliError, Outcome};
use crate::reporter::Reporter;
use crate::serve::users::{self, Role, Users};
use crate::serve::ServeConfig;
use std::net::SocketAddr;

/// Checks the arguments: the address parses, and without a users file it is a
/// loopback one (nobody else may reach an unauthenticated workbench).
pub fn config(args: ServeArgs) -> Result<ServeConfig, CliError> {
    let listen: SocketAddr = args.listen.parse().map_err(|_| {
        CliError::Usage(format!(
            "--listen {}: give an address and port, e.g. 127.0.0.1:8080",
            args.listen
        ))
    })?;
    let users = match &args.users {
        Some(path) => Some(Users::load(path)?),
        None => None,
    };
    if users.is_none() && !listen.ip().is_loopback() {
        return Err(CliError::Usage(format!(
            "--listen {listen}: without --users the workbench has no logins, so it only listens on 127.0.0.1; add users with `callqa users add` and pass --users FILE"
        )));
    }
    if !args.db.is_file() {
        return Err(crate::store::StoreError::Missing { path: args.db }.into());
    }
    Ok(ServeConfig {
        db: args.db,
        listen,
        users,
    })
}

pub fn run(args: ServeArgs, reporter: &dyn Reporter) -> Result<Outcome, CliError> {
    let config = config(args)?;
    let logins = if config.users.is_some() {
        "logins required"
    } else {
        "no logins (loopback only)"
    };
    crate::serve::run(config, |ready| {
        reporter.status(&format!(
            "serving {} interaction(s) at http://{}/ ({logins}); Ctrl-C stops",
            ready.items, ready.addr
        ));
        if ready.no_rule_text {
            reporter.status("the database does not hold the rule text of these results (written by an older callqa): verdicts and rulings are recorded and shown, but scores change only after `callqa rescore` (or a scan) records it");
        }
    })?;
    Ok(Outcome::Done)
}

pub fn users(cmd: UsersCommand, reporter: &dyn Reporter) -> Result<Outcome, CliError> {
    let UsersCommand::Add {
        name,
        users: path,
        role,
        agent_id,
        password_stdin: _,
    } = cmd;
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|source| CliError::Read {
            path: "<stdin>".into(),
            source,
        })?;
    let password = password.trim_end_matches(['\n', '\r']);
    let role = match role {
        RoleArg::Reviewer => Role::Reviewer,
        RoleArg::Agent => Role::Agent,
        RoleArg::Lead => Role::Lead,
    };
    users::add_user(&path, &name, role, agent_id, password)?;
    reporter.status(&format!("user {name} saved in {}", path.display()));
    Ok(Outcome::Done)
}
