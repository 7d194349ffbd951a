//! ticketing-bench: seeds a large dataset straight into SQLite, starts the
//! real server on loopback, drives it over keep-alive HTTP with N concurrent
//! clients, and measures in the same run the raw SQLite ceiling of the same
//! work. Every figure is also given as a ratio measured in this one run,
//! since the machines are shared and noisy. See BENCHMARKS.md.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::{Request, body::Bytes};
use hyper_util::rt::TokioIo;
use rusqlite::{Connection, params};
use serde_json::json;
use ticketing::{
    access::{Reader, Scope, Viewer},
    auth::{Hasher, TokenKeys},
    config::{DatabaseConfig, PasswordConfig},
    domain::{
        AccountKind, AdminId, AuditMeta, Body, CompanyId, Cursor, NewTicket, Opener, Order, PageRequest, Status,
        Subject, TicketFilter, TicketId, UserId,
    },
    service::tickets::{COUNT_TICKETS, CREATE_TICKET, KnownVersions, LIST_TICKETS, TICKET_DETAIL},
    store::sqlite::{self as sqlite, run_read, run_rule},
};

const SECRET: &str = "benchmark-secret-that-is-long-enough-0123456789";
const SUBJECTS: [&str; 6] = ["website", "billing", "account", "domain", "email", "other"];

#[derive(Parser, Debug, Clone)]
#[command(about = "Benchmark ticketing against the raw SQLite ceiling of the same work")]
struct Args {
    #[arg(long, default_value_t = 1_000)]
    companies: i64,
    #[arg(long, default_value_t = 100_000)]
    tickets: i64,
    #[arg(long, default_value_t = 1_000_000)]
    messages: i64,
    #[arg(long, default_value_t = 50)]
    agents: i64,
    /// Share of all tickets held by the one "whale" company.
    #[arg(long, default_value_t = 0.2)]
    whale_share: f64,
    /// Concurrent clients, e.g. 1,16,32,64.
    #[arg(long, value_delimiter = ',', default_value = "1,16,32,64")]
    clients: Vec<usize>,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// The server binary (default: `ticketing` beside this one).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Where to write the database and the results.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// Run only the operations whose name contains one of these (e.g. `create,list`).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Run on PostgreSQL: a database on the server of this URL (one the role
    /// may create databases from) is made, filled with the same seed
    /// (`migrate-to` from the seeded SQLite file), served, and measured
    /// against the raw PostgreSQL ceiling of the same work.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

/// What the seed made, for the requests to aim at.
struct Seeded {
    whale: i64,
    /// One open ticket per company that has tickets, for messages.
    open_ticket: Vec<Option<i64>>,
    detail_ticket: i64,
    deep_cursor: String,
    agent: i64,
    owner: i64,
    manager_of: Vec<i64>,
}

fn seed(path: &Path, a: &Args) -> anyhow::Result<Seeded> {
    let _ = std::fs::remove_file(path);
    for suffix in ["-wal", "-shm", ".secret", ".lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut conn = Connection::open(path)?;
    sqlite::migrate(&mut conn)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON;")?;
    // The real cost, so the login figure means something.
    let hash = Hasher::new(&PasswordConfig::default())?.hash("bench-password")?;
    let tx = conn.transaction()?;
    let mut manager_of = vec![0];
    {
        let mut company = tx.prepare("INSERT INTO companies(id, name, created_at) VALUES (?1, ?2, 0)")?;
        let mut user = tx.prepare(
            "INSERT INTO users(id, email, name, password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 0, 0)",
        )?;
        let mut member =
            tx.prepare("INSERT INTO company_memberships(company_id, user_id, created_at) VALUES (?1, ?1, 0)")?;
        for c in 1..=a.companies {
            company.execute(params![c, format!("Company {c}")])?;
            user.execute(params![c, format!("m{c}@bench.test"), format!("Manager {c}"), hash])?;
            member.execute([c])?;
            manager_of.push(c);
        }
        let mut admin = tx.prepare(
            "INSERT INTO platform_admins(id, email, name, role, password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, 0)",
        )?;
        admin.execute(params![1, "owner@bench.test", "Owner", "platform_owner", hash])?;
        let mut cover =
            tx.prepare("INSERT INTO ticket_coverage(platform_admin_id, subject, created_at) VALUES (?1, ?2, 0)")?;
        for g in 0..a.agents {
            let id = g + 2;
            admin.execute(params![
                id,
                format!("agent{g}@bench.test"),
                format!("Agent {g}"),
                "platform_support",
                hash
            ])?;
            cover.execute(params![id, SUBJECTS[(g as usize) % SUBJECTS.len()]])?;
        }
        let mut ticket = tx.prepare(
            "INSERT INTO tickets(id, company_id, created_by_user_id, subject, sub_subject, status, assigned_admin_id,
                                 last_activity_at, created_at, updated_at, closed_at)
             VALUES (?1, ?2, ?2, ?3, NULL, ?4, ?5, ?6, ?6, ?6, ?7)",
        )?;
        let mut message = tx.prepare(
            "INSERT INTO ticket_messages(ticket_id, sender_type, sender_user_id, sender_admin_id, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut audit = tx.prepare(
            "INSERT INTO platform_audit_log(action, actor_kind, actor_id, company_id, ticket_id, created_at)
             VALUES ('ticket.create', 'user', ?1, ?1, ?2, ?3)",
        )?;
        let whale_tickets = ((a.tickets as f64) * a.whale_share) as i64;
        let base: i64 = 1_700_000_000_000_000;
        let extra_messages = (a.messages - a.tickets).max(0);
        let mut messages_left = a.messages;
        for t in 1..=a.tickets {
            let company = if t <= whale_tickets || a.companies == 1 { 1 } else { 2 + (t % (a.companies - 1)) };
            let status = Status::ALL[(t as usize) % 7];
            let assignee = if t % 3 == 0 { Some(2 + t % a.agents.max(1)) } else { None };
            let at = base + t * 1_000_000;
            let closed = (status == Status::Closed).then_some(at);
            ticket.execute(params![t, company, SUBJECTS[(t as usize) % 6], status.as_str(), assignee, at, closed])?;
            audit.execute(params![company, t, at])?;
            // Ticket 1 is the detail target with 50 messages; the rest share the remainder.
            let count = if t == 1 {
                50
            } else {
                let share = extra_messages / a.tickets.max(1) + 1;
                share + i64::from(t % a.tickets.max(1) < extra_messages % a.tickets.max(1))
            }
            .min(messages_left.max(1));
            for m in 0..count {
                let (kind, user, admin) =
                    if m % 2 == 0 { ("tenant", Some(company), None) } else { ("agent", None, Some(1)) };
                message.execute(params![
                    t,
                    kind,
                    user,
                    admin,
                    format!("Message {m} about ticket {t}: the contact form fails on submit"),
                    at + m
                ])?;
            }
            messages_left -= count;
        }
    }
    // Every company keeps one open ticket to post messages to.
    tx.execute(
        "UPDATE tickets SET status = 'new', closed_at = NULL
         WHERE id IN (SELECT max(id) FROM tickets GROUP BY company_id)",
        [],
    )?;
    // What the server keeps on each ticket for its lists (as the messages
    // written through it would have left it), and each creator's read mark
    // on their ticket's first message.
    tx.execute_batch(
        "UPDATE tickets SET staff_updated_at = updated_at,
           (public_message_id, public_preview, public_preview_at, public_preview_sender) = (
             SELECT m.id, substr(m.body, 1, 200), m.created_at, m.sender_type FROM ticket_messages m
             WHERE m.ticket_id = tickets.id ORDER BY m.id DESC LIMIT 1);
         UPDATE tickets SET staff_message_id = public_message_id, staff_preview = public_preview,
           staff_preview_at = public_preview_at, staff_preview_sender = public_preview_sender,
           waiting_on = CASE WHEN status IN ('solved', 'closed') THEN NULL
                             WHEN public_preview_sender = 'agent' THEN 'tenant' ELSE 'agent' END;
         INSERT INTO read_marks(reader_kind, reader_id, ticket_id, message_id)
           SELECT 'user', t.created_by_user_id, t.id, min(m.id) FROM tickets t JOIN ticket_messages m ON m.ticket_id = t.id
           GROUP BY t.id;
         -- The team has read much of it: the owner every other ticket, each
         -- agent every third one they cover, up to its newest message.
         INSERT INTO read_marks(reader_kind, reader_id, ticket_id, message_id)
           SELECT 'admin', 1, id, staff_message_id FROM tickets WHERE id % 2 = 0;
         INSERT INTO read_marks(reader_kind, reader_id, ticket_id, message_id)
           SELECT 'admin', c.platform_admin_id, t.id, t.staff_message_id FROM ticket_coverage c
           JOIN tickets t ON t.subject = c.subject WHERE t.id % 3 = 0;
         UPDATE read_marks SET (live, company_id, subject, assigned_admin_id) = (
             SELECT t.status NOT IN ('solved', 'closed') AND read_marks.message_id >= coalesce(
                      CASE read_marks.reader_kind WHEN 'user' THEN t.public_message_id ELSE t.staff_message_id END, 0),
                    t.company_id, t.subject, t.assigned_admin_id
           FROM tickets t WHERE t.id = read_marks.ticket_id);",
    )?;
    tx.commit()?;
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA wal_checkpoint(TRUNCATE);")?;
    let open_ticket = (0..=a.companies)
        .map(|c| {
            conn.query_row("SELECT max(id) FROM tickets WHERE company_id = ?1", [c.max(1)], |r| r.get(0))
                .unwrap_or(None)
        })
        .collect();
    let (at, id): (i64, i64) = conn.query_row(
        "SELECT last_activity_at, id FROM tickets WHERE company_id = 1 ORDER BY last_activity_at DESC, id DESC LIMIT 1 OFFSET 1000",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ).unwrap_or((i64::MAX, i64::MAX));
    Ok(Seeded {
        whale: 1,
        open_ticket,
        detail_ticket: 1,
        deep_cursor: Cursor { at, id, order: Order::Newest }.encode(),
        agent: 2,
        owner: 1,
        manager_of,
    })
}

/// CPU seconds used by a process (user + system), from /proc.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Busy CPU seconds of the whole machine.
fn machine_busy_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or("");
    let v: Vec<f64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: f64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
    (total - idle) / 100.0
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One request to send: path, token, JSON body, one extra header.
type Call = (String, String, Option<String>, Option<(&'static str, String)>);

/// One kind of request, built fresh for each call.
#[derive(Clone)]
struct Op {
    name: &'static str,
    method: &'static str,
    /// Called with (client index, iteration) → (path, token, body, extra header).
    make: Arc<dyn Fn(usize, u64) -> Call + Send + Sync>,
}

#[derive(Default, Clone, Debug)]
struct Outcome {
    requests: u64,
    errors: u64,
    latencies_us: Vec<u64>,
    seconds: f64,
    server_cpu: f64,
    bench_cpu: f64,
    machine_cpu: f64,
}

impl Outcome {
    /// Adds another slice of the same measurement.
    fn absorb(&mut self, other: Outcome) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.latencies_us.extend(other.latencies_us);
        self.latencies_us.sort_unstable();
        self.seconds += other.seconds;
        self.server_cpu += other.server_cpu;
        self.bench_cpu += other.bench_cpu;
        self.machine_cpu += other.machine_cpu;
    }

    fn rate(&self) -> f64 {
        if self.seconds > 0.0 { self.requests as f64 / self.seconds } else { 0.0 }
    }

    fn server_cpu_us(&self) -> f64 {
        if self.requests > 0 { self.server_cpu * 1e6 / self.requests as f64 } else { 0.0 }
    }

    /// The share of the machine's busy CPU taken by neither the server nor
    /// the load generator.
    fn others_share(&self) -> f64 {
        let others = (self.machine_cpu - self.server_cpu - self.bench_cpu).max(0.0);
        if self.machine_cpu > 0.0 { others / self.machine_cpu } else { 0.0 }
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

async fn drive(addr: &str, op: &Op, clients: usize, seconds: f64, server_pid: u32) -> anyhow::Result<Outcome> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let (s0, b0, m0) = (cpu_secs(server_pid), cpu_secs(std::process::id()), machine_busy_secs());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (addr, op) = (addr.to_string(), op.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let stream = tokio::net::TcpStream::connect(&addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let mut i = 0u64;
            while Instant::now() < deadline {
                let (path, token, body, header) = (op.make)(c, i);
                let mut req = Request::builder()
                    .method(op.method)
                    .uri(path)
                    .header("host", "bench")
                    .header("authorization", format!("Bearer {token}"));
                if body.is_some() {
                    req = req.header("content-type", "application/json");
                }
                if let Some((k, v)) = header {
                    req = req.header(k, v);
                }
                let req = req.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
                let t = Instant::now();
                let resp = sender.send_request(req).await?;
                let status = resp.status().as_u16();
                let _ = resp.into_body().collect().await?;
                out.latencies_us.push(t.elapsed().as_micros() as u64);
                out.requests += 1;
                if !(200..300).contains(&status) && status != 304 {
                    out.errors += 1;
                }
                i += 1;
            }
            anyhow::Ok(out)
        }));
    }
    let mut total = Outcome::default();
    for t in tasks {
        let o = t.await??;
        total.requests += o.requests;
        total.errors += o.errors;
        total.latencies_us.extend(o.latencies_us);
    }
    total.seconds = started.elapsed().as_secs_f64();
    total.server_cpu = cpu_secs(server_pid) - s0;
    total.bench_cpu = cpu_secs(std::process::id()) - b0;
    total.machine_cpu = machine_busy_secs() - m0;
    total.latencies_us.sort_unstable();
    Ok(total)
}

/// The raw ceiling: the same work straight on a connection, no HTTP.
fn ceiling_rate(seconds: f64, mut work: impl FnMut(u64) -> anyhow::Result<u64>) -> anyhow::Result<f64> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let (mut done, mut i) = (0u64, 0u64);
    while Instant::now() < deadline {
        done += work(i)?;
        i += 1;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// The raw ceiling of ticket creation: the server's own creation rule
/// (`service::tickets::CREATE_TICKET`) straight on a connection at the
/// server's durability, each ticket in its own savepoint
/// as the writer runs it, `batch` tickets per transaction. While the server
/// runs, its checkpointer copies the WAL into the database, as it does for its
/// own writer, so this connection's automatic checkpoint is turned off too.
struct CreateCeiling {
    conn: Connection,
    companies: usize,
    input: NewTicket,
    next: u64,
}

impl CreateCeiling {
    fn open(path: &Path, companies: usize, server_checkpoints: bool) -> anyhow::Result<CreateCeiling> {
        let cfg = DatabaseConfig { path: path.to_owned(), ..DatabaseConfig::default() };
        let input = NewTicket {
            subject: Subject::parse("website").map_err(|e| anyhow::anyhow!(e.message))?,
            sub_subject: Some(Subject::parse("contact").map_err(|e| anyhow::anyhow!(e.message))?),
            description: Body::parse("description", "Bench ticket 0/0").map_err(|e| anyhow::anyhow!(e.message))?,
        };
        let conn = sqlite::open_connection(path, &cfg)?;
        if server_checkpoints {
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        Ok(CreateCeiling { conn, companies: companies.max(1), input, next: 0 })
    }

    /// Copies the WAL into the database and empties it, so that what one
    /// slice wrote is not checkpointed on the next slice's time.
    fn settle(&self) -> anyhow::Result<()> {
        settle(&self.conn)
    }

    /// Tickets created per second over `seconds`.
    fn rate(&mut self, seconds: f64, batch: usize) -> anyhow::Result<f64> {
        let meta = AuditMeta::default();
        ceiling_rate(seconds, |_| {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            for _ in 0..batch {
                self.next += 1;
                let c = (self.next as usize % self.companies) as i64 + 1;
                let opener = Opener {
                    company_id: CompanyId(c),
                    company_name: format!("Company {c}"),
                    user_id: UserId(c),
                    user_name: format!("Manager {c}"),
                };
                run_rule(&mut self.conn, &(opener, self.input.clone(), meta.clone(), None), CREATE_TICKET)?;
            }
            self.conn.execute_batch("COMMIT")?;
            Ok(batch as u64)
        })
    }
}

/// A fresh database on the PostgreSQL server of `server` (dropped first if
/// an earlier run left it); its URL.
fn pg_database(server: &str, runtime: &tokio::runtime::Runtime) -> anyhow::Result<String> {
    let name = "tkt_bench";
    runtime.block_on(pg_exec(server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))?;
    runtime.block_on(pg_exec(server, &format!("CREATE DATABASE {name}")))?;
    Ok(ticketing::store::postgres::database_url(server, name))
}

async fn pg_exec(url: &str, sql: &str) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    client.batch_execute(sql).await?;
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// One read the server answers, run straight on one connection: the raw
/// ceiling an HTTP row is compared with.
type ReadWork<'a> = Box<dyn FnMut() -> anyhow::Result<()> + 'a>;

/// The reads the benchmark gives a ceiling, by ceiling name, and what each
/// runs: the server's own rule, as the same reader, with the same arguments.
fn read_cases(s: &Seeded) -> Vec<(&'static str, ReadCase)> {
    let page = PageRequest::default();
    let reader = |scope: Scope| match scope {
        Scope::Company(c) => Reader::User(UserId(c.get())),
        Scope::All => Reader::Admin(AdminId(s.owner)),
        Scope::Support(a) => Reader::Admin(a),
    };
    let viewer = |scope: Scope| Viewer { scope, reader: reader(scope) };
    let list = |scope: Scope, filter: TicketFilter, page: PageRequest| ReadCase::List(viewer(scope), filter, page);
    let whale = Scope::Company(CompanyId(s.whale));
    vec![
        ("tenant list", list(Scope::Company(CompanyId(2)), TicketFilter::default(), page.clone())),
        ("whale list", list(whale, TicketFilter::default(), page.clone())),
        (
            "whale list, status filter",
            list(whale, TicketFilter { status: Some(Status::InProgress), ..Default::default() }, page.clone()),
        ),
        ("admin list", list(Scope::All, TicketFilter::default(), page.clone())),
        ("support list", list(Scope::Support(AdminId(s.agent)), TicketFilter::default(), page.clone())),
        (
            "admin list, oldest first",
            list(Scope::All, TicketFilter::default(), PageRequest { order: Order::Oldest, ..page }),
        ),
        ("ticket detail (50 messages)", ReadCase::Detail(viewer(Scope::All), TicketId(s.detail_ticket))),
        ("counts, whale manager", ReadCase::Counts(viewer(whale))),
        ("counts, owner", ReadCase::Counts(viewer(Scope::All))),
        ("counts, support", ReadCase::Counts(viewer(Scope::Support(AdminId(s.agent))))),
    ]
}

/// One of the reads of [`read_cases`].
enum ReadCase {
    List(Viewer, TicketFilter, PageRequest),
    Detail(Viewer, TicketId),
    Counts(Viewer),
}

/// The reads of [`read_cases`] on one SQLite connection, each in its own
/// read transaction as the server's readers run them.
fn sqlite_reads<'a>(conn: &'a std::cell::RefCell<Connection>, s: &Seeded) -> BTreeMap<&'static str, ReadWork<'a>> {
    read_cases(s)
        .into_iter()
        .map(|(name, case)| {
            let work: ReadWork<'a> = match case {
                ReadCase::List(v, f, p) => {
                    let args = (v, f, p);
                    Box::new(move || Ok(run_read(&mut conn.borrow_mut(), &args, LIST_TICKETS).map(drop)?))
                }
                ReadCase::Detail(v, id) => {
                    let args = (v, id, KnownVersions::default());
                    Box::new(move || Ok(run_read(&mut conn.borrow_mut(), &args, TICKET_DETAIL).map(drop)?))
                }
                ReadCase::Counts(v) => {
                    let args = (v, TicketFilter::default());
                    Box::new(move || Ok(run_read(&mut conn.borrow_mut(), &args, COUNT_TICKETS).map(drop)?))
                }
            };
            (name, work)
        })
        .collect()
}

/// The same reads on one PostgreSQL connection, each in its own snapshot.
fn pg_reads<'a>(
    raw: &'a ticketing::store::postgres::Raw,
    runtime: &'a tokio::runtime::Runtime,
    s: &Seeded,
) -> BTreeMap<&'static str, ReadWork<'a>> {
    read_cases(s)
        .into_iter()
        .map(|(name, case)| {
            let work: ReadWork<'a> = match case {
                ReadCase::List(v, f, p) => Box::new(move || {
                    Ok(runtime.block_on(raw.read((v, f.clone(), p.clone()), LIST_TICKETS)).map(drop)?)
                }),
                ReadCase::Detail(v, id) => Box::new(move || {
                    Ok(runtime.block_on(raw.read((v, id, KnownVersions::default()), TICKET_DETAIL)).map(drop)?)
                }),
                ReadCase::Counts(v) => Box::new(move || {
                    Ok(runtime.block_on(raw.read((v, TicketFilter::default()), COUNT_TICKETS)).map(drop)?)
                }),
            };
            (name, work)
        })
        .collect()
}

/// The raw ceiling an HTTP operation is compared with: the name of its
/// entry in [`read_cases`] (creation has its own, group-committed).
fn ceiling_name(op: &str) -> Option<&'static str> {
    Some(match op {
        FIRST_PAGE => "tenant list",
        "whale list, first page" => "whale list",
        "whale list, status filter" => "whale list, status filter",
        "admin list" => "admin list",
        "admin list, oldest first" => "admin list, oldest first",
        "support list" => "support list",
        "counts, whale manager" => "counts, whale manager",
        "counts, owner" => "counts, owner",
        "counts, support" => "counts, support",
        "ticket detail (50 messages)" => "ticket detail (50 messages)",
        _ => return None,
    })
}

fn settle(conn: &Connection) -> anyhow::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// The raw ceiling of creation, one transaction each (SQLite).
fn ceilings(path: &Path, s: &Seeded, seconds: f64) -> anyhow::Result<BTreeMap<&'static str, f64>> {
    let mut out = BTreeMap::new();
    out.insert(
        "create, one transaction each",
        CreateCeiling::open(path, s.manager_of.len() - 1, false)?.rate(seconds, 1)?,
    );
    Ok(out)
}

/// Ticket creation with mail on and off: two servers on two copies of the
/// empty database, taking turns; the one with mail on sends to the tests'
/// SMTP sink on loopback (Python, on the same machine), its emails waiting
/// `coalesce_secs` first. `None`
/// (and a note) when the sink cannot start (no Python with aiosmtpd).
#[allow(clippy::too_many_arguments, reason = "one measurement's whole setting")]
fn mail_pair(
    bin: &Path,
    empty: &Path,
    out: &Path,
    port: u16,
    op: &Op,
    clients: usize,
    seconds: f64,
    coalesce_secs: &str,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<Option<(Outcome, Outcome)>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
    let spawned = Command::new("python3").arg(&script).arg(out.join("mail-sink")).stdout(Stdio::piped()).spawn();
    let Ok(mut sink) = spawned else {
        eprintln!("no python3: creation with mail on is not measured");
        return Ok(None);
    };
    let mut line = String::new();
    if let Some(stdout) = sink.stdout.take() {
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    }
    let Some(sink_port) = line.trim().strip_prefix("listening on ").map(str::to_string) else {
        eprintln!("the SMTP sink did not start (aiosmtpd missing?): creation with mail on is not measured");
        let _ = sink.kill();
        return Ok(None);
    };
    let copies = [out.join("mail-off.db"), out.join("mail-on.db")];
    let source = rusqlite::Connection::open(empty)?;
    for copy in &copies {
        let _ = std::fs::remove_file(copy);
        source.execute("VACUUM INTO ?1", [copy.to_string_lossy()])?;
    }
    drop(source);
    let mail_env = [
        ("TICKETING_MAIL_ENABLED", "true".to_string()),
        ("TICKETING_MAIL_URL", format!("smtp://127.0.0.1:{sink_port}")),
        ("TICKETING_MAIL_FROM", "Support <support@bench.test>".to_string()),
        ("TICKETING_MAIL_PUBLIC_URL", "https://support.bench.test".to_string()),
        ("TICKETING_MAIL_COALESCE_SECS", coalesce_secs.to_string()),
    ];
    let off = Server::start(bin, &copies[0], port, runtime)?;
    let on = Server::start_with(bin, &copies[1], port + 1, runtime, &mail_env)?;
    let (mut with_mail, mut without) = (Outcome::default(), Outcome::default());
    for _ in 0..ROUNDS {
        without.absorb(runtime.block_on(drive(&off.addr, op, clients, seconds / ROUNDS as f64, off.pid))?);
        with_mail.absorb(runtime.block_on(drive(&on.addr, op, clients, seconds / ROUNDS as f64, on.pid))?);
    }
    off.stop();
    on.stop();
    let _ = sink.kill();
    let _ = sink.wait();
    Ok(Some((with_mail, without)))
}

/// A running `ticketing serve` on loopback.
struct Server {
    child: Child,
    addr: String,
    pid: u32,
    startup_secs: f64,
}

impl Server {
    fn start(bin: &Path, db: &Path, port: u16, runtime: &tokio::runtime::Runtime) -> anyhow::Result<Server> {
        Self::start_with(bin, db, port, runtime, &[])
    }

    /// A server with more environment (`TICKETING_*` settings).
    fn start_with(
        bin: &Path,
        db: &Path,
        port: u16,
        runtime: &tokio::runtime::Runtime,
        env: &[(&str, String)],
    ) -> anyhow::Result<Server> {
        let addr = format!("127.0.0.1:{port}");
        let started = Instant::now();
        let child = Command::new(bin)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .args(["serve", "--bind", &addr])
            .env("TICKETING_DB", db)
            .env("TICKETING_AUTH_SECRET", SECRET)
            .env("TICKETING_AUTH_RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "1000000")
            .env("TICKETING_AUTH_RATE_LIMIT_PER_EMAIL_PER_MINUTE", "1000000")
            // The benchmark measures the server, not the per-account write limit.
            .env("TICKETING_LIMITS_WRITES_PER_MINUTE", "0")
            .env("TICKETING_LOG", "error")
            .env_remove("TICKETING_CONFIG")
            .env_remove("TICKETING_TEST_DATABASE_URL")
            .stdout(Stdio::null())
            .spawn()
            .context("cannot start the server")?;
        let pid = child.id();
        let mut server = Server { child, addr, pid, startup_secs: 0.0 };
        server.startup_secs = runtime.block_on(async {
            for _ in 0..2500 {
                if tokio::net::TcpStream::connect(&server.addr).await.is_ok() {
                    return Ok(started.elapsed().as_secs_f64());
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            anyhow::bail!("the server did not start")
        })?;
        Ok(server)
    }

    fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status();
        let _ = self.child.wait();
    }
}

/// One line of the report.
struct Row {
    name: &'static str,
    clients: usize,
    outcome: Outcome,
    /// The raw ceiling (its name and rate) measured in slices between this
    /// row's own slices.
    paired_ceiling: Option<(&'static str, f64)>,
}

const CREATE: &str = "tenant creates a ticket";
const MAIL_AS_SHIPPED: &str = "creates a ticket, mail as shipped (60 s coalescing)";
const MAIL_AT_ONCE: &str = "creates a ticket, every email sent at once";
const FIRST_PAGE: &str = "tenant list, first page";
/// Slices per interleaved measurement: HTTP and its ceiling (or two
/// servers) take turns, so a drift in the disk's fsync time hits both.
const ROUNDS: usize = 4;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)?;
    let db_path = args.out.join("bench.db");
    let bin = args.bin.clone().unwrap_or_else(|| {
        let me = std::env::current_exe().unwrap_or_default();
        me.with_file_name("ticketing")
    });
    if !bin.exists() {
        bail!("the server binary {} does not exist: build it with cargo build --release", bin.display());
    }
    let selected = |name: &str| args.only.is_empty() || args.only.iter().any(|o| name.contains(o.as_str()));

    eprintln!(
        "seeding {} companies, {} tickets, {} messages, {} agents ...",
        args.companies, args.tickets, args.messages, args.agents
    );
    let t = Instant::now();
    let seeded = seed(&db_path, &args)?;
    let seed_secs = t.elapsed().as_secs_f64();
    let db_bytes = std::fs::metadata(&db_path)?.len();
    eprintln!("seeded in {seed_secs:.1} s ({:.1} MB)", db_bytes as f64 / 1e6);
    // The same companies, users and agents with no tickets: what "cost does
    // not grow with the data" is measured against.
    let empty_path = args.out.join("empty.db");
    seed(&empty_path, &Args { tickets: 0, messages: 0, only: Vec::new(), ..args.clone() })?;

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let pg = match &args.postgres {
        Some(server) => {
            let url = pg_database(server, &runtime)?;
            eprintln!("copying the seed into PostgreSQL ...");
            let source = DatabaseConfig { path: db_path.clone(), ..DatabaseConfig::default() };
            let target = DatabaseConfig { url: url.clone(), ..DatabaseConfig::default() };
            ticketing::store::postgres::copy_from_sqlite(&source, &target)?;
            runtime.block_on(pg_exec(&url, "VACUUM ANALYZE"))?;
            Some(url)
        }
        None => None,
    };
    let backend = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    let server_env: Vec<(&str, String)> = pg.iter().map(|url| ("TICKETING_DATABASE_URL", url.clone())).collect();

    let keys = TokenKeys::new(SECRET.as_bytes(), 600);
    let user_token = |id: i64| keys.issue(AccountKind::User, id, 1).map(|t| t.0);
    let admin_token = |id: i64| keys.issue(AccountKind::Admin, id, 1).map(|t| t.0);
    let managers: Arc<Vec<String>> =
        Arc::new(seeded.manager_of.iter().map(|&id| user_token(id.max(1))).collect::<Result<_, _>>()?);
    let owner = admin_token(seeded.owner)?;
    let agent = admin_token(seeded.agent)?;

    // Below the ephemeral range (32768 and up), so no client socket holds it.
    let port = 20000 + (std::process::id() % 12000) as u16;
    let server = Server::start_with(&bin, &db_path, port, &runtime, &server_env)?;
    let (addr, pid) = (server.addr.clone(), server.pid);
    let companies = seeded.manager_of.len() - 1;
    let open = Arc::new(seeded.open_ticket.clone());
    let m = managers.clone();
    let company_of = move |c: usize| 2 + c % companies.saturating_sub(1).max(1);
    let mut ops: Vec<Op> = Vec::new();
    let tenant = |name: &'static str, path: &'static str, whale: bool| {
        let m = m.clone();
        Op {
            name,
            method: "GET",
            make: Arc::new(move |c, _| {
                let company = if whale { 1 } else { company_of(c) };
                (path.to_string(), m[company].clone(), None, None)
            }),
        }
    };
    {
        let m = m.clone();
        ops.push(Op {
            name: CREATE,
            method: "POST",
            make: Arc::new(move |c, i| {
                let body = json!({"subject": "website", "sub_subject": "contact", "description": format!("Bench ticket {c}/{i}")});
                ("/api/support/tickets".into(), m[company_of(c)].clone(), Some(body.to_string()), None)
            }),
        });
    }
    {
        let (m, open) = (m.clone(), open.clone());
        ops.push(Op {
            name: "tenant posts a message",
            method: "POST",
            make: Arc::new(move |c, i| {
                // A company without tickets (tiny datasets) writes to the whale's.
                let company = if open[company_of(c)].is_some() { company_of(c) } else { 1 };
                let ticket = open[company].unwrap_or(1);
                let body = json!({"body": format!("Any news? ({i})")});
                (format!("/api/support/tickets/{ticket}/messages"), m[company].clone(), Some(body.to_string()), None)
            }),
        });
    }
    ops.push(tenant(FIRST_PAGE, "/api/support/tickets", false));
    ops.push(tenant("tenant list, status filter", "/api/support/tickets?status=in_progress", false));
    ops.push(tenant("whale list, first page", "/api/support/tickets", true));
    ops.push(tenant("whale list, status filter", "/api/support/tickets?status=in_progress", true));
    {
        let m = m.clone();
        let cursor = seeded.deep_cursor.clone();
        ops.push(Op {
            name: "whale list, deep cursor page",
            method: "GET",
            make: Arc::new(move |_, _| (format!("/api/support/tickets?cursor={cursor}"), m[1].clone(), None, None)),
        });
    }
    for (name, query) in [
        ("admin list", ""),
        ("admin list, status", "?status=new"),
        ("admin list, subject", "?subject=billing"),
        ("admin list, company", "?company_id=1"),
        ("admin list, unassigned", "?assigned=unassigned"),
    ] {
        let owner = owner.clone();
        ops.push(Op {
            name,
            method: "GET",
            make: Arc::new(move |_, _| (format!("/platform-admin/tickets{query}"), owner.clone(), None, None)),
        });
    }
    {
        let owner = owner.clone();
        ops.push(Op {
            name: "admin list, oldest first",
            method: "GET",
            make: Arc::new(move |_, _| ("/platform-admin/tickets?order=oldest".into(), owner.clone(), None, None)),
        });
    }
    {
        let agent = agent.clone();
        ops.push(Op {
            name: "support list",
            method: "GET",
            make: Arc::new(move |_, _| ("/platform-admin/tickets".into(), agent.clone(), None, None)),
        });
    }
    ops.push(tenant("counts, whale manager", "/api/support/tickets/counts", true));
    for (name, token) in [("counts, owner", owner.clone()), ("counts, support", agent.clone())] {
        ops.push(Op {
            name,
            method: "GET",
            make: Arc::new(move |_, _| ("/platform-admin/tickets/counts".into(), token.clone(), None, None)),
        });
    }
    let detail_path = format!("/platform-admin/tickets/{}", seeded.detail_ticket);
    {
        let (owner, path) = (owner.clone(), detail_path.clone());
        ops.push(Op {
            name: "ticket detail (50 messages)",
            method: "GET",
            make: Arc::new(move |_, _| (path.clone(), owner.clone(), None, None)),
        });
    }
    // The ETag of the detail, for the poll.
    let etag = runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(&addr).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let req = Request::get(detail_path.as_str())
            .header("host", "b")
            .header("authorization", format!("Bearer {owner}"))
            .body(Full::new(Bytes::new()))?;
        let resp = sender.send_request(req).await?;
        anyhow::Ok(resp.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or("").to_string())
    })?;
    {
        let (owner, path) = (owner.clone(), detail_path.clone());
        ops.push(Op {
            name: "poll answered 304",
            method: "GET",
            make: Arc::new(move |_, _| (path.clone(), owner.clone(), None, Some(("if-none-match", etag.clone())))),
        });
    }

    ops.retain(|op| selected(op.name));
    // A short unmeasured turn of each, so no figure pays for cold caches.
    for op in &ops {
        runtime.block_on(drive(&addr, op, 4, 0.2, pid))?;
    }
    // On PostgreSQL, creation has no paired ceiling (SQLite's is its group commit).
    let mut create_ceiling =
        if pg.is_none() { Some(CreateCeiling::open(&db_path, seeded.manager_of.len() - 1, true)?) } else { None };
    // The reads' ceilings, on one connection of the bench's own.
    let read_conn = match &pg {
        None => Some(std::cell::RefCell::new(sqlite::open_connection(&db_path, &DatabaseConfig::default())?)),
        Some(_) => None,
    };
    let raw = match &pg {
        Some(url) => Some(ticketing::store::postgres::Raw::open(&DatabaseConfig {
            url: url.clone(),
            ..DatabaseConfig::default()
        })?),
        None => None,
    };
    // Its connection's driver task lives on the runtime between reads.
    let pg_context = raw.as_ref().map(|_| runtime.enter());
    let mut reads = match (&read_conn, &raw) {
        (Some(conn), _) => sqlite_reads(conn, &seeded),
        (None, Some(raw)) => pg_reads(raw, &runtime, &seeded),
        (None, None) => BTreeMap::new(),
    };
    let max_batch = DatabaseConfig::default().max_write_batch as usize;
    let slice = args.seconds / ROUNDS as f64;
    let mut rows = Vec::new();
    for op in &ops {
        for &clients in &args.clients {
            let mut o = Outcome::default();
            let paired_ceiling = if op.name == CREATE
                && let Some(create_ceiling) = create_ceiling.as_mut()
            {
                // Creation and its group-committed ceiling take turns.
                let mut ceiling = 0.0;
                for _ in 0..ROUNDS {
                    create_ceiling.settle()?;
                    o.absorb(runtime.block_on(drive(&addr, op, clients, slice, pid))?);
                    create_ceiling.settle()?;
                    // N clients can put at most N requests in one commit.
                    let batch = clients.min(max_batch);
                    ceiling += create_ceiling.rate(slice, batch)? / ROUNDS as f64;
                }
                Some(("create, group-committed", ceiling))
            } else if let Some(name) = ceiling_name(op.name)
                && let Some(work) = reads.get_mut(name)
            {
                // A read and its raw query take turns too: the ratio is of two
                // rates measured side by side, not minutes apart.
                let mut ceiling = 0.0;
                for _ in 0..ROUNDS {
                    o.absorb(runtime.block_on(drive(&addr, op, clients, slice, pid))?);
                    ceiling += ceiling_rate(slice, |_| work().map(|()| 1))? / ROUNDS as f64;
                }
                Some((name, ceiling))
            } else {
                o = runtime.block_on(drive(&addr, op, clients, args.seconds, pid))?;
                None
            };
            let row = Row { name: op.name, clients, outcome: o, paired_ceiling };
            eprintln!(
                "{:<32} {:>3} clients: {:>8.0} req/s, {} errors",
                op.name,
                clients,
                row.outcome.rate(),
                row.outcome.errors
            );
            rows.push(row);
        }
    }
    drop((create_ceiling, reads));
    drop((read_conn, raw));
    drop(pg_context);
    // Login alone: argon2id at the OWASP cost is slow on purpose.
    let login = Op {
        name: "login (argon2id, alone)",
        method: "POST",
        make: Arc::new(|_, _| {
            (
                "/api/auth/login".into(),
                String::new(),
                Some(json!({"email": "m2@bench.test", "password": "bench-password"}).to_string()),
                None,
            )
        }),
    };
    if selected(login.name) {
        let o = runtime.block_on(drive(&addr, &login, 1, args.seconds, pid))?;
        rows.push(Row { name: login.name, clients: 1, outcome: o, paired_ceiling: None });
    }

    // Cost against size: the full database and the empty one, each behind
    // its own server, take turns at the most clients (SQLite only, as is
    // mail on against off: both measure the file's own behaviour).
    let mut growth = Vec::new();
    let mut mail = Vec::new();
    let clients = args.clients.iter().copied().max().unwrap_or(1);
    if pg.is_none() {
        let empty = Server::start(&bin, &empty_path, port + 1, &runtime)?;
        let cfg = DatabaseConfig::default();
        let (full_conn, empty_conn) =
            (sqlite::open_connection(&db_path, &cfg)?, sqlite::open_connection(&empty_path, &cfg)?);
        // The empty database's lists show what its creation slices made; without
        // them there is nothing to list, and no fair comparison.
        let creates = ops.iter().any(|op| op.name == CREATE);
        for op in ops.iter().filter(|op| op.name == CREATE || (creates && op.name == FIRST_PAGE)) {
            let (mut full, mut none) = (Outcome::default(), Outcome::default());
            for _ in 0..ROUNDS {
                settle(&full_conn)?;
                full.absorb(runtime.block_on(drive(&addr, op, clients, args.seconds / ROUNDS as f64, pid))?);
                settle(&empty_conn)?;
                none.absorb(runtime.block_on(drive(
                    &empty.addr,
                    op,
                    clients,
                    args.seconds / ROUNDS as f64,
                    empty.pid,
                ))?);
            }
            eprintln!("{:<32} full {:>8.0}/s, empty {:>8.0}/s", op.name, full.rate(), none.rate());
            growth.push((op.name, clients, full, none));
        }
        drop((full_conn, empty_conn));
        empty.stop();
        let create = ops.iter().find(|op| op.name == CREATE);
        // As shipped (an email waits 60 s for more events on its ticket), and
        // with every email sent the moment it is written.
        for (label, coalesce) in [(MAIL_AS_SHIPPED, "60"), (MAIL_AT_ONCE, "0")] {
            if let Some(op) = create
                && let Some((on, off)) =
                    mail_pair(&bin, &empty_path, &args.out, port + 2, op, clients, args.seconds, coalesce, &runtime)?
            {
                eprintln!("{label:<48} mail on {:>8.0}/s, off {:>8.0}/s", on.rate(), off.rate());
                mail.push((label, clients, on, off));
            }
        }
    }

    let rss = peak_rss_mb(pid);
    let startup_secs = server.startup_secs;
    server.stop();

    let ceiling = match &pg {
        Some(_) => BTreeMap::new(),
        None => {
            eprintln!("measuring the raw ceiling of creation one transaction each ...");
            ceilings(&db_path, &seeded, args.seconds)?
        }
    };
    let binary_bytes = std::fs::metadata(&bin)?.len();
    let report = Report { args: &args, rows: &rows, ceiling: &ceiling, growth: &growth, mail: &mail, backend };
    let md = report.markdown(seed_secs, db_bytes, startup_secs, rss, binary_bytes);
    let json = report.json(seed_secs, db_bytes, startup_secs, rss, binary_bytes);
    std::fs::write(args.out.join("results.json"), serde_json::to_string_pretty(&json)?)?;
    std::fs::write(args.out.join("results.md"), &md)?;
    println!("{md}");
    let errors: u64 = rows.iter().map(|r| r.outcome.errors).sum::<u64>()
        + growth.iter().chain(&mail).map(|g| g.2.errors + g.3.errors).sum::<u64>();
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}

/// The results, as markdown and JSON.
struct Report<'a> {
    args: &'a Args,
    rows: &'a [Row],
    ceiling: &'a BTreeMap<&'static str, f64>,
    growth: &'a [(&'static str, usize, Outcome, Outcome)],
    /// Creation with mail on (to a loopback SMTP sink) and off.
    mail: &'a [(&'static str, usize, Outcome, Outcome)],
    /// The backend measured: SQLite or PostgreSQL.
    backend: &'static str,
}

impl Report<'_> {
    /// The ceiling an operation is compared with.
    fn ceiling_of(&self, row: &Row) -> Option<f64> {
        row.paired_ceiling.map(|(_, rate)| rate)
    }

    fn best(&self, name: &str) -> f64 {
        self.rows.iter().filter(|r| r.name == name).map(|r| r.outcome.rate()).fold(0.0, f64::max)
    }

    fn poll_ratio(&self) -> f64 {
        let detail = self.best("ticket detail (50 messages)");
        if detail > 0.0 { self.best("poll answered 304") / detail } else { 0.0 }
    }

    fn markdown(&self, seed_secs: f64, db_bytes: u64, startup_secs: f64, rss: f64, binary_bytes: u64) -> String {
        let mut md = String::new();
        md.push_str(&format!("| operation | clients | req/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU µs/req | vs raw {} | others' CPU |\n", self.backend));
        md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for row in self.rows {
            let o = &row.outcome;
            let others = o.others_share();
            md.push_str(&format!(
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.0} | {} | {:.0}%{} |\n",
                row.name,
                row.clients,
                o.rate(),
                percentile(&o.latencies_us, 0.5),
                percentile(&o.latencies_us, 0.99),
                percentile(&o.latencies_us, 0.999),
                o.errors,
                o.server_cpu_us(),
                self.ceiling_of(row).map_or("–".to_string(), |c| format!("{:.0}%", o.rate() / c * 100.0)),
                others * 100.0,
                if others > 0.1 { " (noisy)" } else { "" },
            ));
        }
        md.push_str(&format!(
            "\n| raw {} ceiling (same work, same durability, one connection) | per second |\n|---|---:|\n",
            self.backend
        ));
        for row in self.rows {
            if let Some((name, rate)) = row.paired_ceiling {
                md.push_str(&format!("| {name}, between the {}-client slices | {rate:.0} |\n", row.clients));
            }
        }
        for (k, v) in self.ceiling {
            md.push_str(&format!("| {k} | {v:.0} |\n"));
        }
        if !self.growth.is_empty() {
            md.push_str("\n| at the full size vs an empty database (taking turns) | clients | full req/s | empty req/s | ratio |\n|---|---:|---:|---:|---:|\n");
            for (name, clients, full, none) in self.growth {
                md.push_str(&format!(
                    "| {name} | {clients} | {:.0} | {:.0} | {:.0}% |\n",
                    full.rate(),
                    none.rate(),
                    full.rate() / none.rate().max(f64::MIN_POSITIVE) * 100.0
                ));
            }
        }
        if !self.mail.is_empty() {
            md.push_str("\n| with mail on (to an SMTP sink on loopback) vs off (taking turns) | clients | on req/s | off req/s | ratio |\n|---|---:|---:|---:|---:|\n");
            for (name, clients, on, off) in self.mail {
                md.push_str(&format!(
                    "| {name} | {clients} | {:.0} | {:.0} | {:.0}% |\n",
                    on.rate(),
                    off.rate(),
                    on.rate() / off.rate().max(f64::MIN_POSITIVE) * 100.0
                ));
            }
        }
        let a = self.args;
        md.push_str(&format!(
            "\n| figure | value |\n|---|---:|\n| dataset | {} companies, {} tickets, {} messages, {} agents, whale {:.0}% |\n| seed time | {seed_secs:.1} s |\n| database size | {:.1} MB |\n| start-up to serving | {startup_secs:.3} s |\n| server peak RSS | {rss:.1} MB |\n| release binary | {:.1} MB |\n| 304 poll vs 200 detail (best of each) | {:.1}× |\n",
            a.companies, a.tickets, a.messages, a.agents, a.whale_share * 100.0,
            db_bytes as f64 / 1e6, binary_bytes as f64 / 1e6, self.poll_ratio(),
        ));
        md
    }

    fn json(&self, seed_secs: f64, db_bytes: u64, startup_secs: f64, rss: f64, binary_bytes: u64) -> serde_json::Value {
        let a = self.args;
        let rows: Vec<_> = self
            .rows
            .iter()
            .map(|row| {
                let o = &row.outcome;
                json!({
                    "operation": row.name, "clients": row.clients, "requests": o.requests, "errors": o.errors,
                    "rps": o.rate(), "p50_ms": percentile(&o.latencies_us, 0.5),
                    "p99_ms": percentile(&o.latencies_us, 0.99), "p999_ms": percentile(&o.latencies_us, 0.999),
                    "server_cpu_us_per_request": o.server_cpu_us(), "server_cpu_s": o.server_cpu,
                    "loadgen_cpu_s": o.bench_cpu, "other_cpu_s": (o.machine_cpu - o.server_cpu - o.bench_cpu).max(0.0),
                    "noisy": o.others_share() > 0.1, "ceiling": row.paired_ceiling.map(|(name, _)| name),
                    "ceiling_per_second": self.ceiling_of(row),
                    "ratio_to_ceiling": self.ceiling_of(row).map(|c| o.rate() / c),
                })
            })
            .collect();
        let growth: Vec<_> = self
            .growth
            .iter()
            .map(|(name, clients, full, none)| {
                json!({"operation": name, "clients": clients, "full_rps": full.rate(), "empty_rps": none.rate(),
                       "ratio": full.rate() / none.rate().max(f64::MIN_POSITIVE)})
            })
            .collect();
        json!({
            "dataset": {"companies": a.companies, "tickets": a.tickets, "messages": a.messages, "agents": a.agents, "whale_share": a.whale_share},
            "seconds_per_measurement": a.seconds, "seed_secs": seed_secs, "database_bytes": db_bytes, "startup_secs": startup_secs,
            "server_peak_rss_mb": rss, "binary_bytes": binary_bytes, "ceiling_per_second": self.ceiling, "results": rows,
            "full_vs_empty": growth, "poll_304_vs_detail_200": self.poll_ratio(),
            "mail_on_vs_off": self.mail.iter().map(|(name, clients, on, off)| json!({
                "operation": name, "clients": clients, "on_rps": on.rate(), "off_rps": off.rate(),
                "ratio": on.rate() / off.rate().max(f64::MIN_POSITIVE)})).collect::<Vec<_>>(),
        })
    }
}
