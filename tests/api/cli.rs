//! The command line, run as the built binary against a temp database.

use std::{io::Write, path::Path};

use crate::support::process::{Workdir, sigterm, start_server};

fn id(stdout: &str) -> i64 {
    stdout.trim().parse().unwrap_or_else(|_| panic!("an id alone on stdout, got {stdout:?}"))
}

#[test]
fn version_prints_the_package_version() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let out = Workdir::new().ok(&["--version"]);
    assert_eq!(out.trim(), format!("ticketing {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn migrate_creates_the_schema() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let cli = Workdir::new();
    cli.ok(&["migrate"]);
    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master WHERE name IN ('tickets', 'ticket_messages', 'ticket_coverage', 'platform_audit_log')", [], |r| r.get(0)).unwrap();
    assert_eq!(tables, 4);
    cli.ok(&["migrate"]);
}

/// The link printed on stderr after "invitation link ...: ".
fn link_in(stderr: &str) -> String {
    let line = stderr.lines().find(|l| l.contains("/invite/")).unwrap_or_else(|| panic!("a link on stderr: {stderr}"));
    line.rsplit(' ').next().unwrap().to_string()
}

/// Whether the database holds this link's token as an unused invitation.
fn link_is_stored(db: &Path, url: &str) -> bool {
    let token = url.rsplit('/').next().unwrap();
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT count(*) FROM invitations WHERE token_hash = ?1 AND used_at IS NULL",
        [ticketing::auth::invitation::hash(token)],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        == 1
}

#[test]
fn companies_users_and_admins_are_created_listed_disabled_and_re_passworded() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let cli = Workdir::new();
    let acme = id(&cli.ok(&["company", "create", "--name", "Acme"]));
    let globex = id(&cli.ok(&["company", "create", "--name", "Globex"]));
    assert_eq!((acme, globex), (1, 2));
    let companies = cli.ok(&["company", "list"]);
    assert!(companies.starts_with("ID\tNAME\tSTATE\tMANAGERS\tOPEN TICKETS\n"), "a header: {companies}");
    assert!(companies.contains("1\tAcme\tactive\t0\t0"), "{companies}");

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
        "a good long password\n",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(id(&String::from_utf8(out.stdout).unwrap()), 1);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("/invite/"), "no link when the password was given");

    // Without --password-stdin: the id on stdout, a one-time link on stderr.
    let out = cli.run(&["user", "create", "--email", "bo@acme.test", "--name", "Bo", "--company", "1"]);
    assert!(out.status.success());
    assert_eq!(id(&String::from_utf8(out.stdout).unwrap()), 2);
    let link = link_in(&String::from_utf8(out.stderr).unwrap());
    assert!(link.starts_with("http://") && link_is_stored(&cli.db(), &link), "{link}");

    let users = cli.ok(&["user", "list"]);
    assert!(users.starts_with("ID\tEMAIL\tNAME\tSTATE\tCOMPANIES\n"), "a header: {users}");
    assert!(users.contains("ada@acme.test\tAda\tactive\tAcme, Globex"), "company names: {users}");

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
        "owner password of some length",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admins = cli.ok(&["admin", "list"]);
    assert!(admins.starts_with("ID\tEMAIL\tNAME\tROLE\tSTATE\n") && admins.contains("platform_owner"), "{admins}");

    let token = cli.ok(&["token", "admin", "owner@p.test"]);
    assert_eq!(token.trim().split('.').count(), 3, "a JWT alone on stdout");
    let user_token = cli.ok(&["token", "user", "ada@acme.test"]);
    assert_eq!(user_token.trim().split('.').count(), 3);

    // A piped password is taken without --password-stdin.
    let out = cli.run_with_stdin(&["admin", "set-password", "owner@p.test"], "another long password\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out =
        cli.run_with_stdin(&["user", "set-password", "ada@acme.test", "--password-stdin"], "another long password\n");
    assert!(out.status.success());
    cli.fails(cli.run_with_stdin(&["user", "set-password", "ada@acme.test"], "password1234"), "common");

    cli.ok(&["user", "disable", "bo@acme.test"]);
    assert!(cli.ok(&["user", "list"]).contains("bo@acme.test\tBo\tdisabled"));
    cli.ok(&["user", "enable", "bo@acme.test"]);
    assert!(cli.ok(&["user", "list"]).contains("bo@acme.test\tBo\tactive"));
    cli.ok(&["admin", "create", "--email", "sam@p.test", "--name", "Sam", "--role", "platform_support"]);
    cli.ok(&["admin", "disable", "sam@p.test"]);
    cli.fails(cli.run(&["token", "admin", "sam@p.test"]), "disabled");
    cli.ok(&["admin", "enable", "sam@p.test"]);
    cli.ok(&["token", "admin", "sam@p.test"]);

    // A new link replaces the old one.
    let fresh = cli.ok(&["user", "invite", "bo@acme.test"]).trim().to_string();
    assert!(link_is_stored(&cli.db(), &fresh) && !link_is_stored(&cli.db(), &link), "{fresh}");
    let admin_link = cli.ok(&["admin", "invite", "sam@p.test"]).trim().to_string();
    assert!(link_is_stored(&cli.db(), &admin_link));
    cli.fails(cli.run(&["admin", "invite", "ghost@p.test"]), "no admin with email ghost@p.test");

    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let cli_rows = count("SELECT count(*) FROM platform_audit_log WHERE actor_kind = 'cli'");
    // 2 companies, 2 users (+1 invitation), 2 admins (+1 invitation), 2
    // passwords set, 4 enable/disable, 2 new links.
    assert_eq!(cli_rows, 16, "each account change is audited with the command line as actor");
    let actions = count(
        "SELECT count(DISTINCT action) FROM platform_audit_log WHERE action IN
         ('company.create','user.create','user.update','admin.create','admin.update','account.invite','account.password_set')",
    );
    assert_eq!(actions, 7);
    let leaked = count(&format!(
        "SELECT count(*) FROM platform_audit_log WHERE detail LIKE '%password of%' OR detail LIKE '%argon2%' OR detail LIKE '%{}%'",
        fresh.rsplit('/').next().unwrap()
    ));
    assert_eq!(leaked, 0, "no password, hash or token in any row");
    let hash: String =
        conn.query_row("SELECT password_hash FROM users WHERE email = 'ada@acme.test'", [], |r| r.get(0)).unwrap();
    assert!(hash.starts_with("$argon2id$"));
}

#[test]
fn companies_are_renamed_suspended_and_reactivated_and_names_stay_unique() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let cli = Workdir::new();
    cli.ok(&["company", "create", "--name", "Acme"]);
    cli.fails(cli.run(&["company", "create", "--name", "  ACME "]), "already exists");
    cli.ok(&["company", "create", "--name", "Globex"]);
    cli.fails(cli.run(&["company", "rename", "2", "--name", "acme"]), "already exists");
    cli.ok(&["company", "rename", "1", "--name", "Acme Bakery"]);
    cli.ok(&["company", "suspend", "1"]);
    assert!(cli.ok(&["company", "list"]).contains("1\tAcme Bakery\tsuspended"));
    cli.ok(&["company", "reactivate", "1"]);
    assert!(cli.ok(&["company", "list"]).contains("1\tAcme Bakery\tactive"));
    cli.fails(cli.run(&["company", "suspend", "99"]), "no company with id 99");
    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let updates: i64 = conn
        .query_row(
            "SELECT count(*) FROM platform_audit_log WHERE action = 'company.update' AND actor_kind = 'cli'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(updates, 3);
}

#[test]
fn nothing_is_printed_unless_the_account_was_created() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let cli = Workdir::new();
    cli.ok(&["company", "create", "--name", "Acme"]);
    cli.ok(&["user", "create", "--email", "u@x.test", "--name", "U", "--company", "1"]);
    for args in [
        &["user", "create", "--email", "u@x.test", "--name", "U", "--company", "1"][..],
        &["user", "create", "--email", "v@x.test", "--name", "V", "--company", "7"][..],
        &["admin", "create", "--email", "a@p.test", "--name", "A", "--role", "root"][..],
    ] {
        let out = cli.run(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("/invite/") && !stderr.contains("password"), "{args:?}: {stderr}");
    }
    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let invitations: i64 = conn.query_row("SELECT count(*) FROM invitations", [], |r| r.get(0)).unwrap();
    assert_eq!(invitations, 1, "a refused account leaves no link behind");
}

#[test]
fn the_help_says_what_each_option_is() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let cli = Workdir::new();
    let help = cli.ok(&["user", "create", "--help"]);
    assert!(help.contains("The email the person signs in with") && help.contains("The person's name"), "{help}");
    let help = cli.ok(&["healthcheck", "--help"]);
    assert!(help.contains("/healthz") && help.contains("--bind"), "{help}");
}

#[test]
fn config_show_names_the_secret_source_never_the_secret() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let cli = Workdir::new();
    let shown = cli.ok(&["config", "show"]);
    assert!(shown.starts_with("# signing secret: generated, kept in "), "{shown}");
    let secret = "a-configured-secret-that-is-long-enough-1234";
    let out = cli.cmd(&["config", "show"]).env("TICKETING_AUTH_SECRET", secret).output().unwrap();
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.starts_with("# signing secret: auth.secret ") && !shown.contains(secret), "{shown}");
}

#[test]
fn serve_on_a_busy_port_fails_before_touching_the_database() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let cli = Workdir::new();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    cli.fails(cli.run(&["serve", "--bind", &addr]), "cannot listen");
    assert!(!cli.db().exists(), "no database was created");
}

#[test]
fn healthcheck_asks_the_address_given_with_bind() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
    let cli = Workdir::new();
    let (server, addr) = start_server(&cli.db(), &[]);
    cli.ok(&["healthcheck", "--bind", &addr]);
    cli.ok(&["healthcheck", "--url", &format!("http://{addr}/healthz")]);
    sigterm(&server);
    let mut server = server;
    server.wait().unwrap();
    assert!(!cli.run(&["healthcheck", "--bind", &addr]).status.success(), "nothing listens there any more");
}

#[test]
fn a_bad_config_fails_start_up_naming_the_key() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
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
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
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
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
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
    cli.fails(cli.run(&["demo"]), "only seeded into an empty database");
    let conn = rusqlite::Connection::open(cli.db()).unwrap();
    let again: i64 = conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0)).unwrap();
    assert_eq!(again, tickets, "a second run adds nothing");
}

#[test]
fn serve_logs_how_to_create_the_first_owner_and_stops_cleanly_on_sigterm() {
    if crate::support::sqlite_only("the command line on a SQLite file; on PostgreSQL see cli::postgres") {
        return;
    }
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

#[test]
fn sigterm_the_moment_serve_says_it_listens_still_stops_it_cleanly() {
    if crate::support::sqlite_only("the command line on a SQLite file") {
        return;
    }
    // Before the handlers were installed ahead of that line, a SIGTERM here
    // killed the process (the signal's default action) every time.
    for _ in 0..3 {
        let cli = Workdir::new();
        let (mut server, _) = start_server(&cli.db(), &[]);
        sigterm(&server);
        let exit = server.wait().unwrap();
        assert!(exit.success(), "exit 0 on an early SIGTERM, got {exit:?}");
        assert!(server.log().contains("stopped"), "{}", server.log());
    }
}
