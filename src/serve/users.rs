//! Who may use the workbench: the users file (`--users FILE`, TOML written by
//! `callqa users add`), each user with a role and an argon2id password hash. A
//! reviewer marks hits, an agent sees and appeals only their own interactions, a
//! lead also rules on appeals. The file never holds a password in clear.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Marks hits true or false, adds missed violations; reads everything.
    Reviewer,
    /// Sees only their own interactions (by `agent_id`) and appeals violations.
    Agent,
    /// A reviewer who also rules on appeals, finally.
    Lead,
}

/// One user of the workbench.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct User {
    pub name: String,
    pub role: Role,
    /// Agents: whose interactions they see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// argon2id PHC string.
    pub password: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    user: Vec<User>,
}

/// The users file, loaded.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: Vec<User>,
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read the users file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cannot write the users file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("user {name:?}: {what}")]
    Invalid { name: String, what: String },
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

impl Users {
    /// Reads a users file.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file: UsersFile = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            let line = text[..at.min(text.len())].matches('\n').count() + 1;
            UsersError::Parse {
                path: path.to_path_buf(),
                message: format!("line {line}: {}", e.message().trim()),
            }
        })?;
        for u in &file.user {
            check(u)?;
            PasswordHash::new(&u.password).map_err(|e| UsersError::Invalid {
                name: u.name.clone(),
                what: format!(
                    "password is not an argon2 hash ({e}); set it with `callqa users add`"
                ),
            })?;
        }
        Ok(Users { users: file.user })
    }

    /// The user `name` when `password` is theirs.
    pub fn verify(&self, name: &str, password: &str) -> Option<&User> {
        let user = self.users.iter().find(|u| u.name == name)?;
        let hash = PasswordHash::new(&user.password).ok()?;
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .ok()
            .map(|_| user)
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

fn check(u: &User) -> Result<(), UsersError> {
    let bad = |what: &str| UsersError::Invalid {
        name: u.name.clone(),
        what: what.to_string(),
    };
    if u.name.is_empty() || u.name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("a name needs at least one character and no spaces"));
    }
    match (u.role, &u.agent_id) {
        (Role::Agent, None) => Err(bad(
            "an agent needs --agent-id (whose interactions they see)",
        )),
        (Role::Agent, Some(a)) if a.is_empty() => Err(bad("empty --agent-id")),
        _ => Ok(()),
    }
}

/// Adds `name` to the users file at `path` (created 0600 when missing), or
/// replaces their role and password.
pub fn add_user(
    path: &Path,
    name: &str,
    role: Role,
    agent_id: Option<String>,
    password: &str,
) -> Result<(), UsersError> {
    if password.chars().count() < 8 {
        return Err(UsersError::Invalid {
            name: name.to_string(),
            what: "the password needs at least 8 characters".into(),
        });
    }
    let mut file: UsersFile = if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| UsersError::Parse {
            path: path.to_path_buf(),
            message: e.message().trim().to_string(),
        })?
    } else {
        UsersFile::default()
    };
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| UsersError::Hash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| UsersError::Hash(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| UsersError::Hash(e.to_string()))?
        .to_string();
    let user = User {
        name: name.to_string(),
        role,
        agent_id,
        password: hash,
    };
    check(&user)?;
    file.user.retain(|u| u.name != name);
    file.user.push(user);
    let text = toml::to_string(&file).map_err(|e| UsersError::Hash(e.to_string()))?;
    write_private(path, &text).map_err(|source| UsersError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_users_verify_with_their_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        add_user(&path, "li", Role::Reviewer, None, "correct horse").unwrap();
        add_user(
            &path,
            "a01",
            Role::Agent,
            Some("A01".into()),
            "battery staple",
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("correct horse") && text.contains("$argon2id$"),
            "{text}"
        );
        let users = Users::load(&path).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(
            users.verify("li", "correct horse").map(|u| u.role),
            Some(Role::Reviewer)
        );
        assert!(users.verify("li", "wrong password").is_none());
        assert!(users.verify("nobody", "correct horse").is_none());
        assert_eq!(
            users
                .verify("a01", "battery staple")
                .and_then(|u| u.agent_id.clone())
                .as_deref(),
            Some("A01")
        );
        // Replacing a user keeps one entry.
        add_user(&path, "li", Role::Lead, None, "new password").unwrap();
        let users = Users::load(&path).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(
            users.verify("li", "new password").map(|u| u.role),
            Some(Role::Lead)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn agents_need_an_agent_id_and_passwords_a_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        assert!(add_user(&path, "a", Role::Agent, None, "long enough").is_err());
        assert!(add_user(&path, "b", Role::Reviewer, None, "short").is_err());
        std::fs::write(
            &path,
            "[[user]]\nname = \"x\"\nrole = \"lead\"\npassword = \"plain\"\n",
        )
        .unwrap();
        assert!(Users::load(&path)
            .unwrap_err()
            .to_string()
            .contains("not an argon2 hash"));
    }
}
