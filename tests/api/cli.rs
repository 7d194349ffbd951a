//! The command line, run as the built binary against a temp database.

use std::{io::Write, path::Path};

use crate::support::process::{Workdir, sigterm, start_server};

fn id(stdout: &str) -> i64 {
    stdout.trim().parse().unwrap_or_else(|_| panic!("an id alone on stdout, got {stdout:?}"))
}

#[test]
fn version_prints_the_package_version() {
    let out = Workdir::new().ok(&["--version"]);
    assert_eq!(out.trim(), format!("ticketing {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn migrate_creates_the_schema() {
    let cli = Workdir::new();
    cli.ok(&["migrate"]);
    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE name IN ('tickets', 'ticket_messages', 'ticket_coverage', 'platform_audit_log')", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 4);
    cli.ok(&["migrate"]);
}

#[test]
fn companies_users_and_admins_are_created_listed_disabled_and_re_passworded() {
    let cli = Workdir::new();
    let acme = id(&cli.ok(&["company", "create", "--name", "Acme"]));
    let globex = id(&cli.ok(&["company", "create", "--name", "Globex"]));
    assert_eq!((acme, globex), (1, 2));
    assert!(cli.ok(&["company", "list"]).contains("Acme"));

    let out = cli.run_with_stdin(
        &[
            "user",
            "create",
            "--email",
            "ada@acme.test",
            "--name",
            "Ada",
            "--company",
            "1",
            "--company",
            "2",
            "--password-stdin",
        ],
        "a good password\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(id(&String::from_utf8(out.stdout).unwrap()), 1);

    // Without --password-stdin a password is generated and shown once on stderr.
    let out = cli.run(&["user", "create", "--email", "bo@acme.test", "--name", "Bo", "--company", "1"]);
    assert!(out.status.success());
    assert_eq!(id(&String::from_utf8(out.stdout).unwrap()), 2);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let generated = stderr.trim().rsplit(' ').next().unwrap();
    assert!(generated.len() >= 16, "{stderr}");

    let users = cli.ok(&["user", "list"]);
    assert!(users.contains("ada@acme.test") && users.contains("companies=1,2"), "{users}");

    let out = cli.run_with_stdin(
        &[
            "admin",
            "create",
            "--email",
            "owner@p.test",
            "--name",
            "Olivia",
            "--role",
            "platform_owner",
            "--password-stdin",
        ],
        "owner password",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(cli.ok(&["admin", "list"]).contains("platform_owner"));

    let token = cli.ok(&["token", "admin", "owner@p.test"]);
    assert_eq!(token.trim().split('.').count(), 3, "a JWT alone on stdout");
    let user_token = cli.ok(&["token", "user", "ada@acme.test"]);
    assert_eq!(user_token.trim().split('.').count(), 3);

    let out = cli.run_with_stdin(&["admin", "set-password", "owner@p.test", "--password-stdin"], "another password\n");
    assert!(out.status.success());
    let out = cli.run_with_stdin(&["user", "set-password", "ada@acme.test", "--password-stdin"], "another password\n");
    assert!(out.status.success());
    cli.ok(&["user", "disable", "bo@acme.test"]);
    assert!(cli.ok(&["user", "list"]).contains("disabled"));
    cli.ok(&["admin", "disable", "owner@p.test"]);
    cli.fails(cli.run(&["token", "admin", "owner@p.test"]), "disabled");

    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let actions: i64 =
        conn.query_row("SELECT count(*) FROM platform_audit_log WHERE actor_kind = 'cli'", [], |r| r.get(0)).unwrap();
    assert_eq!(actions, 9, "each account change is audited");
    let hash: String =
        conn.query_row("SELECT password_hash FROM users WHERE email = 'ada@acme.test'", [], |r| r.get(0)).unwrap();
    assert!(hash.starts_with("$argon2id$"));
}

#[test]
fn every_failure_is_one_clear_line_and_a_non_zero_exit() {
    let cli = Workdir::new();
    cli.ok(&["company", "create", "--name", "Acme"]);
    let create = |email: &str, role: &str| {
        cli.run_with_stdin(
            &["admin", "create", "--email", email, "--name", "X", "--role", role, "--password-stdin"],
            "long enough password",
        )
    };
    assert!(create("a@p.test", "platform_admin").status.success());
    cli.fails(create("a@p.test", "platform_admin"), "already exists");
    cli.fails(create("b@p.test", "root"), "role");
    cli.fails(
        cli.run_with_stdin(
            &["user", "create", "--email", "u@x.test", "--name", "U", "--company", "99", "--password-stdin"],
            "long enough password",
        ),
        "company 99 does not exist",
    );
    cli.fails(
        cli.run_with_stdin(
            &["user", "create", "--email", "u@x.test", "--name", "U", "--company", "1", "--password-stdin"],
            "",
        ),
        "empty",
    );
    cli.fails(
        cli.run_with_stdin(
            &["user", "create", "--email", "u@x.test", "--name", "U", "--company", "1", "--password-stdin"],
            "short",
        ),
        "at least 8",
    );
    cli.fails(
        cli.run_with_stdin(
            &["user", "create", "--email", "not-an-email", "--name", "U", "--company", "1", "--password-stdin"],
            "long enough password",
        ),
        "email",
    );
    cli.fails(cli.run(&["user", "disable", "ghost@x.test"]), "no user with email ghost@x.test");
    cli.fails(cli.run(&["token", "user", "ghost@x.test"]), "no user");
    cli.fails(cli.run(&["company", "create", "--name", "   "]), "name");

    // A database file that cannot be opened.
    let garbage = cli.dir.path().join("garbage.db");
    std::fs::write(&garbage, "this is not a database, just text that is long enough to look like a header").unwrap();
    let out = cli.cmd(&["company", "list"]).env("TICKETING_DB", &garbage).output().unwrap();
    cli.fails(out, "cannot open the database");
    let out =
        cli.cmd(&["company", "list"]).env("TICKETING_DB", Path::new("/proc/definitely/not/here.db")).output().unwrap();
    cli.fails(out, "cannot");

    // Passwords never appear in what the tool prints.
    let out = cli.run_with_stdin(
        &["user", "create", "--email", "p@x.test", "--name", "P", "--company", "1", "--password-stdin"],
        "hunter2-hunter2",
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("hunter2")
            && !String::from_utf8_lossy(&out.stderr).contains("hunter2")
    );
}

#[test]
fn a_bad_config_fails_start_up_naming_the_key() {
    let cli = Workdir::new();
    let config = cli.dir.path().join("bad.toml");
    std::fs::write(&config, "[server]\nbind = \"127.0.0.1:5000\"\ncolour = \"blue\"\n").unwrap();
    let out = cli.cmd(&["--config", config.to_str().unwrap(), "migrate"]).output().unwrap();
    cli.fails(out, "colour");
    let out = cli.cmd(&["migrate"]).env("TICKETING_AUTH_TOKEN_TTL_MINUTES", "forever").output().unwrap();
    cli.fails(out, "TICKETING_AUTH_TOKEN_TTL_MINUTES");
}

#[test]
fn backup_writes_a_consistent_copy_and_never_overwrites() {
    let cli = Workdir::new();
    cli.ok(&["company", "create", "--name", "Acme"]);
    let copy = cli.dir.path().join("copy.db");
    cli.ok(&["backup", copy.to_str().unwrap()]);
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let name: String = conn.query_row("SELECT name FROM companies", [], |r| r.get(0)).unwrap();
    assert_eq!(name, "Acme");
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    cli.fails(cli.run(&["backup", copy.to_str().unwrap()]), "already exists");
}

#[test]
fn demo_seeds_an_empty_database_once() {
    let cli = Workdir::new();
    let out = cli.run(&["demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("owner@example.com"));
    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let statuses: i64 = conn.query_row("SELECT count(DISTINCT status) FROM tickets", [], |r| r.get(0)).unwrap();
    assert_eq!(statuses, 7, "tickets in every status");
    let tickets: i64 = conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).unwrap();
    assert!(tickets >= 12);
    drop(conn);
    cli.ok(&["demo"]);
    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let again: i64 = conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).unwrap();
    assert_eq!(again, tickets, "a second run adds nothing");
}

#[test]
fn serve_logs_how_to_create_the_first_owner_and_stops_cleanly_on_sigterm() {
    let cli = Workdir::new();
    let (mut server, addr) = start_server(&cli.db(), &[]);
    let log = server.log();
    let hint = log.lines().any(|line| line.contains("admin create --email") && line.contains("--role platform_owner"));
    assert!(hint, "the first-owner command is logged");
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    sigterm(&server);
    let exit = server.wait().unwrap();
    assert!(exit.success(), "exit 0 on SIGTERM, got {exit:?}");
}
